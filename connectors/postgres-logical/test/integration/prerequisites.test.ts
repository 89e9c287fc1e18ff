import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from '../../../../runtime/src/config/secrets.ts';
import { createTableSelector } from '../../../../runtime/src/mapping/table-selection.ts';
import { checkPgPrerequisites } from '../../src/prerequisites.ts';
import { createSchema, DATABASE, includeSchema, PG_PORT, type TestSchema } from './helpers.ts';

let s: TestSchema;
const cfg = { host: '127.0.0.1', port: PG_PORT, user: 'cdc', password: new Secret('cdc'), database: DATABASE, connectTimeoutMs: 5000 };

before(async () => {
  s = await createSchema('ferry_it_prereq');
  await s.owner.query('CREATE TABLE ok_full (id int PRIMARY KEY, body text)');
  await s.owner.query('ALTER TABLE ok_full REPLICA IDENTITY FULL');
  await s.owner.query('CREATE TABLE bad_toast (id int PRIMARY KEY, body text)');
  await s.owner.query('CREATE TABLE nokey_default (x int)');
  await s.owner.query('CREATE TABLE nokey_full (x int)');
  await s.owner.query('ALTER TABLE nokey_full REPLICA IDENTITY FULL');
  await s.owner.query('CREATE TABLE small (id int PRIMARY KEY, code varchar(10))');
  await s.admin.query('CREATE TABLE not_mine (id int PRIMARY KEY)');
});

after(async () => { await s.drop(); });

test('validate with a table selection: per-table key / REPLICA IDENTITY / TOAST checks, each with its fix', async () => {
  const selector = createTableSelector(includeSchema(s.schema, ['not_mine']));
  const results = await checkPgPrerequisites(cfg, { selector, publicationName: `ferry_${s.schema}`, managedPublication: true });
  const by = new Map(results.map((r) => [r.check, r]));
  const t = (name: string) => by.get(`postgres.table.${s.schema}.${name}`)!;
  assert.equal(by.get('postgres.wal_level')!.status, 'ok', 'the server checks still run');
  assert.equal(t('ok_full').status, 'ok');
  assert.equal(t('small').status, 'ok', 'bounded small rows cannot be TOASTed: DEFAULT identity is enough');
  // TOAST-able under DEFAULT: advice by default (source.unchangedToast: lookup reads unchanged values by key) ...
  const advice = by.get(`postgres.toast.${s.schema}.bad_toast`)!;
  assert.equal(advice.status, 'warn');
  assert.match(advice.message, /can be TOASTed.*reads it by primary key/);
  assert.match(advice.fix!, new RegExp(`ALTER TABLE "${s.schema}"\\."bad_toast" REPLICA IDENTITY FULL`));
  // ... and a failure with source.unchangedToast: fail
  const strict = await checkPgPrerequisites(cfg, { selector, publicationName: `ferry_${s.schema}`, managedPublication: true, unchangedToast: 'fail' });
  const bad = strict.find((r) => r.check === `postgres.table.${s.schema}.bad_toast`)!;
  assert.equal(bad.status, 'fail');
  assert.equal(bad.fix, `ALTER TABLE "${s.schema}"."bad_toast" REPLICA IDENTITY FULL, or set source.unchangedToast: lookup (values read by key)`);
  assert.equal(bad.code, 'FERRY_SOURCE_PREREQUISITE');
  assert.equal(t('nokey_default').status, 'fail');
  assert.match(t('nokey_default').message, /no primary key.*UPDATEs and DELETEs would fail/);
  assert.equal(t('nokey_full').status, 'warn');
  assert.match(t('nokey_full').message, /null key/);
  assert.equal(by.get('postgres.publication')!.status, 'ok');
  assert.match(by.get('postgres.publication')!.message, /Ferry manages publication/);
});

test('publication checks: Ferry cannot manage a publication over tables it does not own; a named publication must cover the selection', async () => {
  const withForeign = createTableSelector(includeSchema(s.schema));
  const managed = await checkPgPrerequisites(cfg, { selector: withForeign, publicationName: `ferry_${s.schema}_m`, managedPublication: true });
  const pm = managed.find((r) => r.check === 'postgres.publication')!;
  assert.equal(pm.status, 'fail');
  assert.match(pm.message, new RegExp(`does not own ${s.schema}\\.not_mine \\(owner postgres\\)`));
  assert.equal(pm.code, 'FERRY_SOURCE_PRIVILEGES');

  const name = `pub_${s.schema}`;
  const missing = await checkPgPrerequisites(cfg, { selector: withForeign, publicationName: name, managedPublication: false });
  assert.match(missing.find((r) => r.check === 'postgres.publication')!.message, /does not exist/);
  await s.admin.query(`CREATE PUBLICATION ${name} FOR TABLE ${s.schema}.not_mine, ${s.schema}.small`);
  try {
    const partial = await checkPgPrerequisites(cfg, { selector: withForeign, publicationName: name, managedPublication: false });
    const pp = partial.find((r) => r.check === 'postgres.publication')!;
    assert.equal(pp.status, 'fail');
    assert.match(pp.message, /owned by postgres\) does not publish .*ok_full/);
    const onlyThose = createTableSelector({ rules: [
      { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'a', 'rule-action': 'include', 'object-locator': { 'schema-name': s.schema, 'table-name': 'not_mine' } },
      { 'rule-type': 'selection', 'rule-id': '2', 'rule-name': 'b', 'rule-action': 'include', 'object-locator': { 'schema-name': s.schema, 'table-name': 'small' } },
    ] } as never);
    const full = await checkPgPrerequisites(cfg, { selector: onlyThose, publicationName: name, managedPublication: false });
    assert.equal(full.find((r) => r.check === 'postgres.publication')!.status, 'ok');
    assert.deepEqual(full.filter((r) => r.status === 'fail'), []);
  } finally {
    await s.admin.query(`DROP PUBLICATION ${name}`);
  }
});
