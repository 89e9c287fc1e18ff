/**
 * DMS endpoints (as `aws dms describe-endpoints` prints them) → a Ferry source block or target. Every field, every
 * key of the engine's settings object (MySQLSettings, S3Settings, …) and every extra connection attribute comes
 * back as a report entry: carried to a Ferry key, accepted as Ferry's behaviour, or not carried with the reason.
 * Passwords never appear: they become `${env:NAME}` references, NAME derived from the endpoint identifier.
 */
import { FerryError } from '../../../core/src/errors.ts';
import type { ReportEntry } from './report.ts';

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Engine names of DMS source endpoints Ferry reads, and the source.engine each becomes. */
const SOURCE_ENGINES: Readonly<Record<string, string>> = { mysql: 'mysql', aurora: 'mysql', mariadb: 'mariadb', postgres: 'postgres', 'aurora-postgresql': 'postgres' };
/** Engine names of DMS target endpoints Ferry writes, and the target type each becomes (s3: by DataFormat). */
const TARGET_ENGINES: Readonly<Record<string, string>> = { mysql: 'mysql', aurora: 'mysql', mariadb: 'mysql', postgres: 'postgres', 'aurora-postgresql': 'postgres', s3: 's3', kinesis: 'kinesis', dynamodb: 'dynamodb', kafka: 'kafka', redshift: 'redshift' };

/** The environment variable an endpoint's password is read from. */
export function passwordVariable(endpointId: string): string {
  return `DMS_${endpointId.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '')}_PASSWORD`;
}

/** Splits "k1=v1;k2=v2" (DMS extra connection attributes). */
export function parseExtraConnectionAttributes(s: string): [string, string][] {
  return s.split(';').map((p) => p.trim()).filter((p) => p !== '').map((p) => {
    const i = p.indexOf('=');
    return i < 0 ? [p, ''] : [p.slice(0, i).trim(), p.slice(i + 1).trim()];
  });
}

/** What an endpoint became: the Ferry block, report entries, and the variables to set. */
export interface MappedEndpoint {
  readonly block: Record<string, unknown>;
  readonly entries: ReportEntry[];
  readonly variables: string[];
}

type Sink = { set(key: string, value: unknown, note?: string): void; same(note: string): void; not(reason: string): void; info(reason: string): void };
/** How one key (a field, a settings key or an ECA, matched case-insensitively) is handled. */
type KeyHandler = (value: unknown, s: Sink, all: Readonly<Record<string, unknown>>) => void;

const INFO_FIELDS: Readonly<Record<string, string>> = {
  endpointarn: 'the DMS endpoint\'s identity', status: 'DMS state', endpointtype: 'decides source or target', enginedisplayname: 'display name of EngineName',
  kmskeyid: 'DMS encrypts the stored password with it; Ferry stores no password (the environment variable holds it)', externalid: 'DMS-internal identifier',
};

const bool = (v: unknown) => v === true || v === 'true' || v === 'Y' || v === 'y';
const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN);
const sameWhenFalse = (reason: string): KeyHandler => (v, s) => (bool(v) ? s.not(reason) : s.same('false: DMS default'));
const notCarried = (reason: string): KeyHandler => (_v, s) => s.not(reason);
const DEBEZIUM = 'DMS JSON message option; Ferry\'s kafka target forwards Debezium change events in settings.format (docs/formats.md)';
const ROLE = 'Ferry uses the AWS SDK credential chain (environment, profile, instance or task role): run it with this role\'s permissions';
/** DMS SslMode → the shared `ssl.mode` of database sources and targets (runtime/src/config/tls-settings.ts, docs/tls.md). */
const sslMode = (what: 'source' | 'target'): KeyHandler => (v, s) => {
  const mode = String(v).toLowerCase();
  if (mode === 'none') s.same(`none: no TLS, as a Ferry ${what} without ssl`);
  else if (['require', 'verify-ca', 'verify-full'].includes(mode)) s.set('ssl.mode', mode);
  else s.not(`unknown SslMode ${JSON.stringify(v)}`);
};
const SSL = sslMode('target');

