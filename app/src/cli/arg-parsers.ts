/**
 * Parsers for the numeric command-line options, and the usage error they throw. Every value must be plain decimal
 * digits within the option's range; anything else (`-5`, `abc`, `1e3`, `0x10`, `1.5`, an empty string, a number past
 * the range) is a usage error naming the flag and the value it expects. main.ts prints it (and, with --json, a
 * FERRY_USAGE error object on stdout) and exits 2.
 */
import { CommanderError } from 'commander';
import { EXIT } from './exit-codes.ts';

/** The commander error code of a usage error raised by Ferry itself (commander does not print these: main.ts does). */
export const USAGE_ERROR = 'ferry.usage';

export class UsageError extends CommanderError {
  constructor(message: string) {
    super(EXIT.INVALID, USAGE_ERROR, message);
    this.name = 'UsageError';
  }
}

export interface IntegerFlag {
  /** The flag as the user types it, e.g. `--timeout-ms`. */
  readonly flag: string;
  readonly min: number;
  readonly max: number;
  /** What the number is, e.g. "milliseconds"; shown in the message. */
  readonly unit?: string;
  /** The meaning of the minimum when it is special, e.g. "0: any free port". */
  readonly note?: string;
}

/** The expected value of a flag, in words: "an integer from 1 to 2147483647 (milliseconds)". */
export function expectedValue(spec: IntegerFlag): string {
  const extras = [spec.unit, spec.note].filter((x) => x !== undefined);
  return `an integer from ${spec.min} to ${spec.max}${extras.length > 0 ? ` (${extras.join('; ')})` : ''}`;
}

/** Parses a whole number within the flag's range, or throws a UsageError naming the flag and what it expects. */
export function parseIntegerFlag(value: string, spec: IntegerFlag): number {
  const n = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < spec.min || n > spec.max) {
    throw new UsageError(`${spec.flag} expects ${expectedValue(spec)}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** A commander argParser for the flag. */
export function integerFlag(spec: IntegerFlag): (value: string) => number {
  return (value) => parseIntegerFlag(value, spec);
}

/** The longest timer Node can arm (setTimeout, AbortSignal.timeout); longer ones fire at once. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

export const TIMEOUT_MS: IntegerFlag = { flag: '--timeout-ms', min: 1, max: MAX_TIMEOUT_MS, unit: 'milliseconds' };
export const DEMO_ROWS: IntegerFlag = { flag: '--rows', min: 1, max: 1_000_000, unit: 'rows per table' };
export const VALIDATE_CONCURRENCY: IntegerFlag = { flag: '--max-concurrency', min: 1, max: 64, unit: 'range queries' };
export const VALIDATE_RATE: IntegerFlag = { flag: '--rows-per-second', min: 1, max: 1_000_000_000, unit: 'rows per second' };
export const VALIDATE_CHUNK: IntegerFlag = { flag: '--chunk-rows', min: 100, max: 10_000_000, unit: 'rows' };
export const SERVE_PORT: IntegerFlag = { flag: '--port', min: 0, max: 65535, note: '0: any free port' };
export const CUTOVER_LATENCY: IntegerFlag = { flag: '--max-latency', min: 0, max: 86400, unit: 'seconds' };
export const CUTOVER_TIMEOUT: IntegerFlag = { flag: '--timeout', min: 1, max: 2_147_483, unit: 'seconds' };
export const CUTOVER_STOP_TIMEOUT: IntegerFlag = { flag: '--stop-timeout', min: 1, max: 2_147_483, unit: 'seconds' };
export const TOP_INTERVAL: IntegerFlag = { flag: '--interval', min: 1, max: 3600, unit: 'seconds' };
/** Kafka's replication factor is a 16-bit number. */
export const REPLICATION_FACTOR: IntegerFlag = { flag: '--replication-factor', min: 1, max: 32767 };
export const HISTORY_SAMPLE: IntegerFlag = { flag: '--history-sample-ms', min: 100, max: 3_600_000, unit: 'milliseconds' };
