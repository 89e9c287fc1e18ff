/** The numeric flags of `ferry assess` (cheap to import: main.ts declares the command with them). */
import type { IntegerFlag } from '../cli/arg-parsers.ts';

export const ROWS_PER_SECOND: IntegerFlag = { flag: '--rows-per-second', min: 1, max: 100_000_000, unit: 'rows per second' };
export const LOB_SAMPLE_ROWS: IntegerFlag = { flag: '--lob-sample-rows', min: 1, max: 1_000_000_000, unit: 'rows per table' };
