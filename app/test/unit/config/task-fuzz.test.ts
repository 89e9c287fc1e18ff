/**
 * Fuzz test of task validation (issue #16, checks): fast-check over task documents and table mappings
 * (task-fuzz-cases.ts). Every case ends within a bounded time and heap, in success or a coded FerryError, and no
 * error shows the planted secret. Seeded and reproducible: FERRY_FUZZ_SEED and FERRY_FUZZ_RUNS override the seed
 * and the number of runs; a failure prints the seed, the counterexample and the path to replay it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FuzzOptions, FuzzResult } from './task-fuzz-cases.ts';

const SEED = Number(process.env.FERRY_FUZZ_SEED ?? 1616);
const RUNS = Number(process.env.FERRY_FUZZ_RUNS ?? 2000);
/** Generation (and shrinking) stops after this; the worker is stopped, and the test fails, past HARD_LIMIT_MS. */
const TIME_LIMIT_MS = 30_000;
const HARD_LIMIT_MS = 90_000;
const CASE_LIMIT_MS = 2_000;
const HEAP_LIMIT_MB = 768;

test(`task validation under fuzzing: bounded, coded, secret-free (seed ${SEED}, ${RUNS} runs)`, { timeout: HARD_LIMIT_MS + 30_000 }, async (t) => {
  const options: FuzzOptions = { seed: SEED, numRuns: RUNS, timeLimitMs: TIME_LIMIT_MS, caseLimitMs: CASE_LIMIT_MS, baseDir: mkdtempSync(join(tmpdir(), 'ferry-fuzz-')) };
  const worker = new Worker(new URL('./task-fuzz-cases.ts', import.meta.url), { workerData: options, resourceLimits: { maxOldGenerationSizeMb: HEAP_LIMIT_MB } });
  let last = { index: -1, input: '' };
  const outcome = await new Promise<FuzzResult | { stopped: string }>((resolve) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve({ stopped: `no answer within ${HARD_LIMIT_MS} ms: case ${last.index} (seed ${SEED}) never returned; its input: ${last.input}` });
    }, HARD_LIMIT_MS);
    worker.on('message', (m: { kind: 'case'; index: number; input: string } | ({ kind: 'done' } & FuzzResult)) => {
      if (m.kind === 'case') last = m;
      else {
        clearTimeout(timer);
        resolve(m);
      }
    });
    worker.on('error', (e: Error) => {
      clearTimeout(timer);
      resolve({ stopped: `the fuzz worker failed (${(e as NodeJS.ErrnoException).code ?? e.name}: ${e.message}) at case ${last.index} (seed ${SEED}); its input: ${last.input}` });
    });
  });
  await worker.terminate();
  if ('stopped' in outcome) assert.fail(outcome.stopped);
  t.diagnostic(`${outcome.numRuns} runs: ${JSON.stringify(outcome.outcomes)}`);
  assert.equal(outcome.failed, false, `seed ${SEED}:\n${outcome.report}`);
  // The time limit may cut the run short on a busy machine, but not to nothing.
  assert.ok(outcome.numRuns >= Math.min(RUNS, 50), `only ${outcome.numRuns} runs in ${TIME_LIMIT_MS} ms`);
});
