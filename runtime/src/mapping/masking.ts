/**
 * DMS data-masking rule actions (DMS 3.5.4+), applied to a column's value:
 *   data-masking-digits-mask       every digit 0-9 replaced by the masking character ("value"): 'C6BGJ56669K' → 'C#BGJ#####K';
 *   data-masking-digits-randomize  every digit replaced by a random digit (other characters kept);
 *   data-masking-hash-mask         the SHA-256 of the value, 64 lowercase hex characters.
 * Values are masked in their text form (numbers as SQLite prints them, dates as ISO text, binary as hex), and the
 * masked column is a string column.
 */
import { createHash, randomInt } from 'node:crypto';
import type { FieldType } from '../../../core/src/types.ts';
import { toText } from './sql-values.ts';

export type MaskAction = 'data-masking-digits-mask' | 'data-masking-digits-randomize' | 'data-masking-hash-mask';

export interface Masker {
  readonly action: MaskAction;
  mask(value: unknown, type: FieldType): string | null;
}

export function masker(action: MaskAction, value: string | undefined): Masker {
  return { action, mask: maskFunction(action, value) };
}

function maskFunction(action: MaskAction, value: string | undefined): (value: unknown, type: FieldType) => string | null {
  switch (action) {
    case 'data-masking-digits-mask': {
      const ch = value ?? '#';
      return (v, t) => toText(v, t)?.replace(/[0-9]/g, ch) ?? null;
    }
    case 'data-masking-digits-randomize':
      return (v, t) => toText(v, t)?.replace(/[0-9]/g, () => String(randomInt(10))) ?? null;
    case 'data-masking-hash-mask':
      return (v, t) => {
        if (v === null || v === undefined) return null;
        const text = v instanceof Uint8Array && t.logical === undefined ? v : toText(v, t)!;
        return createHash('sha256').update(text).digest('hex');
      };
  }
}

export function isMaskAction(action: string): action is MaskAction {
  return action.startsWith('data-masking-');
}
