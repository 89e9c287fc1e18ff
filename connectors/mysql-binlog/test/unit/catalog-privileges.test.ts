import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blindSpots, grantsOnTable, parseGrant, schemaMatches, seesAllRoutines, unknownGrants, type Grant } from '../../src/catalog-privileges.ts';

const g = (line: string): Grant => {
  const p = parseGrant(line);
  assert.ok(p, line);
  return p;
};

test('parseGrant: SHOW GRANTS lines of MariaDB and MySQL 8, column lists, routines; role and proxy lines give nothing', () => {
  assert.deepEqual(g("GRANT USAGE ON *.* TO `ferry`@`%` IDENTIFIED BY PASSWORD '*B69027D44F6E5EDC07F1AEAD1477967B16F28227'"), { privileges: ['USAGE'], schema: null, table: null, routine: false });
  assert.deepEqual(g('GRANT SELECT, RELOAD, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `cdc`@`%`'), { privileges: ['SELECT', 'RELOAD', 'REPLICATION SLAVE', 'BINLOG MONITOR'], schema: null, table: null, routine: false });
  assert.deepEqual(g('GRANT SELECT, TRIGGER ON `shop\\_%`.* TO `ferry`@`%`'), { privileges: ['SELECT', 'TRIGGER'], schema: 'shop\\_%', table: null, routine: false });
  assert.deepEqual(g('GRANT SELECT (`a`, `b, c`), TRIGGER ON `db`.`odd ``t``` TO `u`@`localhost`'), { privileges: ['SELECT', 'TRIGGER'], schema: 'db', table: 'odd `t`', routine: false });
  assert.deepEqual(g('GRANT EXECUTE, ALTER ROUTINE ON PROCEDURE `db`.`p1` TO `u`@`%`'), { privileges: ['EXECUTE', 'ALTER ROUTINE'], schema: 'db', table: 'p1', routine: true });
  assert.deepEqual(g('GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION'), { privileges: ['ALL PRIVILEGES'], schema: null, table: null, routine: false });
  assert.deepEqual(g('GRANT SHOW_ROUTINE,SELECT ON *.* TO `u`@`%`'), { privileges: ['SHOW_ROUTINE', 'SELECT'], schema: null, table: null, routine: false });
  assert.deepEqual(g('GRANT EXECUTE, TRIGGER ON `b_priv`.* TO `bprole`'), { privileges: ['EXECUTE', 'TRIGGER'], schema: 'b_priv', table: null, routine: false });
  assert.equal(parseGrant('GRANT `bprole` TO `bpriv`@`%`'), null);
  assert.equal(parseGrant('GRANT PROXY ON ``@`%` TO `root`@`localhost` WITH GRANT OPTION'), null);
  assert.equal(parseGrant('SET DEFAULT ROLE `bprole` FOR `bpriv`@`%`'), null);
});

test('schemaMatches: a database grant is a LIKE pattern; \\_ and \\% are literal', () => {
  assert.equal(schemaMatches('shop', 'shop'), true);
  assert.equal(schemaMatches('shop', 'Shop'), false);
  assert.equal(schemaMatches('shop_1', 'shopX1'), true, 'an unescaped _ matches any character');
  assert.equal(schemaMatches('shop\\_1', 'shopX1'), false);
  assert.equal(schemaMatches('shop\\_1', 'shop_1'), true);
  assert.equal(schemaMatches('shop%', 'shop_eu.x'), true);
  assert.equal(schemaMatches('a.b', 'aXb'), false, 'regex characters are literal');
});

