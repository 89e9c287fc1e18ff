// settings.cdcStartPosition / cdcStartTime / cdcStopPosition: the forms each engine accepts, what they parse to, and the
// task-level refusals (start points only with migrationType cdc).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cdcWindowProblems, parseCdcTime, parseCdcWindow } from '../../../src/config/cdc-window-settings.ts';
import { settingsSchema } from '../../../src/config/settings-schema.ts';

test('native start positions per engine', () => {
  assert.deepEqual(parseCdcWindow({ cdcStartPosition: 'mysql-bin.000042:1234' }, 'mysql').start, { kind: 'binlog', file: 'mysql-bin.000042', pos: 1234 });
  assert.deepEqual(parseCdcWindow({ cdcStartPosition: '0-1-42,1-2-7' }, 'mariadb').start, { kind: 'gtid', gtidSet: '0-1-42,1-2-7' });
  assert.deepEqual(parseCdcWindow({ cdcStartPosition: '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5' }, 'mysql').start, { kind: 'gtid', gtidSet: '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5' });
  assert.deepEqual(parseCdcWindow({ cdcStartPosition: '16/b374d848' }, 'postgres').start, { kind: 'lsn', lsn: '16/B374D848' });
  assert.throws(() => parseCdcWindow({ cdcStartPosition: '16/B374D848' }, 'mysql'), /is not a binlog position: expected "file:position"/);
  assert.throws(() => parseCdcWindow({ cdcStartPosition: 'mysql-bin.000042:1234' }, 'postgres'), /is not a PostgreSQL LSN/);
});

test('times: ISO 8601 (no zone = UTC) or epoch seconds', () => {
  assert.equal(parseCdcTime('2026-12-06T19:00:00', 'x'), Date.UTC(2026, 11, 6, 19, 0, 0));
  assert.equal(parseCdcTime('2026-12-06T19:00:00+02:00', 'x'), Date.UTC(2026, 11, 6, 17, 0, 0));
  assert.equal(parseCdcTime('1796583600', 'x'), 1796583600000);
  assert.throws(() => parseCdcTime('yesterday', 'settings.cdcStartTime'), /settings.cdcStartTime "yesterday" is not a time/);
  assert.deepEqual(parseCdcWindow({ cdcStartTime: '2026-12-06T19:00:00.250Z' }, 'postgres').start, { kind: 'time', ms: Date.UTC(2026, 11, 6, 19, 0, 0, 250) });
});

test('stop points: server_time, commit_time, native positions', () => {
  assert.deepEqual(parseCdcWindow({ cdcStopPosition: 'server_time:2026-12-06T19:30:00' }, 'mysql').stop, { kind: 'time', ms: Date.UTC(2026, 11, 6, 19, 30), text: 'server_time:2026-12-06T19:30:00' });
  assert.deepEqual(parseCdcWindow({ cdcStopPosition: 'commit_time:2026-12-06T19:30:00Z' }, 'postgres').stop, { kind: 'time', ms: Date.UTC(2026, 11, 6, 19, 30), text: 'commit_time:2026-12-06T19:30:00Z' });
  assert.deepEqual(parseCdcWindow({ cdcStopPosition: 'mariadb-bin.000003:4711' }, 'mariadb').stop, { kind: 'binlog', file: 'mariadb-bin.000003', pos: 4711, text: 'mariadb-bin.000003:4711' });
  assert.deepEqual(parseCdcWindow({ cdcStopPosition: '0/16B3748' }, 'postgres').stop, { kind: 'lsn', lsn: '0/16B3748', text: '0/16B3748' });
  assert.throws(() => parseCdcWindow({ cdcStopPosition: '0-1-42' }, 'mariadb'), /is not a stop point: expected server_time:<ISO time>, commit_time:<ISO time>, or a binlog "file:position"/);
});

test('start points need migrationType cdc; stop points a streaming task', () => {
  assert.deepEqual(cdcWindowProblems({ migrationType: 'cdc', settings: { cdcStartTime: '2026-12-06T19:00:00Z', cdcStopPosition: 'server_time:2026-12-06T20:00:00' } }), []);
  const p = cdcWindowProblems({ migrationType: 'full-load-and-cdc', settings: { cdcStartPosition: '0/1', cdcStopPosition: '0/2' } });
  assert.deepEqual(p.map((x) => x.path.join('.')), ['settings.cdcStartPosition']);
  assert.match(p[0]!.message, /^cdcStartPosition needs migrationType cdc/);
  assert.deepEqual(cdcWindowProblems({ migrationType: 'full-load', settings: { cdcStopPosition: '0/2' } }).map((x) => x.message), ['cdcStopPosition stops change capture, and a full-load task has none']);
  assert.deepEqual(cdcWindowProblems({ migrationType: 'cdc', settings: { cdcStartPosition: '0/1', cdcStartTime: '1796583600' } }).map((x) => x.message), ['give cdcStartPosition or cdcStartTime, not both']);
  assert.match(cdcWindowProblems({ migrationType: 'cdc', settings: { cdcStopPosition: 'server_time:soon' } })[0]!.message, /is not a time/);
});

test('the settings keys are declared with their stable names', () => {
  const s = settingsSchema.parse({ cdcStartPosition: ' 0/1 ', cdcStartTime: '1796583600', cdcStopPosition: 'commit_time:2026-12-06T20:00:00' });
  assert.equal(s.cdcStartPosition, '0/1');
  assert.equal(s.cdcStartTime, '1796583600');
  assert.equal(s.cdcStopPosition, 'commit_time:2026-12-06T20:00:00');
  assert.throws(() => settingsSchema.parse({ cdcStartTime: 'noon' }), /expected an ISO 8601 time/);
});
