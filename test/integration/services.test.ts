// Proves that the local services (infra/services.sh up, or docker-compose.yml) are up for real:
// each test does real work against one service and checks exact results.
//
//   npm run services:up && node --test test/integration/services.test.ts
//
// Ports come from FERRY_*_PORT like infra/services.sh; every test uses fresh names and cleans up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

const HOST = '127.0.0.1';
const port = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const MARIADB_PORT = port('FERRY_MARIADB_PORT', 3306);
const POSTGRES_PORT = port('FERRY_POSTGRES_PORT', 5432);
const KAFKA_PORT = port('FERRY_KAFKA_PORT', 9092);
const REGISTRY_URL = `http://${HOST}:${port('FERRY_REGISTRY_PORT', 8081)}/apis/ccompat/v7`;
const MOTO_URL = `http://${HOST}:${port('FERRY_MOTO_PORT', 5000)}`;

const unique = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

// MariaDB's mysql_native_password hash, as SHOW GRANTS prints it: '*' + HEX(SHA1(SHA1(password)))
function nativePasswordHash(password: string): string {
  const inner = createHash('sha1').update(password).digest();
  return '*' + createHash('sha1').update(inner).digest('hex').toUpperCase();
}

function parseGtid(pos: string): { domain: number; server: number; seq: number } {
  const m = /^(\d+)-(\d+)-(\d+)$/.exec(pos);
  assert.ok(m, `single-domain GTID position expected, got ${JSON.stringify(pos)}`);
  return { domain: Number(m[1]), server: Number(m[2]), seq: Number(m[3]) };
}

test('kafka: 3 records produced to a fresh topic are consumed back in order', { timeout: 60_000 }, async () => {
  const topic = `ferry-it-${unique}`;
  const brokers = [`${HOST}:${KAFKA_PORT}`];
  const admin = new Admin({ clientId: 'ferry-it-admin', bootstrapBrokers: brokers });
  const producer = new Producer({ clientId: 'ferry-it-producer', bootstrapBrokers: brokers, serializers: stringSerializers });
  const consumer = new Consumer({
    clientId: 'ferry-it-consumer',
    groupId: `ferry-it-${unique}`,
    bootstrapBrokers: brokers,
    deserializers: stringDeserializers,
  });
  try {
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    const sent = [
      { key: 'k1', value: '{"n":1}' },
      { key: 'k2', value: '{"n":2}' },
      { key: 'k3', value: 'three: ü ✓' },
    ];
    await producer.send({ messages: sent.map((m) => ({ topic, partition: 0, ...m })) });

    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 500 });
    const got: Array<{ key: string; value: string; partition: number; offset: bigint }> = [];
    for await (const message of stream) {
      got.push({ key: message.key, value: message.value, partition: message.partition, offset: message.offset });
      if (got.length === sent.length) break;
    }
    await stream.close();
    assert.deepEqual(got, [
      { key: 'k1', value: '{"n":1}', partition: 0, offset: 0n },
      { key: 'k2', value: '{"n":2}', partition: 0, offset: 1n },
      { key: 'k3', value: 'three: ü ✓', partition: 0, offset: 2n },
    ]);
  } finally {
    await consumer.close(true).catch(() => undefined);
    await producer.close().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.close().catch(() => undefined);
  }
});