const NO_TLS_OPTION: KeyHandler = (v, s) => (String(v).toLowerCase() === 'none' ? s.same('none: no TLS option') : s.not('this Ferry sink connects over HTTPS through the AWS SDK; there is no TLS mode to set'));

const COMMON: Readonly<Record<string, KeyHandler>> = {
  servername: (v, s) => s.set('host', v),
  port: (v, s) => s.set('port', num(v)),
  username: (v, s) => s.set('user', v),
  certificatearn: notCarried('give the CA certificate as ssl.ca (PEM, e.g. ${file:ca.pem}); Ferry does not read the DMS certificate store'),
  serviceaccessrolearn: notCarried(ROLE),
  secretsmanagersecretid: notCarried('Ferry reads secrets from ${env:…} and ${file:…}: put the secret\'s password in the environment variable named in this report'),
  secretsmanageraccessrolearn: notCarried('Ferry reads secrets from ${env:…} and ${file:…}'),
  afterconnectscript: notCarried('Ferry runs no script after connecting'),
  executetimeout: notCarried('Ferry has no statement timeout setting'),
};

const DB_TARGET: Readonly<Record<string, KeyHandler>> = { ...COMMON, sslmode: SSL, maxfilesize: notCarried('Ferry streams full loads (COPY, LOAD DATA LOCAL) without staging files'), parallelloadthreads: notCarried('Ferry\'s database sinks load one table per consumer (targets[].consumers)') };

