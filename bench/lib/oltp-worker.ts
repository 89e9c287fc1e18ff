/**
 * One generator process of the OLTP load (bench/lib/oltp-generator.ts starts several): its own connection pool, its
 * own share of the tables and of the rate, open loop (bench/lib/load.ts). Driven over IPC: `run` a phase (a stepped
 * rate schedule), `stop` it early, `end`. Reports progress every 100 ms: the records its committed changes must
 * produce (inserts and updates 1, deletes 2 with the tombstone) and the deletes among them.
 *
 * argv[2]: JSON { engine, schema, tables, seed, connections, share }.
 */
import { openLoop } from './load.ts';
import { openWriters, type Engine } from './workload-db.ts';

export interface WorkerConfig { readonly engine: Engine; readonly schema: string; readonly tables: readonly string[]; readonly seed: number; readonly connections: number; readonly share: number }
/** rate(t) = (start + step × floor(t / stepSeconds)) × share, for `seconds`. */
export interface RunCommand { readonly type: 'run'; readonly start: number; readonly step: number; readonly stepSeconds: number; readonly seconds: number; readonly maxInFlight: number }
export type ToWorker = RunCommand | { readonly type: 'stop' } | { readonly type: 'end' };
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly expected: number; readonly deletes: number; readonly committed: number }
  | { readonly type: 'done'; readonly expected: number; readonly deletes: number; readonly committed: number; readonly result: { done: number; errors: number; started: number; seconds: number; lateStarts: number; firstError?: string } };

const cfg = JSON.parse(process.argv[2]!) as WorkerConfig;
const w = openWriters(cfg.engine, cfg.schema, cfg.connections);
const live = cfg.tables.map(() => Array.from({ length: cfg.seed }, (_, i) => i + 1));
const nextId = cfg.tables.map(() => cfg.seed + 1);
const busy = new Set<string>();
let expected = 0, deletes = 0, committed = 0, opNo = 0, stopped = false;
const send = (m: FromWorker) => process.send!(m);

/** The 20/60/20 insert/update/delete mix, deterministic; a row busy with another operation gets an insert instead. */
async function op(): Promise<void> {
  const i = opNo++;
  const k = i % cfg.tables.length;
  const ids = live[k]!;
  const roll = (i * 2654435761) % 100 / 100;
  const pick = ids.length > 0 ? Math.floor(((i * 40503) % 65536) / 65536 * ids.length) : -1;
  const key = `${k}:${ids[pick]}`;
  if (roll < 0.2 || pick < 0 || busy.has(key)) {
    const id = nextId[k]!++;
    ids.push(id);
    const n = await w.insert(cfg.tables[k]!, id);
    expected += n; committed++; // not `expected += await …`: that reads `expected` before the await and loses concurrent additions
    return;
  }
  const id = ids[pick]!;
  busy.add(key);
  try {
    if (roll < 0.8) { const n = await w.update(cfg.tables[k]!, id); expected += n; committed++; return; }
    ids[pick] = ids.at(-1)!; ids.pop();
    const n = await w.delete(cfg.tables[k]!, id);
    expected += 2 * n; deletes += n; committed++;
  } finally { busy.delete(key); }
}

process.on('disconnect', () => process.exit(0)); // the parent is gone
process.on('message', (m: ToWorker) => {
  if (m.type === 'stop') { stopped = true; return; }
  if (m.type === 'end') { void w.end().finally(() => process.exit(0)); return; }
  stopped = false;
  const progress = setInterval(() => send({ type: 'progress', expected, deletes, committed }), 100);
  void openLoop({
    rate: (t) => (m.start + m.step * Math.floor(t / m.stepSeconds)) * cfg.share, seconds: m.seconds, op, stop: () => stopped, maxInFlight: m.maxInFlight,
  }).then((result) => {
    clearInterval(progress);
    send({ type: 'done', expected, deletes, committed, result });
  });
});
send({ type: 'ready' });
