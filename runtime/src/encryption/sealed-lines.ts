/**
 * JSON-lines state files (schema history, dead letters, the notification spool) under encryption: each line is one
 * sealed record in text form ("fe1:<base64>"), bound to the file's purpose (its context), so a line moved from
 * another file fails. Without a cipher a line is the JSON itself, as before.
 */
import { FerryError } from '../../../core/src/errors.ts';
import { isSealedText, type RecordCipher } from './record-cipher.ts';

export interface LineCodec {
  /** One line's text (no newline) for a JSON text. */
  encode(json: string): string;
  /** The JSON text of a stored line; throws FERRY_STATE_DECRYPT / FERRY_STATE_KEY_MISMATCH when it is not readable. */
  decode(line: string, what: string): string;
}

export function lineCodec(cipher: RecordCipher | null, context: string): LineCodec {
  if (cipher === null) {
    return {
      encode: (json) => json,
      decode(line, what) {
        if (isSealedText(line)) throw new FerryError('FERRY_STATE_KEY_MISMATCH', `${what} is encrypted but this state directory has no keyring (keyring.json is missing): restore keyring.json and set settings.stateEncryption`);
        return line;
      },
    };
  }
  return {
    encode: (json) => cipher.sealText(json, context),
    decode: (line, what) => cipher.openText(line, context, what),
  };
}
