/**
 * The keyring of a state directory: <stateDir>/keyring.json, written once when a state directory is first opened
 * with settings.stateEncryption, then read at every start:
 *
 *   {"format":"ferry-state-keyring","version":1,"id":"<32 hex>","algorithm":"AES-256-GCM","createdAt":"…",
 *    "wrap":{"type":"kms","keyId":"alias/ferry","keyArn":"arn:aws:kms:…","ciphertextBlob":"<base64>"}}
 *    or "wrap":{"type":"keyFile","fingerprint":"<32 hex>","nonce":"<base64>","wrapped":"<base64>"}
 *
 * The key is fixed with the directory: a start with another KMS key or key file, with encryption on for a
 * directory that holds unencrypted state, or off for one that has a keyring, is refused (FERRY_STATE_KEY_MISMATCH)
 * with the way to migrate. The unwrapped data key lives only in memory.
 *
 * Every writer of state finds the cipher of its directory with stateCipherOf(dir): the entry points (ferry run,
 * ferry offsets, ferry serve's task manager, cutover) open the keyring first with openStateKeyring(); a writer that
 * finds a keyring.json not opened in this process refuses to write rather than write plain text next to it.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createSecretKey, randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import { RecordCipher, KEYRING_ID_BYTES } from './record-cipher.ts';
import { describeWrap, keyFingerprint, newDataKey, readKeyFile, unwrapDataKey, type KeyWrap } from './data-key.ts';
import type { StateEncryptionSettings } from './state-encryption-settings.ts';

export const KEYRING_FILE = 'keyring.json';
const FORMAT = 'ferry-state-keyring';

export interface KeyringFile {
  readonly format: typeof FORMAT;
  readonly version: 1;
  readonly id: string;
  readonly algorithm: 'AES-256-GCM';
  readonly createdAt: string;
  readonly wrap: KeyWrap;
}

/** Files and folders that hold state: a directory with any of them and no keyring was created without encryption. */
const STATE_ENTRIES = ['offsets.db', 'tasks.db', 'mysql-schema-history.jsonl', 'dlq', 'notifications'];

const MIGRATE = 'The key of a state directory is fixed when it is created. To change it (or to turn encryption on or off), '
  + 'start the task with a new settings.stateDir and the new settings.stateEncryption, with settings.cdcStartPosition set to the position the old directory reached '
  + '(`ferry offsets show <task-file>` with the old settings prints it); or keep the original key (docs/security.md#encryption-at-rest)';

const opened = new Map<string, Promise<RecordCipher | null>>();
const ready = new Map<string, RecordCipher | null>();

export function keyringPath(stateDir: string): string {
  return join(resolve(stateDir), KEYRING_FILE);
}

function readKeyring(file: string): KeyringFile {
  let v: KeyringFile;
  try {
    v = JSON.parse(readFileSync(file, 'utf8')) as KeyringFile;
  } catch (e: unknown) {
    throw new FerryError('FERRY_STATE_KEY_UNAVAILABLE', `cannot read the state keyring ${file}: ${errorMessage(e)}. Restore it from a backup: without it the state directory cannot be decrypted`, { cause: e });
  }
  if (v.format !== FORMAT || v.version !== 1 || typeof v.id !== 'string' || v.id.length !== KEYRING_ID_BYTES * 2 || v.algorithm !== 'AES-256-GCM' || (v.wrap?.type !== 'kms' && v.wrap?.type !== 'keyFile')) {
    throw new FerryError('FERRY_STATE_KEY_UNAVAILABLE', `${file} is not a Ferry state keyring this version reads (format ${String(v.format)}, version ${String(v.version)})`);
  }
  return v;
}

