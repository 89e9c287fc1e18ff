/**
 * The record format of Ferry's encrypted state (docs/security.md#encryption-at-rest): AES-256-GCM under the state
 * directory's data key, a random 96-bit nonce per record, and associated data that binds the record to its place.
 *
 *   byte 0        format version (1)
 *   bytes 1-16    the keyring id (keyring.json "id"): which data key sealed it
 *   bytes 17-28   nonce
 *   bytes 29-…    ciphertext, then the 16-byte GCM tag
 *
 * The associated data is bytes 0-16 followed by the UTF-8 context, e.g. "offsets.db/offsets/<task>" or
 * "spill:xid-42#7": a record copied to another row, file or chunk fails authentication there. Text columns and
 * JSON-lines files hold the record as "fe1:" + base64.
 *
 * A stream (a spill file) is a sequence of such records, each framed as [u32 length][record], the context ending in
 * the chunk's index, so chunks can be read back one at a time and cannot be reordered.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, type KeyObject } from 'node:crypto';
import { FerryError } from '../../../core/src/errors.ts';

export const RECORD_VERSION = 1;
export const KEYRING_ID_BYTES = 16;
const NONCE = 12;
const TAG = 16;
const HEADER = 1 + KEYRING_ID_BYTES + NONCE;
/** The prefix of a sealed record in text form. */
export const TEXT_PREFIX = 'fe1:';

export class RecordCipher {
  /** The keyring id (16 bytes) carried by every record. */
  readonly id: Buffer;
  readonly #key: KeyObject;
  readonly #macKey: Buffer;

  constructor(id: Buffer, key: KeyObject) {
    if (id.length !== KEYRING_ID_BYTES) throw new FerryError('FERRY_INTERNAL', `a keyring id has ${KEYRING_ID_BYTES} bytes, not ${id.length}`);
    if (key.symmetricKeySize !== 32) throw new FerryError('FERRY_INTERNAL', 'a state data key has 32 bytes (AES-256)');
    this.id = Buffer.from(id);
    this.#key = key;
    // A separate key for names derived from content (claim-check object names), so they reveal no plain hash.
    this.#macKey = createHmac('sha256', key.export()).update('ferry-state-name-key').digest();
  }

  get idHex(): string {
    return this.id.toString('hex');
  }

  /** Encrypts one record bound to `context`. */
  seal(plain: Buffer, context: string): Buffer {
    const out = Buffer.allocUnsafe(HEADER + plain.length + TAG);
    out[0] = RECORD_VERSION;
    this.id.copy(out, 1);
    const nonce = randomBytes(NONCE);
    nonce.copy(out, 1 + KEYRING_ID_BYTES);
    const c = createCipheriv('aes-256-gcm', this.#key, nonce);
    c.setAAD(Buffer.concat([out.subarray(0, 1 + KEYRING_ID_BYTES), Buffer.from(context, 'utf8')]));
    let at = HEADER + c.update(plain).copy(out, HEADER);
    at += c.final().copy(out, at);
    c.getAuthTag().copy(out, at);
    return out;
  }

  /** Decrypts a record sealed with the same context; `what` names it in errors (a file, a row). */
  open(sealed: Buffer, context: string, what: string): Buffer {
    if (sealed.length < HEADER + TAG || sealed[0] !== RECORD_VERSION) {
      throw new FerryError('FERRY_STATE_DECRYPT', `${what} is not a Ferry encrypted record (format version ${sealed.length > 0 ? sealed[0] : 'none'}, ${sealed.length} bytes): it was written without settings.stateEncryption, by another Ferry version, or is damaged`);
    }
    const id = sealed.subarray(1, 1 + KEYRING_ID_BYTES);
    if (!id.equals(this.id)) {
      throw new FerryError('FERRY_STATE_KEY_MISMATCH', `${what} was encrypted under another state key (keyring ${id.toString('hex')}; this state directory's keyring is ${this.idHex}): it was copied from another state directory. Use the state directory it came from`);
    }
    const d = createDecipheriv('aes-256-gcm', this.#key, sealed.subarray(1 + KEYRING_ID_BYTES, HEADER));
    d.setAAD(Buffer.concat([sealed.subarray(0, 1 + KEYRING_ID_BYTES), Buffer.from(context, 'utf8')]));
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    try {
      return Buffer.concat([d.update(sealed.subarray(HEADER, sealed.length - TAG)), d.final()]);
    } catch (e: unknown) {
      throw new FerryError('FERRY_STATE_DECRYPT', `${what} failed authentication (AES-256-GCM): it was changed or damaged on disk, or moved from another place (expected ${JSON.stringify(context)}). Nothing of it is used`, { cause: e });
    }
  }

  sealText(plain: string, context: string): string {
    return TEXT_PREFIX + this.seal(Buffer.from(plain, 'utf8'), context).toString('base64');
  }

  openText(text: string, context: string, what: string): string {
    if (!text.startsWith(TEXT_PREFIX)) {
      throw new FerryError('FERRY_STATE_DECRYPT', `${what} is not encrypted although this state directory is (settings.stateEncryption): it was written without encryption or by something else`);
    }
    return this.open(Buffer.from(text.slice(TEXT_PREFIX.length), 'base64'), context, what).toString('utf8');
  }

  /** A keyed hash of content (HMAC-SHA256, hex) for names that must be deterministic but not reveal the content. */
  name(data: Buffer): string {
    return createHmac('sha256', this.#macKey).update(data).digest('hex');
  }
}

/** Whether a stored text value is a sealed record (a plain one starts with "{" or a digit). */
export function isSealedText(text: string): boolean {
  return text.startsWith(TEXT_PREFIX);
}

/** Frames a sealed chunk for a stream: [u32 length][record]. */
export function frameChunk(cipher: RecordCipher, plain: Buffer, context: string, index: number): Buffer {
  const rec = cipher.seal(plain, `${context}#${index}`);
  const out = Buffer.allocUnsafe(4 + rec.length);
  out.writeUInt32BE(rec.length, 0);
  rec.copy(out, 4);
  return out;
}

/** The length of the framed chunk at the start of `buf` (its 4-byte header read), or -1 if fewer than 4 bytes. */
export function framedLength(buf: Buffer): number {
  return buf.length < 4 ? -1 : 4 + buf.readUInt32BE(0);
}

/** Opens one framed chunk (exactly the bytes frameChunk wrote). */
export function openChunk(cipher: RecordCipher, framed: Buffer, context: string, index: number, what: string): Buffer {
  const len = framedLength(framed);
  if (len !== framed.length) throw new FerryError('FERRY_STATE_DECRYPT', `${what}: chunk ${index} is cut short (${framed.length} of ${len} bytes)`);
  return cipher.open(framed.subarray(4), `${context}#${index}`, `${what} chunk ${index}`);
}
