// The shared `ssl` declaration (runtime/src/config/tls-settings.ts): defaults, refusals, the key kept secret, and the
// exact mysql2 and node-postgres options each mode becomes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describeSsl, mysql2Ssl, pgSsl, sslSchema, tlsVerificationOffWarning, warnIfTlsUnverified } from '../../../src/config/tls-settings.ts';
import { sourceConnectionShape } from '../../../src/config/source-schema.ts';
import { z } from 'zod';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC-secret-key-body\n-----END PRIVATE KEY-----';

test('an ssl block without mode means verify-full; a source without ssl has none (plain, as before)', () => {
  assert.equal(sslSchema.parse({}).mode, 'verify-full');
  assert.equal(sslSchema.parse({ ca: CA }).mode, 'verify-full');
  const source = z.strictObject(sourceConnectionShape).parse({ host: 'h', user: 'u', password: 'p' });
  assert.equal(source.ssl, undefined);
  assert.equal(mysql2Ssl(source.ssl, 'h'), undefined);
  assert.equal(pgSsl(source.ssl), false);
});

test('refusals: not PEM, cert without key, ca with require, material with disable, unknown keys', () => {
  const issues = (v: unknown) => sslSchema.safeParse(v).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
  assert.deepEqual(issues({ ca: '/etc/ssl/ca.pem' }), ['ca: expected certificates as PEM text (-----BEGIN …-----); to read a file, write ${file:path}']);
  assert.deepEqual(issues({ cert: CERT }), ['key: cert and key go together (mutual TLS): give both, or neither']);
  assert.deepEqual(issues({ key: KEY }), ['cert: cert and key go together (mutual TLS): give both, or neither']);
  assert.deepEqual(issues({ mode: 'require', ca: CA }), ['ca: mode require does not check the certificate, so ca would be ignored: use mode verify-ca or verify-full to check it against ca, or remove ca']);
  assert.deepEqual(issues({ mode: 'disable', cert: CERT, key: KEY }), ['cert: mode disable uses no TLS: remove ca/cert/key, or choose a TLS mode (verify-full)']);
  assert.equal(issues({ mode: 'prefer' }).length, 1);
  assert.equal(issues({ sslmode: 'require' }).length, 1);
  // an unresolved reference is reported by the secret resolver, not as "not PEM"
  assert.deepEqual(issues({ ca: '${file:ca.pem}' }), []);
});

test('the key is a Secret: it prints as *** and is revealed only into the driver options', () => {
  const s = sslSchema.parse({ ca: CA, cert: CERT, key: KEY });
  assert.ok(!inspect(s).includes('secret-key-body'));
  assert.ok(!JSON.stringify(s).includes('secret-key-body'));
  assert.equal(mysql2Ssl(s, 'h')?.key, KEY);
  assert.equal((pgSsl(s) as { key?: string }).key, KEY);
  const js = z.toJSONSchema(sslSchema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, { secret?: boolean }> };
  assert.equal(js.properties.key?.secret, true);
  assert.equal(js.properties.ca?.secret, undefined);
});

test('mysql2 options per mode: verify-full names the host for Ferry\'s own check (mysql2-host-check.ts), mysql2\'s is off', () => {
  const p = (v: unknown, host = 'db.example.com') => mysql2Ssl(sslSchema.parse(v), host);
  assert.equal(p({ mode: 'disable' }), undefined);
  assert.deepEqual(p({ mode: 'require' }), { rejectUnauthorized: false, verifyIdentity: false });
  assert.deepEqual(p({ mode: 'verify-ca', ca: CA }), { rejectUnauthorized: true, verifyIdentity: false, ca: CA });
  assert.deepEqual(p({ ca: CA }), { rejectUnauthorized: true, verifyIdentity: false, ferryVerifyHost: 'db.example.com', ca: CA });
  assert.deepEqual(p({ mode: 'verify-full' }, '10.0.0.5'), { rejectUnauthorized: true, verifyIdentity: false, ferryVerifyHost: '10.0.0.5' });
  assert.deepEqual(p({ ca: CA, cert: CERT, key: KEY }), { rejectUnauthorized: true, verifyIdentity: false, ferryVerifyHost: 'db.example.com', ca: CA, cert: CERT, key: KEY });
  assert.deepEqual(p({ mode: 'require', cert: CERT, key: KEY }), { rejectUnauthorized: false, verifyIdentity: false, cert: CERT, key: KEY });
});

test('node-postgres options per mode (verify-ca skips only the host-name check)', () => {
  const p = (v: unknown) => pgSsl(sslSchema.parse(v));
  assert.equal(p({ mode: 'disable' }), false);
  assert.deepEqual(p({ mode: 'require' }), { rejectUnauthorized: false });
  const ca = p({ mode: 'verify-ca', ca: CA }) as Record<string, unknown>;
  assert.deepEqual(Object.keys(ca).sort(), ['ca', 'checkServerIdentity', 'rejectUnauthorized']);
  assert.equal(ca.rejectUnauthorized, true);
  assert.equal((ca.checkServerIdentity as () => unknown)(), undefined);
  assert.deepEqual(p({ ca: CA, cert: CERT, key: KEY }), { rejectUnauthorized: true, ca: CA, cert: CERT, key: KEY });
});

test('mode require warns at start, naming the endpoint and the fix; the others do not', () => {
  const lines: string[] = [];
  const log = { warn: (_o: object | string, msg?: string) => { lines.push(msg ?? ''); } };
  warnIfTlsUnverified(sslSchema.parse({ mode: 'require' }), 'mariadb at h:3306', 'source.ssl', log);
  warnIfTlsUnverified(sslSchema.parse({}), 'mariadb at h:3306', 'source.ssl', log);
  warnIfTlsUnverified(undefined, 'mariadb at h:3306', 'source.ssl', log);
  assert.deepEqual(lines, [tlsVerificationOffWarning('mariadb at h:3306', 'source.ssl')]);
  assert.equal(lines[0], 'TLS to mariadb at h:3306 does not verify the server certificate (source.ssl.mode: require): the connection is encrypted, but anyone able to intercept it can impersonate the server. Set source.ssl.mode: verify-full and source.ssl.ca to verify it');
  assert.equal(describeSsl(sslSchema.parse({ ca: CA, cert: CERT, key: KEY })), 'TLS verify-full, own CA, client certificate');
  assert.equal(describeSsl(undefined), 'no TLS');
});
