/** What each engine's reader (mysql-inventory.ts, postgres-inventory.ts) gives `ferry discover`. */
import type { DiscoveredTable, FeatureItem, FeatureKind, WriteRate } from './model.ts';

export interface DatabaseInventory {
  readonly name: string;
  readonly schemas: readonly string[];
  tables: DiscoveredTable[];
  readonly features: Record<FeatureKind, FeatureItem[]>;
}

export interface ServerInventory {
  readonly version: string;
  readonly databases: readonly DatabaseInventory[];
  /** What could not be seen, and why. */
  readonly notes: readonly string[];
}

/** A write-rate sample under way: `finish` reads the counters again and divides by the time elapsed. */
export interface RateSample {
  finish(): Promise<{ readonly rate: WriteRate; readonly perDatabase: ReadonlyMap<string, number | null> | null }>;
}

/** `n` rounded to `digits` decimals. */
export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
