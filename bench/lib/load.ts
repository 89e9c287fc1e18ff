/**
 * Open-loop load generation: operations are started on a schedule (the rate at the time), never paced by the
 * completion of earlier ones, so a slow system under test shows up as queueing and latency, not as a lower offered
 * load (no coordinated omission). Every 5 ms the generator starts the operations due by now.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface OpenLoopOptions {
  /** Operations per second at `t` seconds after the start. */
  rate(t: number): number;
  seconds: number;
  /** Starts operation number `i` (0-based); its promise is awaited only at the end. */
  op(i: number): Promise<unknown>;
  /** Called about every 5 ms with the seconds elapsed (for sampling). */
  tick?(t: number): void;
  /** At most this many operations in flight; past it, due operations start late (counted in lateStarts). */
  maxInFlight?: number;
  /** Ends the schedule early when it returns true (checked every tick). */
  stop?(): boolean;
}

export interface OpenLoopResult {
  /** Operations started and completed (errors excluded). */
  readonly done: number;
  readonly errors: number;
  readonly seconds: number;
  /** Ticks at which due operations could not all start because maxInFlight was reached (the database fell behind). */
  readonly lateStarts: number;
  /** Operations started (= scheduled up to the end or the early stop). */
  readonly started: number;
  readonly firstError?: string;
}

export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const maxInFlight = o.maxInFlight ?? 2000;
  const t0 = performance.now();
  let due = 0; // fractional operations due so far, integrated over the rate
  let last = 0;
  let started = 0;
  let inFlight = 0;
  let done = 0;
  let errors = 0;
  let lateStarts = 0;
  let firstError: string | undefined;
  // Completions are counted, not kept: a 30-minute soak starts millions of operations.
  let drained: (() => void) | undefined;
  for (;;) {
    const t = (performance.now() - t0) / 1000;
    if (o.stop?.()) break;
    const end = Math.min(t, o.seconds);
    due += o.rate(last) * (end - last);
    last = end;
    while (started < Math.floor(due)) {
      if (inFlight >= maxInFlight) { lateStarts++; break; }
      inFlight++;
      void o.op(started++).then(() => { done++; }, (e: unknown) => { errors++; firstError ??= String(e); }).finally(() => { inFlight--; if (inFlight === 0) drained?.(); });
    }
    o.tick?.(t);
    if (t >= o.seconds && started >= Math.floor(due)) break;
    await sleep(5);
  }
  if (inFlight > 0) await new Promise<void>((resolve) => { drained = resolve; });
  return { done, errors, started, seconds: (performance.now() - t0) / 1000, lateStarts, ...(firstError ? { firstError } : {}) };
}
