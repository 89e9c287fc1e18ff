/**
 * The control API's token (runtime/src/control/control-api.ts). Each task run makes a new random token and writes it
 * to `<stateDir>/control-token` with mode 0600, so only the user running the task (and whoever may read its state
 * folder) can send signals; `ferry snapshot` reads it from there and sends `Authorization: Bearer <token>`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file name of the token inside the task's stateDir. */
export const CONTROL_TOKEN_FILE = 'control-token';

export function controlTokenPath(stateDir: string): string {
  return join(stateDir, CONTROL_TOKEN_FILE);
}

/** Makes a new random token (256 bits, hex) and writes it to `<stateDir>/control-token`, readable by its owner only. */
export function writeControlToken(stateDir: string): { token: string; file: string } {
  const token = randomBytes(32).toString('hex');
  const file = controlTokenPath(stateDir);
  mkdirSync(stateDir, { recursive: true });
  // A new file created 0600 and renamed over the old one: the token is never readable by others, even for a moment,
  // and a file left by an earlier run with wider permissions is replaced rather than rewritten in place.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, `${token}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  } catch (e: unknown) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return { token, file };
}

/** The token in `<stateDir>/control-token`, or undefined when there is none (the task never ran with this stateDir). */
export function readControlToken(stateDir: string): string | undefined {
  try {
    const t = readFileSync(controlTokenPath(stateDir), 'utf8').trim();
    return t === '' ? undefined : t;
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Compares two tokens in constant time (both are hashed first, so their lengths do not leak either). */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