const BY_KIND: Readonly<Record<string, Readonly<Record<string, KeyHandler>>>> = {
  'source:mysql': {
    ...COMMON,
    databasename: (v, s) => s.set('database', v, 'the connection\'s default schema; the table mapping selects the tables'),
    sslmode: sslMode('source'),
    eventspollinterval: notCarried('Ferry streams the binlog as a replica; it does not poll'),
    servertimezone: notCarried('Ferry reads DATETIME values as they are stored and TIMESTAMP values in UTC'),
    cleansourcemetadataonmismatch: notCarried('Ferry keeps its own schema history (settings.stateDir)'),
    parallelloadthreads: notCarried('Ferry\'s full load parallelism is settings.snapshot.parallelism'),
  },
  'source:postgres': {
    ...COMMON,
    databasename: (v, s) => s.set('database', v),
    sslmode: sslMode('source'),
    slotname: (v, s) => (typeof v === 'string' && /^[a-z0-9_]{1,63}$/.test(v) ? s.set('slotName', v) : s.not(`slot name ${JSON.stringify(v)} is not 1-63 lower-case letters, digits or "_"`)),
    pluginname: (v, s) => (String(v).toLowerCase() === 'pgoutput' ? s.same('Ferry reads pgoutput') : s.not('Ferry reads pgoutput (no test_decoding or pglogical plugin needed)')),
    heartbeatenable: (v, s, all) => {
      if (!bool(v)) { s.same('false: Ferry still writes a heartbeat every settings.heartbeatIntervalMs (10 s; 0 turns it off)'); return; }
      const f = num(field(all, 'heartbeatfrequency'));
      s.set('settings.heartbeatIntervalMs', (Number.isFinite(f) ? f : 5) * 60_000, 'Ferry emits pg_logical_emit_message so the slot advances while tables are idle');
    },
    heartbeatfrequency: (_v, s, all) => (bool(field(all, 'heartbeatenable')) ? s.same('carried with HeartbeatEnable') : s.same('used only with HeartbeatEnable')),
    heartbeatschema: (_v, s) => s.same('Ferry\'s heartbeat writes no table (pg_logical_emit_message)'),
    captureddls: sameWhenFalse('Ferry reads schema changes from pgoutput relation messages; it installs no DDL capture triggers'),
    ddlartifactsschema: notCarried('Ferry installs no DDL capture artifacts'),
    failtasksonlobtruncation: notCarried('Ferry\'s LOB truncation is settings.lob (limited mode flags truncated columns in __ferry_truncated)'),
    mapbooleanasboolean: notCarried('Ferry maps boolean as Debezium does'),
    maxfilesize: notCarried('DMS staging file size; Ferry stages no files'),
  },
  'target:mysql': {
    ...DB_TARGET,
    databasename: (v, s, all) => (String(field(all, 'targetdbtype') ?? '').toUpperCase() === 'SPECIFIC_DATABASE' ? s.set('database', v) : s.same('TargetDbType MULTIPLE_DATABASES (DMS default): each schema goes to a database of its name, as Ferry does by default')),
    targetdbtype: (v, s) => (['SPECIFIC_DATABASE', 'MULTIPLE_DATABASES'].includes(String(v).toUpperCase()) ? s.same('carried with DatabaseName') : s.not(`unknown TargetDbType ${JSON.stringify(v)}`)),
    initstmt: notCarried('Ferry runs no init statement'),
  },
  'target:postgres': { ...DB_TARGET, databasename: (v, s) => s.set('database', v) },
  'target:s3': {
    serviceaccessrolearn: notCarried(ROLE),
    sslmode: NO_TLS_OPTION,
    bucketname: (_v, s) => s.same('carried in location'),
    bucketfolder: (_v, s) => s.same('carried in location'),
    dataformat: (v, s) => (['csv', 'parquet'].includes(String(v).toLowerCase()) ? s.same(`the target type is ${String(v).toLowerCase()}`) : s.not(`unknown DataFormat ${JSON.stringify(v)}`)),
    compressiontype: (v, s, all) => {
      const gz = String(v).toUpperCase() === 'GZIP';
      if (format(all) === 'csv') s.set('csv.gzip', gz);
      else s.set('compression', gz ? 'gzip' : 'uncompressed');
    },
    csvdelimiter: (v, s, all) => (format(all) === 'csv' ? s.set('csv.delimiter', v) : s.same('csv only')),
    csvrowdelimiter: (v, s) => (v === '\n' || v === '\\n' ? s.same('Ferry ends CSV lines with \\n') : s.not('Ferry ends CSV lines with \\n')),
    csvnullvalue: (v, s, all) => (format(all) === 'csv' ? s.set('csv.nullValue', v) : s.same('csv only')),
    addcolumnname: (v, s, all) => (format(all) === 'csv' ? s.set('csv.header', bool(v)) : s.same('csv only')),
    timestampcolumnname: (v, s) => (v === '' ? s.same('empty: DMS writes no timestamp column; Ferry writes _commit_ts') : s.set('timestampColumn', v)),
    includeopforfullload: (v, s) => (bool(v) ? s.same('Ferry writes Op "I" for full-load rows') : s.not('Ferry always writes the Op column, "I" for full-load rows')),
    cdcinsertsonly: sameWhenFalse('Ferry writes every change with its Op; filter Op = \'I\' when reading'),
    cdcinsertsandupdates: sameWhenFalse('Ferry writes every change with its Op; filter when reading'),
    datepartitionenabled: (v, s, all) => {
      if (!bool(v)) { s.set('partitioning.by', 'none', 'DMS writes no date folders'); return; }
      const seq = String(field(all, 'datepartitionsequence') ?? 'YYYYMMDD').toUpperCase();
      if (seq === 'YYYYMMDD') s.set('partitioning.by', 'commit-date');
      else if (seq === 'YYYYMMDDHH') s.set('partitioning.by', 'commit-hour');
      else s.not(`DatePartitionSequence ${seq}: Ferry partitions by commit date (YYYYMMDD) or hour (YYYYMMDDHH) only`);
    },
    datepartitionsequence: (_v, s) => s.same('carried with DatePartitionEnabled'),
    datepartitiondelimiter: notCarried('Ferry writes Hive-style partition folders (date=YYYY-MM-DD)'),
    parquetversion: notCarried('Ferry writes Parquet with DuckDB\'s writer (format version 1 pages)'),
    enablestatistics: (v, s) => (bool(v) ? s.same('Ferry\'s Parquet files carry column statistics') : s.not('Ferry\'s Parquet files always carry column statistics')),
    encryptionmode: (v, s) => (String(v).toUpperCase() === 'SSE_S3' ? s.same('SSE_S3: the bucket\'s default encryption') : s.not('Ferry uses the bucket\'s default encryption; set SSE-KMS as the bucket default')),
    serversideencryptionkmskeyid: notCarried('set the KMS key as the bucket\'s default encryption'),
    preservetransactions: sameWhenFalse('Ferry\'s lake files are per table; use a kafka target for transaction order'),
    cdcpath: notCarried('Ferry writes changes under <location>/<schema>/<table>/'),
    cdcmaxbatchinterval: (v, s) => (Number.isFinite(num(v)) ? s.set('maxFileAgeMs', num(v) * 1000) : s.not(`expected seconds, found ${JSON.stringify(v)}`)),
    cdcminfilesize: notCarried('Ferry closes a file at maxFileRows, maxFileBytes or maxFileAgeMs'),
    maxfilesize: (v, s) => (Number.isFinite(num(v)) && num(v) >= 1 ? s.set('maxFileBytes', num(v) * 1024) : s.not(`expected KB, found ${JSON.stringify(v)}`)),
    rfc4180: (v, s) => (bool(v) ? s.same('Ferry quotes CSV values per RFC 4180') : s.not('Ferry always quotes CSV values per RFC 4180')),
    externaltabledefinition: notCarried('the table comes from the change events'),
  },
  'target:kinesis': {
    serviceaccessrolearn: notCarried(ROLE),
    sslmode: NO_TLS_OPTION,
    streamarn: (v, s) => s.same(`carried as stream ${JSON.stringify(v)}`),
    messageformat: (v, s) => (['json', 'json-unformatted'].includes(String(v).toLowerCase()) ? s.set('format', 'json', 'Ferry writes each record as one line of JSON') : s.not(`MessageFormat ${JSON.stringify(v)}: Ferry writes json or avro`)),
    includenullandempty: (v, s) => s.set('includeNullAndEmpty', bool(v)),
    partitionincludeschematable: (v, s) => (bool(v) ? s.not('Ferry\'s primary-key partition keys carry no <schema>.<table> prefix: rows of different tables with equal keys share a shard (each row\'s changes stay in order either way)') : s.same('false: the partition key is the primary key, Ferry\'s default partitionKeyType')),
    includetransactiondetails: sameWhenFalse('Ferry\'s kinesis json has no transaction details; use settings.provideTransactionMetadata with a kafka target'),
    includepartitionvalue: sameWhenFalse('Ferry\'s kinesis json has no partition value field'),
    includetablealteroperations: sameWhenFalse('Ferry\'s kinesis json carries data changes only'),
    includecontroldetails: sameWhenFalse('Ferry\'s kinesis json carries data changes only'),
    nohexprefix: sameWhenFalse('Ferry writes binary values as base64'),
    uselargeintegervalue: sameWhenFalse('Ferry writes integers as JSON numbers'),
  },
  'target:dynamodb': { serviceaccessrolearn: notCarried(ROLE), sslmode: NO_TLS_OPTION },
  'target:kafka': {
    sslmode: NO_TLS_OPTION,
    broker: (v, s) => s.set('brokers', String(v).split(',').map((b) => b.trim()).filter((b) => b !== '')),
    topic: (v, s) => s.set('topic', v, 'a name without placeholders: every table goes to this one topic, as in DMS'),
    messageformat: notCarried(DEBEZIUM),
    messagemaxbytes: (v, s) => (Number.isFinite(num(v)) && num(v) >= 1024 ? s.set('maxMessageBytes', num(v)) : s.not(`expected bytes (at least 1024), found ${JSON.stringify(v)}`)),
    securityprotocol: (v, s, all) => {
      const p = String(v).toLowerCase();
      if (p === 'plaintext') s.same('plaintext: Ferry\'s default (tls: false)');
      else if (p === 'ssl-encryption') s.set('tls', true);
      else if (p === 'sasl-ssl') {
        const mech = String(field(all, 'saslmechanism') ?? 'scram-sha-512').toLowerCase();
        if (!['scram-sha-512', 'plain'].includes(mech)) { s.not(`SaslMechanism ${mech}: Ferry takes scram-sha-256, scram-sha-512, plain or aws-msk-iam`); return; }
        s.set('tls', true);
        s.set('sasl.mechanism', mech);
      } else s.not(`SecurityProtocol ${p}: give the client certificate and key as targets[].tls.cert and tls.key (PEM files); Ferry does not read the DMS certificate store`);
    },
    saslmechanism: (_v, s) => s.same('carried with SecurityProtocol sasl-ssl'),
    saslusername: (v, s) => s.set('sasl.username', v),
    sslcacertificatearn: notCarried('give the CA as targets[].tls.ca (PEM, e.g. ${file:ca.pem}); Ferry does not read the DMS certificate store'),
    sslclientcertificatearn: notCarried('give the client certificate as targets[].tls.cert (PEM file)'),
    sslclientkeyarn: notCarried('give the client key as targets[].tls.key (PEM file)'),
    sslendpointidentificationalgorithm: (v, s) => (String(v).toLowerCase() === 'https' ? s.same('https: Ferry checks the broker\'s host name') : s.not('Ferry always checks the broker\'s host name when tls.rejectUnauthorized is true')),
    partitionincludeschematable: sameWhenFalse(DEBEZIUM),
    includetransactiondetails: sameWhenFalse(DEBEZIUM),
    includepartitionvalue: sameWhenFalse(DEBEZIUM),
    includetablealteroperations: sameWhenFalse(DEBEZIUM),
    includecontroldetails: sameWhenFalse(DEBEZIUM),
    includenullandempty: notCarried(DEBEZIUM),
    nohexprefix: sameWhenFalse(DEBEZIUM),
    uselargeintegervalue: sameWhenFalse(DEBEZIUM),
  },
  'target:redshift': {
    servername: (v, s) => s.set('connection.host', v),
    port: (v, s) => s.set('connection.port', num(v)),
    username: (v, s) => s.set('connection.user', v),
    databasename: (v, s) => s.set('connection.database', v),
    sslmode: (v, s) => s.set('connection.ssl', String(v).toLowerCase() !== 'none'),
    bucketname: (_v, s) => s.same('carried in staging.location'),
    bucketfolder: (_v, s) => s.same('carried in staging.location'),
    serviceaccessrolearn: (v, s) => s.set('copyAuth.iamRole', v, 'the role COPY reads the staging bucket with (DMS passes it to Redshift the same way); the cluster must be allowed to assume it'),
    encryptionmode: (v, s) => (String(v).toUpperCase() === 'SSE_S3' ? s.same('SSE_S3: the bucket\'s default encryption') : s.not('Ferry stages files with the bucket\'s default encryption')),
    serversideencryptionkmskeyid: notCarried('set the KMS key as the staging bucket\'s default encryption'),
    secretsmanagersecretid: COMMON.secretsmanagersecretid!,
    secretsmanageraccessrolearn: COMMON.secretsmanageraccessrolearn!,
    afterconnectscript: COMMON.afterconnectscript!,
  },
};

