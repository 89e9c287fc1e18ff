/**
 * The memory regression guard's decision: does a series of post-GC heap sizes, sampled after equal phases of the
 * same workload, grow without bound? Pure, so that its decision is unit-tested on leaking and flat series.
 */

export interface HeapGrowthOptions {
  /** Leading samples left out (caches and compiled code fill during the first phase). */
  readonly warmupSamples: number;
  /** Growth over the measured samples (least-squares slope × their span) that still counts as flat. */
  readonly allowedGrowthBytes: number;
}

export interface HeapGrowthVerdict {
  readonly grows: boolean;
  /** The fitted growth from the first to the last measured sample, in bytes (negative: shrinking). */
  readonly growthBytes: number;
  /** The fitted growth per phase, in bytes. */
  readonly perSampleBytes: number;
}

/**
 * Fits a line through the samples after the warm-up (least squares, so that one noisy sample does not decide) and
 * calls the series growing when the fitted growth across them exceeds `allowedGrowthBytes`. A heap that steps up once
 * and then stays (a cache filled in the first measured phase) spreads its step over the fit; choose the phase size
 * so that a real leak grows by far more than the allowance per phase.
 */
export function heapGrowthVerdict(samples: readonly number[], options: HeapGrowthOptions): HeapGrowthVerdict {
  const ys = samples.slice(options.warmupSamples);
  if (ys.length < 3) throw new Error(`heapGrowthVerdict needs at least 3 samples after the warm-up, got ${ys.length}`);
  const n = ys.length;
  const meanX = (n - 1) / 2;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - meanX) * (ys[i]! - meanY);
    sxx += (i - meanX) ** 2;
  }
  const perSampleBytes = sxy / sxx;
  const growthBytes = perSampleBytes * (n - 1);
  return { grows: growthBytes > options.allowedGrowthBytes, growthBytes, perSampleBytes };
}
