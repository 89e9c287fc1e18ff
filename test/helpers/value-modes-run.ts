/**
 * Runs a task in-process (parseTask + runTask, as `ferry run` does) until its topics hold what a test waits for, and
 * reads them back with the independent reader (topic-reader.ts: writer schemas from the registry by id, avsc).
 * Shared by the value-handling mode tests of both sources.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { createLogger } from '../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { services } from './services.ts';
import { readDecoded, type DecodedRecord } from './topic-reader.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ModesRun {
  /** Records of `topic` once `until` holds for them. */
  waitFor(topic: string, until: (records: readonly DecodedRecord[]) => boolean): Promise<DecodedRecord[]>;
  stop(): Promise<void>;
}

/** Starts the task (a kafka block and quiet settings are added); stop() ends it. */
export function startModesRun(input: Record<string, unknown> & { name: string; settings?: Record<string, unknown> }): ModesRun {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-modes-'));
  const task = parseTask({
    ...input,
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: input.name },
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxDelayMs: 10 }, ...input.settings },
  });
  const log = createLogger({ destination: new Writable({ write(c, _e, cb) { writeFileSync(join(dir, 'ferry.log'), c, { flag: 'a' }); cb(); } }) });
  const controller = new AbortController();
  const running = runTask({ task, log, metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, controller.signal);
  let failure: unknown = null;
  running.catch((e: unknown) => { failure = e; });
  return {
    async waitFor(topic, until) {
      let last: DecodedRecord[] = [];
      for (let i = 0; i < 240; i++) {
        if (failure) throw failure;
        last = await readDecoded(topic).catch(() => []);
        if (until(last)) return last;
        await sleep(250);
      }
      assert.fail(`timed out on ${topic}: ${last.length} records (${last.map((r) => r.value?.op ?? 'tombstone').join(',')}); log ${dir}/ferry.log`);
    },
    async stop() {
      controller.abort();
      await running.catch(() => undefined);
    },
  };
}

/** The registered Value record's field types, by field name (read from the registry, not from Ferry's code). */
export async function valueFieldTypes(schemaId: number): Promise<Record<string, unknown>> {
  const res = await fetch(`${services.registryUrl}/schemas/ids/${schemaId}`);
  const env = JSON.parse(((await res.json()) as { schema: string }).schema) as { fields: { name: string; type: unknown }[] };
  const rec = (env.fields.find((f) => f.name === 'before')!.type as unknown[]).find((x) => typeof x === 'object') as { fields: { name: string; type: unknown }[] };
  return Object.fromEntries(rec.fields.map((f) => [f.name, f.type]));
}

/** Values as compared: bigints within 2^53 as numbers, Uint8Arrays as Buffers. */
export function norm(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (Array.isArray(v)) return v.map(norm);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
}