function field(all: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.entries(all).find(([k]) => k.toLowerCase() === key)?.[1];
}
function format(all: Readonly<Record<string, unknown>>): 'csv' | 'parquet' {
  return String(field(all, 'dataformat') ?? 'csv').toLowerCase() === 'parquet' ? 'parquet' : 'csv';
}

/** Every key of the endpoint that configures it: fields, the engine's settings object, extra connection attributes. */
function flatKeys(e: Readonly<Record<string, unknown>>): { path: string; key: string; value: unknown }[] {
  const out: { path: string; key: string; value: unknown }[] = [];
  for (const [k, v] of Object.entries(e)) {
    if (k === 'ExtraConnectionAttributes' && typeof v === 'string') {
      for (const [ek, ev] of parseExtraConnectionAttributes(v)) out.push({ path: `ExtraConnectionAttributes.${ek}`, key: ek, value: ev });
    } else if (/Settings$/.test(k) && isRecord(v)) {
      for (const [sk, sv] of Object.entries(v)) out.push({ path: `${k}.${sk}`, key: sk, value: sv });
    } else out.push({ path: k, key: k, value: v });
  }
  return out;
}

/**
 * Maps one endpoint. `role` says whether the task uses it as its source or its target; the block's keys are set
 * as the handlers say (a later key never overrides an earlier one: the endpoint field wins over the same key in
 * the settings object or an ECA, and a disagreement is reported).
 */
