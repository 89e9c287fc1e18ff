// The shared sink conformance suite (test/conformance/sink-suite.ts) against DynamoDB on moto: a table per test,
// read back by Scan with a client of its own (helpers/dynamo.ts); tombstones are not live rows.
import { registerSinkTests } from '../../../../test/conformance/sink-suite.ts';
import { dynamoDbSink } from '../../src/descriptor.ts';
import { DDB, itemCanonical, liveItems, scanAll } from '../helpers/dynamo.ts';

registerSinkTests(dynamoDbSink, {
  type: 'dynamodb',
  async target(name) {
    return {
      options: { client: { ...DDB }, tableName: `${name}_{table}`, lob: { mode: 'dlq' } },
      read: async (t) => ({ rows: liveItems(await scanAll(`${name}_${t.table}`)).map((i) => itemCanonical(i)) }),
    };
  },
  // An item over DynamoDB's 400 KB limit with lob.mode dlq (the LOB rule, lob.test.ts).
  poison: { after: (row) => ({ ...row, note: 'x'.repeat(450_000) }), reason: /over the 400000-byte DynamoDB item limit/ },
});
