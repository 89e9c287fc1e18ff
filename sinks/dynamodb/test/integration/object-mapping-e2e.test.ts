// The DMS guide's DynamoDB "Example 1" end to end from a real source: MariaDB tables created with the guide's
// `desc nfl_data` / `desc sport_team` → ferry run (direct mode, and Kafka mode with ferry sink) → DynamoDB on moto,
// with the guide's object-mapping rules and a rename rule on sport_team (object locators name the source table, so
// the rule still applies). Full load, then an update and a delete; the items are read back with Scan by the test's own
// client and compared with the guide's sample output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { DeleteTableCommand, DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { parseTask } from '../../../../app/src/task-file/load-task.ts';
import { runTask } from '../../../../app/src/task/TaskRunner.ts';
import { runTaskSinkWorkers } from '../../../../app/src/task/targets.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { services, uniqueName } from '../../../../test/helpers/services.ts';
import { NFL_ITEM, nflRules, TEAM_ITEM } from '../../../../runtime/test/unit/mapping/object-mapping-guide.ts';
import { DDB, scanAll } from '../helpers/dynamo.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function plain(v: AttributeValue): unknown {
  if (v.S !== undefined) return v.S;
  if (v.N !== undefined) return Number(v.N);
  throw new Error(`unexpected ${JSON.stringify(v)}`);
}
const plainItems = (items: Record<string, AttributeValue>[]) => items.filter((i) => !i._ferry_deleted).map((i) => Object.fromEntries(Object.entries(i).filter(([k]) => k !== '_ferry_pos').map(([k, v]) => [k, plain(v)])));

async function until(what: () => Promise<unknown>, want: unknown, ms = 60000): Promise<unknown> {
  const deadline = Date.now() + ms;
  let got: unknown;
  while (Date.now() < deadline) {
    got = await what();
    try {
      assert.deepEqual(got, want);
      return got;
    } catch {
      await sleep(500);
    }
  }
  return got;
}

async function scenario(kafka: boolean): Promise<void> {
  const db = uniqueName(kafka ? 'ferry_omk' : 'ferry_omd');
  const nflTarget = `${db}_NFLTeams`;
  const teamTarget = `${db}_SportTeams`;
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.nfl_data (Position varchar(5), player_number smallint(6), Name varchar(40), status varchar(10), stat1 varchar(10), stat1_val varchar(10),
    stat2 varchar(10), stat2_val varchar(10), stat3 varchar(10), stat3_val varchar(10), stat4 varchar(10), stat4_val varchar(10), team varchar(10))`);
  await admin.query(`CREATE TABLE ${db}.sport_team (id mediumint(9) NOT NULL AUTO_INCREMENT PRIMARY KEY, name varchar(30) NOT NULL, abbreviated_name varchar(10),
    home_field_id smallint(6), sport_type_name varchar(15) NOT NULL, sport_league_short_name varchar(10) NOT NULL, sport_division_short_name varchar(10), KEY (home_field_id), KEY (sport_type_name))`);
  await admin.query(`INSERT INTO ${db}.nfl_data VALUES ('P', 6, 'Allen, Ryan', 'ACT', 'PUNTS', '73', 'AVG', '46', 'LNG', '67', 'IN 20', '31', 'NE')`);
  await admin.query(`INSERT INTO ${db}.sport_team VALUES (11, 'Indianapolis Colts', 'IND', 53, 'football', 'NFL', 'AFC South')`);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-om-e2e-'));
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: {
      rules: [
        { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': '1', 'object-locator': { 'schema-name': db, 'table-name': 'nfl_data' }, 'rule-action': 'include' },
        { 'rule-type': 'selection', 'rule-id': '2', 'rule-name': '2', 'object-locator': { 'schema-name': db, 'table-name': 'sport_team' }, 'rule-action': 'include' },
        ...nflRules(db, nflTarget, teamTarget),
        { 'rule-type': 'transformation', 'rule-id': '5', 'rule-name': 'rename', 'rule-action': 'rename', 'rule-target': 'table', 'object-locator': { 'schema-name': db, 'table-name': 'sport_team' }, value: 'teams' },
      ],
    },
    ...(kafka ? { kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, partitions: 1 } } : {}),
    targets: [{ type: 'dynamodb', name: 'ddb', client: DDB, deletes: 'delete', maxBatchDelayMs: 100 }],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxEvents: 500, maxDelayMs: 20 } },
  });
  const stop = new AbortController();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const running = runTask({ task, log: quietLog(), metrics, serveMetrics: false }, stop.signal);
  const workers = kafka ? runTaskSinkWorkers({ task, log: quietLog(), metrics }, stop.signal) : Promise.resolve({});
  const scan = async (t: string) => plainItems(await scanAll(t).catch(() => []));
  try {
    // Full load: the guide's sample output, item for item.
    assert.deepEqual(await until(() => scan(nflTarget), [NFL_ITEM]), [NFL_ITEM]);
    assert.deepEqual(await until(() => scan(teamTarget), [TEAM_ITEM]), [TEAM_ITEM]);
    // Changes: an update of the player (same key), a team's new name (its key moves), then its delete.
    await admin.query(`UPDATE ${db}.nfl_data SET status = 'IR' WHERE Name = 'Allen, Ryan'`);
    await admin.query(`UPDATE ${db}.sport_team SET name = 'Indy Colts' WHERE id = 11`);
    await admin.query(`INSERT INTO ${db}.sport_team VALUES (12, 'New England Patriots', 'NE', 54, 'football', 'NFL', 'AFC East')`);
    const player = { ...NFL_ITEM, status: 'IR', PlayerInfo: NFL_ITEM.PlayerInfo.replace('"ACT"', '"IR"') };
    assert.deepEqual(await until(() => scan(nflTarget), [player]), [player]);
    const indy = { ...TEAM_ITEM, TeamName: 'Indy Colts' };
    const pats = { abbreviated_name: 'NE', home_field_id: 54, sport_division_short_name: 'AFC East', sport_league_short_name: 'NFL', sport_type_name: 'football', TeamInfo: '{"League": "NFL","Division": "AFC East"}', TeamName: 'New England Patriots' };
    const byName = async () => (await scan(teamTarget)).sort((a, b) => String(a.TeamName).localeCompare(String(b.TeamName)));
    assert.deepEqual(await until(byName, [indy, pats]), [indy, pats], 'the renamed team moved to its new key; the old item is gone');
    await admin.query(`DELETE FROM ${db}.sport_team WHERE id = 11`);
    await admin.query(`DELETE FROM ${db}.nfl_data`);
    assert.deepEqual(await until(byName, [pats]), [pats]);
    assert.deepEqual(await until(() => scan(nflTarget), []), [], 'the keyless table\'s delete found the item by its mapped key');
  } finally {
    stop.abort();
    await running.catch(() => {});
    await workers.catch(() => {});
    await admin.query(`DROP DATABASE ${db}`);
    await admin.end();
    const c = new DynamoDBClient({ endpoint: DDB.endpoint, region: DDB.region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    for (const t of [nflTarget, teamTarget]) await c.send(new DeleteTableCommand({ TableName: t })).catch(() => {});
    c.destroy();
  }
}

test('direct mode: MariaDB → ferry run → DynamoDB with the guide\'s Example 1 rules', { timeout: 120000 }, () => scenario(false));
test('Kafka mode: MariaDB → ferry run → Kafka → ferry sink → DynamoDB with the guide\'s Example 1 rules', { timeout: 120000 }, () => scenario(true));