export function mapEndpoint(e: Readonly<Record<string, unknown>>, role: 'source' | 'target'): MappedEndpoint {
  const id = String(e.EndpointIdentifier ?? 'endpoint');
  const engineName = String(e.EngineName ?? '').toLowerCase();
  const engine = (role === 'source' ? SOURCE_ENGINES : TARGET_ENGINES)[engineName];
  if (engine === undefined) {
    const known = Object.keys(role === 'source' ? SOURCE_ENGINES : TARGET_ENGINES).join(', ');
    throw new FerryError('FERRY_USAGE', `the task's ${role} endpoint "${id}" is ${engineName || 'of no engine'}; Ferry ${role === 'source' ? 'reads' : 'imports targets of'} ${known}`);
  }
  const all: Record<string, unknown> = {};
  for (const f of flatKeys(e)) if (field(all, f.key.toLowerCase()) === undefined) all[f.key] = f.value;
  const kind = `${role}:${engine === 'mariadb' ? 'mysql' : engine}`;
  const handlers = BY_KIND[kind]!;
  const block: Record<string, unknown> = {};
  const settings: Record<string, unknown> = {};
  const entries: ReportEntry[] = [];
  const variables: string[] = [];
  const input = `endpoint ${id}`;
  const prefix = role === 'source' ? 'source' : 'targets[0]';
  for (const f of flatKeys(e)) {
    // A secret never reaches the report (describe-endpoints prints none, but a create-endpoint input may hold them).
    const base = { input, path: f.path, value: /password|secret/i.test(f.key) && !/arn$|secretid$/i.test(f.key) ? '(hidden)' : f.value };
    const entry = (status: ReportEntry['status'], reason: string, ferry?: string) => entries.push({ ...base, status, reason, ...(ferry ? { ferry } : {}) });
    const lower = f.key.toLowerCase();
    if (lower === 'password' || lower === 'saslpassword') {
      const at = engine === 'redshift' ? 'connection.password' : engine === 'kafka' ? 'sasl.password' : 'password';
      entries.push({ ...base, status: 'carried', ferry: `${prefix}.${at}`, reason: `written as \${env:${passwordVariable(id)}}, never as a value` });
      continue;
    }
    if (lower === 'engineName'.toLowerCase()) { entry('carried', `DMS engine ${engineName}`, role === 'source' ? 'source.engine' : 'targets[0].type'); continue; }
    if (lower === 'endpointidentifier') { entry(role === 'target' ? 'carried' : 'informational', role === 'target' ? 'the target\'s name' : 'names the password variable', role === 'target' ? 'targets[0].name' : undefined); continue; }
    if (INFO_FIELDS[lower] !== undefined) { entry('informational', INFO_FIELDS[lower]); continue; }
    if (f.value === null || f.value === '') { entry('same', 'not set'); continue; }
    const h = handlers[lower];
    if (!h) { entry('not-carried', `${role === 'source' ? 'source' : engine} endpoint setting with no Ferry counterpart`); continue; }
    h(f.value, {
      set: (key, value, note) => {
        const isSetting = key.startsWith('settings.');
        const tgt = isSetting ? settings : block;
        const k = isSetting ? key.slice('settings.'.length) : key;
        const existing = getPath(tgt, k);
        if (existing !== undefined && existing !== value) { entry('not-carried', `${key} is already ${JSON.stringify(existing)} from another key of this endpoint`); return; }
        setPath(tgt, k, value);
        entry('carried', note ?? '', isSetting ? key : `${prefix}.${key}`);
      },
      same: (note) => entry('same', note),
      not: (reason) => entry('not-carried', reason),
      info: (reason) => entry('informational', reason),
    }, all);
  }
  const ref = `\${env:${passwordVariable(id)}}`;
  if (role === 'source' || engine === 'postgres' || engine === 'mysql') block.password = ref;
  else if (engine === 'redshift') setPath(block, 'connection.password', ref);
  else if (engine === 'kafka' && isRecord(block.sasl)) block.sasl.password = ref;
  if (role === 'source' || ['postgres', 'mysql', 'redshift'].includes(engine) || (engine === 'kafka' && isRecord(block.sasl))) variables.push(passwordVariable(id));
  const finished = finishBlock(engine, role, id, e, block, all);
  return { block: { ...finished, ...(Object.keys(settings).length > 0 ? { '(settings)': settings } : {}) }, entries, variables };
}