test('registry: an Avro schema registered on the ccompat API comes back by id and as the latest version', { timeout: 30_000 }, async () => {
  const subject = `ferry-it-${unique}-value`;
  const schema = {
    type: 'record',
    name: 'Order',
    namespace: 'ferry.it',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'note', type: ['null', 'string'], default: null },
      { name: 'created_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ],
  };
  const headers = { 'content-type': 'application/vnd.schemaregistry.v1+json' };
  const register = async (): Promise<number> => {
    const res = await fetch(`${REGISTRY_URL}/subjects/${subject}/versions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ schema: JSON.stringify(schema) }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { id: number };
    assert.equal(typeof body.id, 'number');
    return body.id;
  };
  try {
    const id = await register();
    assert.equal(await register(), id, 'registering the same schema again returns the same id');

    const byId = await fetch(`${REGISTRY_URL}/schemas/ids/${id}`);
    assert.equal(byId.status, 200);
    const byIdBody = (await byId.json()) as { schema: string };
    assert.deepEqual(JSON.parse(byIdBody.schema), schema);

    const latest = await fetch(`${REGISTRY_URL}/subjects/${subject}/versions/latest`);
    assert.equal(latest.status, 200);
    const latestBody = (await latest.json()) as { subject: string; version: number; id: number; schema: string };
    assert.equal(latestBody.subject, subject);
    assert.equal(latestBody.version, 1);
    assert.equal(latestBody.id, id);
    assert.deepEqual(JSON.parse(latestBody.schema), schema);
  } finally {
    await fetch(`${REGISTRY_URL}/subjects/${subject}`, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${REGISTRY_URL}/subjects/${subject}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
  }
});

test('moto: an S3 object put with the AWS SDK comes back byte for byte', { timeout: 30_000 }, async () => {
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: MOTO_URL,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const bucket = `ferry-it-${unique}`;
  const key = 'changes/part-00000.bin';
  // every byte value, then random bytes: not valid UTF-8, so any text decoding on the way would show
  const body = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(64 * 1024)]);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/octet-stream' }));
    assert.equal(put.ETag, `"${createHash('md5').update(body).digest('hex')}"`);

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(got.ContentLength, body.length);
    assert.equal(got.ContentType, 'application/octet-stream');
    assert.ok(got.Body, 'GetObject returned no body');
    const bytes = Buffer.from(await got.Body.transformToByteArray());
    assert.equal(Buffer.compare(bytes, body), 0, 'object bytes differ');
  } finally {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    s3.destroy();
  }
});

test('mariadb: the cdc user sees a ROW/FULL binlog with GTIDs and has exactly its grants', { timeout: 30_000 }, async () => {
  const cdc = await mysql.createConnection({ host: HOST, port: MARIADB_PORT, user: 'cdc', password: 'cdc' });
  const root = await mysql.createConnection({ host: HOST, port: MARIADB_PORT, user: 'root', password: 'root', database: 'shop' });
  const table = `ferry_it_${unique.replace(/-/g, '_')}`;
  try {
    const [vars] = await cdc.query<mysql.RowDataPacket[]>(
      'SELECT @@binlog_format AS binlog_format, @@binlog_row_image AS binlog_row_image, @@log_bin AS log_bin, ' +
        '@@gtid_strict_mode AS gtid_strict_mode, @@server_id AS server_id, @@time_zone AS time_zone, ' +
        '@@character_set_server AS charset, @@max_allowed_packet AS max_allowed_packet',
    );
    assert.deepEqual({ ...vars[0] }, {
      binlog_format: 'ROW',
      binlog_row_image: 'FULL',
      log_bin: 1,
      gtid_strict_mode: 1,
      server_id: 1,
      time_zone: '+00:00',
      charset: 'utf8mb4',
      max_allowed_packet: 64 * 1024 * 1024,
    });

    const [grants] = await cdc.query<mysql.RowDataPacket[]>('SHOW GRANTS FOR CURRENT_USER()');
    assert.deepEqual(grants.map((row) => Object.values(row)[0]), [
      'GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `cdc`@`127.0.0.1` ' +
        `IDENTIFIED BY PASSWORD '${nativePasswordHash('cdc')}'`,
    ]);

    // BINLOG MONITOR: the cdc user may read the binlog position
    const [master] = await cdc.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
    assert.equal(master.length, 1);
    assert.match(String(master[0]?.File), /^mariadb-bin\.\d{6}$/);

    // a committed transaction (as root) moves the GTID position that cdc reads (by one, or more when other test
    // files write to the same server at the same time)
    await root.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, v VARCHAR(10))`);
    const gtidPos = async (): Promise<string> => {
      const [rows] = await cdc.query<mysql.RowDataPacket[]>('SELECT @@gtid_binlog_pos AS pos');
      return String(rows[0]?.pos);
    };
    const before = parseGtid(await gtidPos());
    await root.query(`INSERT INTO ${table} VALUES (1, 'a')`);
    const after = parseGtid(await gtidPos());
    assert.deepEqual({ domain: after.domain, server: after.server }, { domain: before.domain, server: 1 });
    assert.ok(after.seq >= before.seq + 1, `the GTID sequence moved: ${before.seq} → ${after.seq}`);

    // least privilege: cdc reads but cannot write
    const [rows] = await cdc.query<mysql.RowDataPacket[]>(`SELECT id, v FROM shop.${table}`);
    assert.deepEqual(rows.map((r) => ({ ...r })), [{ id: 1, v: 'a' }]);
    await assert.rejects(cdc.query(`INSERT INTO shop.${table} VALUES (2, 'b')`), { code: 'ER_TABLEACCESS_DENIED_ERROR' });
  } finally {
    await root.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await cdc.end();
    await root.end();
  }
});

test('postgres: the cdc role has REPLICATION and the server decodes logically', { timeout: 30_000 }, async () => {
  const client = new pg.Client({ host: HOST, port: POSTGRES_PORT, user: 'cdc', password: 'cdc', database: 'shop' });
  await client.connect();
  try {
    const wal = await client.query<{ wal_level: string }>('SHOW wal_level');
    assert.deepEqual(wal.rows, [{ wal_level: 'logical' }]);

    const role = await client.query<{ rolreplication: boolean; rolsuper: boolean; rolcanlogin: boolean }>(
      "SELECT rolreplication, rolsuper, rolcanlogin FROM pg_roles WHERE rolname = 'cdc'",
    );
    assert.deepEqual(role.rows, [{ rolreplication: true, rolsuper: false, rolcanlogin: true }]);

    const privileges = await client.query<{ db_create: boolean; schema_usage: boolean }>(
      "SELECT has_database_privilege('shop', 'CREATE') AS db_create, has_schema_privilege('public', 'USAGE') AS schema_usage",
    );
    assert.deepEqual(privileges.rows, [{ db_create: true, schema_usage: true }]);

    // a temporary pgoutput slot: needs wal_level=logical and the REPLICATION attribute; dropped with the session
    const slotName = `ferry_it_${unique.replace(/-/g, '_')}`;
    const slot = await client.query<{ slot_name: string }>(
      "SELECT slot_name FROM pg_create_logical_replication_slot($1, 'pgoutput', true)",
      [slotName],
    );
    assert.deepEqual(slot.rows, [{ slot_name: slotName }]);
  } finally {
    await client.end();
  }
});

test('mariadb and postgres reject a wrong password', { timeout: 30_000 }, async () => {
  await assert.rejects(
    mysql.createConnection({ host: HOST, port: MARIADB_PORT, user: 'cdc', password: 'wrong' }),
    { code: 'ER_ACCESS_DENIED_ERROR', errno: 1045 },
  );
  const client = new pg.Client({ host: HOST, port: POSTGRES_PORT, user: 'cdc', password: 'wrong', database: 'shop' });
  await assert.rejects(client.connect(), { code: '28P01' });
  await client.end().catch(() => undefined);
});
