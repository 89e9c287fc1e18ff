/** The numeric flags of `ferry discover` (cheap to import: main.ts declares the command with them). */
import type { IntegerFlag } from '../cli/arg-parsers.ts';

export const SAMPLE_SECONDS: IntegerFlag = { flag: '--sample-seconds', min: 0, max: 3600, unit: 'seconds', note: '0: no write-rate sample' };
export const DISCOVER_PORT: IntegerFlag = { flag: '--port', min: 1, max: 65535 };
export const DISCOVER_TIMEOUT_MS: IntegerFlag = { flag: '--timeout-ms', min: 100, max: 600_000, unit: 'milliseconds' };
