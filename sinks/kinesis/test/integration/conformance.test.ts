// The shared sink conformance suite (test/conformance/sink-suite.ts) against Kinesis on moto: a stream per test,
// read back over every shard from TRIM_HORIZON and de-aggregated (helpers/kinesis.ts, helpers/state.ts), applying
// the DMS JSON documents in shard order. Kinesis has no idempotent put (delivery is at least once): the reader
// deduplicates on (source-stream, source-sequence) as docs/sinks/kinesis.md tells consumers to, so no duplicate
// count is reported.
import { registerSinkTests } from '../../../../test/conformance/sink-suite.ts';
import { COLUMNS_V2, NULL_TEXT, normalizeRead } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { kinesisSink } from '../../src/descriptor.ts';
import { createStream, KINESIS } from '../helpers/kinesis.ts';
import { streamState } from '../helpers/state.ts';

type Spec = (typeof COLUMNS_V2)[number];

/** A DMS JSON value (runtime/src/mapping/wire-json.ts documents the layout) as the kit's canonical text of its column. */
function jsonCanonical(c: Spec, v: unknown): string {
  if (v === null || v === undefined) return NULL_TEXT;
  const hex = (b64: string) => Buffer.from(b64, 'base64').toString('hex');
  switch (c.kind) {
    case 'bytes': return hex(c.type === 'point' ? (v as { wkb: string }).wkb : (v as string));
    case 'bool': return String(v);
    case 'timestamp': {
      const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z?$/.exec(String(v));
      return m ? `${m[1]} ${m[2]}.${(m[3] ?? '').padEnd(6, '0')}` : `bad timestamp ${String(v)}`;
    }
    default: return normalizeRead(c, String(v));
  }
}

registerSinkTests(kinesisSink, {
  type: 'kinesis',
  async target(name) {
    const stream = name.replace(/_/g, '-');
    await createStream(stream, 2);
    return {
      // Records over 64 KB are dead-lettered (the API allows 1 MiB; a lower limit makes the poison case cheap).
      options: { stream, client: { ...KINESIS }, maxRecordBytes: 65_536, aggregation: { enabled: true, maxBytes: 16_384 } },
      async read() {
        const s = await streamState(stream);
        return { rows: [...s.rows.values()].map((data) => COLUMNS_V2.map((c) => jsonCanonical(c, data[c.name])).join('|')) };
      },
    };
  },
  poison: { after: (row) => ({ ...row, note: 'x'.repeat(100_000) }), reason: /over the 65536-byte record limit/ },
});