function writeKeyring(file: string, k: KeyringFile): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(k, null, 2)}\n`, { mode: 0o600 });
  const fd = openSync(tmp, 'r+');
  try { fsyncSync(fd); } finally { closeSync(fd); }
  renameSync(tmp, file);
}

function configured(s: StateEncryptionSettings): string {
  return s.kms ? `KMS key ${s.kms.keyId}` : `key file ${resolve(s.keyFile!)}`;
}

/** Whether the configured key is the one the keyring was created with (a KMS key by the id/alias given or its ARN). */
function sameKey(s: StateEncryptionSettings, w: KeyWrap): boolean {
  if (w.type === 'kms') return s.kms !== undefined && [w.keyId, w.keyArn, w.keyArn.replace(/^arn:[^:]+:kms:[^:]*:[^:]*:key\//, '')].includes(s.kms.keyId);
  return s.keyFile !== undefined && keyFingerprint(readKeyFile(s.keyFile)) === w.fingerprint;
}

async function open(dir: string, s: StateEncryptionSettings | undefined): Promise<RecordCipher | null> {
  const file = join(dir, KEYRING_FILE);
  if (existsSync(file)) {
    const k = readKeyring(file);
    if (s === undefined) {
      throw new FerryError('FERRY_STATE_KEY_MISMATCH', `the state directory ${dir} is encrypted (${describeWrap(k.wrap)}, created ${k.createdAt}) but settings.stateEncryption is not set: set it to the same key. ${MIGRATE}`);
    }
    if (!sameKey(s, k.wrap)) {
      throw new FerryError('FERRY_STATE_KEY_MISMATCH', `the state directory ${dir} was created with ${describeWrap(k.wrap)}; settings.stateEncryption now names ${configured(s)}${k.wrap.type === 'keyFile' && s.keyFile ? ` (fingerprint ${keyFingerprint(readKeyFile(s.keyFile))})` : ''}, which is refused. ${MIGRATE}`);
    }
    const key = await unwrapDataKey(s, k.wrap, k.id);
    return new RecordCipher(Buffer.from(k.id, 'hex'), createSecretKey(key));
  }
  if (s === undefined) return null;
  const present = existsSync(dir) ? STATE_ENTRIES.filter((e) => readdirSync(dir).includes(e)) : [];
  if (present.length > 0) {
    throw new FerryError('FERRY_STATE_KEY_MISMATCH', `the state directory ${dir} was created without encryption (it holds ${present.join(', ')} and no ${KEYRING_FILE}); settings.stateEncryption cannot be added to it. ${MIGRATE}`);
  }
  mkdirSync(dir, { recursive: true });
  const id = randomBytes(KEYRING_ID_BYTES).toString('hex');
  const { key, wrap } = await newDataKey(s, id);
  writeKeyring(file, { format: FORMAT, version: 1, id, algorithm: 'AES-256-GCM', createdAt: new Date().toISOString(), wrap });
  return new RecordCipher(Buffer.from(id, 'hex'), createSecretKey(key));
}

/**
 * Opens (creating on first use) the keyring of a state directory, checking the configured key against it; null when
 * the directory is not encrypted. Once per directory and process: a second call with the same settings gets the
 * same cipher, so the key is unwrapped once.
 */
export async function openStateKeyring(stateDir: string, settings: StateEncryptionSettings | undefined): Promise<RecordCipher | null> {
  const dir = resolve(stateDir);
  const key = `${dir}\u0000${settings ? configured(settings) : ''}`;
  let p = opened.get(key);
  if (!p) {
    p = open(dir, settings);
    opened.set(key, p);
    p.then((c) => { ready.set(dir, c); }, () => { opened.delete(key); });
  }
  return p;
}

/**
 * The cipher of the state directory `dir` (opened before with openStateKeyring), or null when it is not encrypted.
 * A directory with a keyring that was not opened in this process is refused: nothing is written to it in plain text.
 */
export function stateCipherOf(dir: string): RecordCipher | null {
  const d = resolve(dir);
  const c = ready.get(d);
  if (c !== undefined) return c;
  if (existsSync(join(d, KEYRING_FILE))) {
    throw new FerryError('FERRY_INTERNAL', `the state directory ${d} is encrypted but its keyring was not opened before its state was used (settings.stateEncryption must be opened at the start)`);
  }
  return null;
}

/** Forgets the opened keyrings (tests; a process that has closed its tasks). */
export function forgetStateKeyrings(): void {
  opened.clear();
  ready.clear();
}
