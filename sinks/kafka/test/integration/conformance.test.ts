// The shared sink conformance suite (test/conformance/sink-suite.ts) against the Kafka target sink, writing to the
// local Kafka (plaintext) into a topic per test (`<name>.{table}`), exactly-once (the default). The target topic is
// read with an independent read_committed consumer (helpers/target-reader.ts); each forwarded value is decoded
// through the schemas the records were framed with, and the changes are applied per partition in offset order
// (one key stays in one partition). A repeated (key, value) is a duplicate: exactly-once promises none.
import { registerSinkTests } from '../../../../test/conformance/sink-suite.ts';
import type { SinkColumn } from '../../../../core/src/record-sink.ts';
import { RecordDecoder } from '../../../../runtime/src/sink-worker/record-decoder.ts';
import { bytesToDecimal } from '../../../../schemas/src/decimal.ts';
import { COLUMNS_V2, NULL_TEXT, normalizeRead } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { services } from '../../../../test/helpers/sink-kit/services.ts';
import { kafkaSink } from '../../src/descriptor.ts';
import { readTarget } from '../helpers/target-reader.ts';

type Spec = (typeof COLUMNS_V2)[number];

const pad = (n: bigint, w = 2) => n.toString().padStart(w, '0');
const big = (v: unknown) => (typeof v === 'bigint' ? v : BigInt(v as number));

/** µs since the epoch (UTC) → 'YYYY-MM-DD HH:MM:SS.ffffff'. */
function micros(us: bigint): string {
  const frac = ((us % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const d = new Date(Number((us - frac) / 1000n));
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)}.${pad(frac, 6)}`;
}

/** A Debezium wire value (docs/event-format.md §5) as the kit's canonical text of its column. */
function wireCanonical(spec: Spec, col: SinkColumn | undefined, v: unknown): string {
  if (v === null || v === undefined || col === undefined) return NULL_TEXT;
  const t = col.type;
  switch (t.logical) {
    case 'org.apache.kafka.connect.data.Decimal': return bytesToDecimal(v as Uint8Array, Number(t.params?.scale ?? 0));
    case 'io.debezium.data.VariableScaleDecimal': { const x = v as { scale: number; value: Uint8Array }; return bytesToDecimal(x.value, x.scale); }
    case 'io.debezium.time.MicroTimestamp': return micros(big(v));
    case 'io.debezium.time.Timestamp': return micros(big(v) * 1000n);
    case 'io.debezium.time.ZonedTimestamp': {
      const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(String(v));
      return m ? `${m[1]} ${m[2]}.${(m[3] ?? '').padEnd(6, '0')}` : `bad timestamp ${String(v)}`;
    }
    case 'io.debezium.time.Date': return new Date(Number(v) * 86_400_000).toISOString().slice(0, 10);
    case 'io.debezium.time.MicroTime': { const us = big(v); return `${pad(us / 3_600_000_000n)}:${pad((us / 60_000_000n) % 60n)}:${pad((us / 1_000_000n) % 60n)}.${pad(us % 1_000_000n, 6)}`; }
    case 'io.debezium.data.geometry.Point':
    case 'io.debezium.data.geometry.Geometry': return Buffer.from((v as { wkb: Uint8Array }).wkb).toString('hex');
  }
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return normalizeRead(spec, String(v));
}

registerSinkTests(kafkaSink, {
  type: 'kafka',
  async target(name) {
    const topic = `${name}.orders`;
    return {
      // The default maxMessageBytes (1048588): a lower one also lowers the created topic's max.message.bytes, which
      // the broker applies to whole (compressed) record batches, and the sink's batches then exceed it.
      options: { brokers: [...services.brokers], topic: `${name}.{table}`, transactionalIdPrefix: `${name}-`, timeoutMs: 10_000 },
      async read(t, registry) {
        const got = await readTarget({ brokers: [...services.brokers], topics: [topic], expect: 1, timeoutMs: 30_000, quietMs: 3_000 });
        const decoder = new RecordDecoder({ registry, sourceFields: [] });
        const seen = new Set<string>();
        let duplicates = 0;
        const rows = new Map<string, string>();
        const ordered = [...got].sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
        for (const r of ordered) {
          const sig = `${r.key?.toString('hex')}|${r.value?.toString('hex')}`;
          if (seen.has(sig)) duplicates++;
          seen.add(sig);
          if (r.value === null) continue;
          const raw = { ...r, headers: new Map<string, Buffer>() };
          let out = decoder.decode(raw, `${t.topic}/${r.partition}`);
          if (out.kind === 'missing') {
            await decoder.prefetch(out.ids);
            out = decoder.decode(raw, `${t.topic}/${r.partition}`);
          }
          if (out.kind !== 'record') throw new Error(`target record ${r.partition}/${r.offset}: ${out.kind}`);
          const { envelope, table } = out.record;
          const id = String((envelope.after ?? envelope.before)!.id);
          if (envelope.op === 'd') { rows.delete(id); continue; }
          const cols = new Map(table.columns.map((c) => [c.name, c]));
          rows.set(id, COLUMNS_V2.map((c) => wireCanonical(c, cols.get(c.name), envelope.after![c.name])).join('|'));
        }
        return { rows: [...rows.values()], duplicates };
      },
    };
  },
  poison: { after: (row) => ({ ...row, note: 'x'.repeat(1_100_000) }), reason: /over the target's maxMessageBytes \(1048588\)/ },
  timeoutMs: 180_000,
});