test('grantsOnTable / seesAllRoutines: global, database (pattern), table; routine grants do not count for tables', () => {
  const id = { schema: 'shop', table: 'orders' };
  assert.equal(grantsOnTable([g('GRANT SELECT ON `shop`.* TO `u`@`%`')], ['TRIGGER'], id), false);
  assert.equal(grantsOnTable([g('GRANT TRIGGER ON *.* TO `u`@`%`')], ['TRIGGER'], id), true);
  assert.equal(grantsOnTable([g('GRANT TRIGGER ON `sh%`.* TO `u`@`%`')], ['TRIGGER'], id), true);
  assert.equal(grantsOnTable([g('GRANT TRIGGER ON `shop`.`orders` TO `u`@`%`')], ['TRIGGER'], id), true);
  assert.equal(grantsOnTable([g('GRANT TRIGGER ON `shop`.`items` TO `u`@`%`')], ['TRIGGER'], id), false);
  assert.equal(grantsOnTable([g('GRANT ALL PRIVILEGES ON `shop`.* TO `u`@`%`')], ['TRIGGER'], id), true);
  assert.equal(grantsOnTable([g('GRANT EXECUTE ON PROCEDURE `shop`.`orders` TO `u`@`%`')], ['EXECUTE'], id), false);
  assert.equal(seesAllRoutines([g('GRANT SELECT ON `shop`.* TO `u`@`%`')], true), false);
  assert.equal(seesAllRoutines([g('GRANT SELECT ON `mysql`.`proc` TO `u`@`%`')], true), true);
  assert.equal(seesAllRoutines([g('GRANT SELECT ON `mysql`.* TO `u`@`%`')], true), true);
  assert.equal(seesAllRoutines([g('GRANT SELECT ON `mysql`.`proc` TO `u`@`%`')], false), false, 'MySQL 8 has no mysql.proc');
  assert.equal(seesAllRoutines([g('GRANT SHOW_ROUTINE ON *.* TO `u`@`%`')], false), true);
  assert.equal(seesAllRoutines([g('GRANT SELECT ON *.* TO `u`@`%`')], false), true);
});

test('blindSpots: one warning per schema naming the tables without TRIGGER; routines only where a body was hidden or may be (global SELECT covers mysql.proc)', () => {
  const tables = [{ schema: 's1', table: 'a' }, { schema: 's1', table: 'b' }, { schema: 's2', table: 'c' }];
  const grants = [g('GRANT SELECT ON *.* TO `u`@`%`'), g('GRANT TRIGGER ON `s1`.`b` TO `u`@`%`'), g('GRANT TRIGGER ON `s2`.* TO `u`@`%`')];
  const spots = blindSpots({ user: 'u@%', grants, isMariaDb: true, serverVersion: '11.4.2-MariaDB', tables, hiddenBodies: [{ schema: 's2', name: 'f', kind: 'function' }] });
  assert.deepEqual(spots.map((b) => [b.kind, b.object, b.fix]), [
    ['trigger', 's1', "GRANT TRIGGER ON `s1`.* TO 'u'@'%' (or on each table), then run convert-schema again"],
    ['procedure', 's2', "GRANT SHOW CREATE ROUTINE ON *.* TO 'u'@'%', then run convert-schema again"],
  ]);
  assert.match(spots[0]!.reason, /lacks the TRIGGER privilege on 1 selected table \(a\)/);
  assert.match(spots[1]!.reason, /the bodies of function f were not readable/);
  assert.deepEqual(blindSpots({ user: 'u@%', grants: [g('GRANT SELECT, TRIGGER ON `s1`.* TO `u`@`%`')], isMariaDb: true, serverVersion: '10.11.9-MariaDB', tables: tables.slice(0, 2), hiddenBodies: [] }).map((b) => [b.kind, b.fix]),
    [['procedure', "GRANT SELECT ON mysql.proc TO 'u'@'%', then run convert-schema again"]], 'MariaDB before 11.3: mysql.proc');
  assert.deepEqual(blindSpots({ user: 'root@localhost', grants: [g('GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION')], isMariaDb: false, serverVersion: '8.4.0', tables, hiddenBodies: [] }), []);
  assert.equal(blindSpots({ user: 'u@%', grants: [g('GRANT TRIGGER ON *.* TO `u`@`%`')], isMariaDb: false, serverVersion: '8.4.0', tables, hiddenBodies: [] })[0]!.fix, "GRANT SHOW_ROUTINE ON *.* TO 'u'@'%', then run convert-schema again");
});

test('unknownGrants: SHOW GRANTS unreadable: triggers and routines may be missing, said per schema', () => {
  const spots = unknownGrants([{ schema: 's1', table: 'a' }, { schema: 's1', table: 'b' }], new Error('denied'));
  assert.deepEqual(spots.map((b) => [b.kind, b.object]), [['trigger', 's1'], ['procedure', 's1']]);
  assert.match(spots[0]!.reason, /SHOW GRANTS: denied/);
});
