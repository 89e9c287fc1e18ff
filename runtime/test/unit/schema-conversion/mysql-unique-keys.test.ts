import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConvertedTable } from '../../../src/schema-conversion/convert.ts';
import { uniqueAsPlainIndex, uniqueKeyPromotions } from '../../../src/schema-conversion/mysql-unique-keys.ts';

test('secondary unique keys become plain indexes of the same name, and the promotions restore them', () => {
  assert.equal(uniqueAsPlainIndex('CONSTRAINT `u``x` UNIQUE (`a`, `b`)'), 'KEY `u``x` (`a`, `b`)');
  assert.equal(uniqueAsPlainIndex('CREATE UNIQUE INDEX `ix` ON `d`.`t` (`c`(255))'), 'CREATE INDEX `ix` ON `d`.`t` (`c`(255))');
  assert.equal(uniqueAsPlainIndex('CONSTRAINT `ck` CHECK (`a` > 0)'), 'CONSTRAINT `ck` CHECK (`a` > 0)');
  assert.equal(uniqueAsPlainIndex('CREATE INDEX `i` ON `d`.`t` (`c`)'), 'CREATE INDEX `i` ON `d`.`t` (`c`)');
  const t = { ddl: { constraints: [{ kind: 'unique', sql: 'CONSTRAINT `u``x` UNIQUE (`a`, `b`)' }, { kind: 'check', sql: 'CONSTRAINT `ck` CHECK (`a` > 0)' }],
    indexes: ['CREATE UNIQUE INDEX `ix` ON `d`.`t` (`c`(255))', 'CREATE INDEX `i` ON `d`.`t` (`c`)'] } } as unknown as ConvertedTable;
  assert.deepEqual(uniqueKeyPromotions(t, '`d`.`t`'), [
    { name: 'u`x', sql: 'ALTER TABLE `d`.`t` DROP INDEX `u``x`, ADD CONSTRAINT `u``x` UNIQUE (`a`, `b`)' },
    { name: 'ix', sql: 'ALTER TABLE `d`.`t` DROP INDEX `ix`, ADD UNIQUE INDEX `ix` (`c`(255))' },
  ]);
});