function finishBlock(engine: string, role: 'source' | 'target', id: string, _e: Readonly<Record<string, unknown>>, block: Record<string, unknown>, all: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (role === 'source') return { engine, ...block };
  if (engine === 's3') {
    const bucket = field(all, 'bucketname');
    const folder = String(field(all, 'bucketfolder') ?? '').replace(/^\/+|\/+$/g, '');
    if (typeof bucket !== 'string' || bucket === '') throw new FerryError('FERRY_USAGE', `the S3 target endpoint "${id}" has no BucketName`);
    return { type: format(all), name: id, location: `s3://${bucket}${folder ? `/${folder}` : ''}`, ...block };
  }
  if (engine === 'kinesis') {
    const arn = String(field(all, 'streamarn') ?? '');
    if (arn === '') throw new FerryError('FERRY_USAGE', `the Kinesis target endpoint "${id}" has no StreamArn`);
    const region = /^arn:aws[\w-]*:kinesis:([a-z0-9-]+):/.exec(arn)?.[1];
    return { type: 'kinesis', name: id, stream: arn, ...block, ...(region ? { client: { region } } : {}) };
  }
  if (engine === 'dynamodb') return { type: 'dynamodb', name: id, ...block };
  if (engine === 'redshift') {
    const bucket = field(all, 'bucketname');
    const folder = String(field(all, 'bucketfolder') ?? '').replace(/^\/+|\/+$/g, '');
    return { type: 'redshift', name: id, ...block, ...(typeof bucket === 'string' && bucket !== '' ? { staging: { location: `s3://${bucket}${folder ? `/${folder}` : ''}` } } : {}) };
  }
  return { type: engine, name: id, ...block };
}

function getPath(o: Record<string, unknown>, dotted: string): unknown {
  let cur: unknown = o;
  for (const k of dotted.split('.')) cur = isRecord(cur) ? cur[k] : undefined;
  return cur;
}
function setPath(o: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let cur = o;
  for (const k of keys.slice(0, -1)) cur = (isRecord(cur[k]) ? cur[k] : (cur[k] = {})) as Record<string, unknown>;
  cur[keys[keys.length - 1]!] = value;
}
