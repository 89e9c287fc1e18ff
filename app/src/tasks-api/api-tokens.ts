/**
 * The API tokens of a `ferry serve` (docs/api.md "Roles and tokens"): each with a name (the identity the audit log
 * records), a role (routes.ts), when it was created, last used and revoked.
 *
 * A token is `ferry_` + 43 base64url characters (256 random bits). Only its SHA-256 is stored, in
 * `<state-dir>/api-tokens.json` (mode 0600, replaced atomically: temp file, fsync, rename). A fast hash is enough: a
 * slow password hash (scrypt, argon2) defends guessable secrets against offline guessing, and a 256-bit random token
 * cannot be guessed whatever the hash's speed, while a lookup by hash costs nothing per request. The lookup by hash
 * does not need a constant-time comparison either: timing could at most reveal the hash of the attacker's own guess.
 *
 * The server is the only writer: tokens are issued and revoked through the API (admin), so a revocation changes the
 * in-memory table before the answer is sent and the next request with that token is refused (401).
 *
 * The bootstrap token (`ferry serve --token`, default ${env:FERRY_API_TOKEN}) is an admin token named "bootstrap"; it
 * comes from its reference at every start and is kept in memory only (never stored, so the operator's choice of a
 * shorter secret is not exposed to offline guessing either).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FerryError } from '../../../core/src/errors.ts';
import { ApiError, badRequest, conflict } from './api-error.ts';
import { isRole, type Role } from './routes.ts';

export const TOKENS_FILE = 'api-tokens.json';
export const BOOTSTRAP_NAME = 'bootstrap';
const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;
/** Persist last-used times at most this often (they are also written with every other change and at close). */
const LAST_USED_PERSIST_MS = 60_000;

export interface TokenRecord {
  readonly name: string;
  readonly role: Role;
  /** SHA-256 of the token, hex. Never leaves this module's file and memory. */
  readonly sha256: string;
  readonly createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** What `GET /tokens` and `ferry tokens list` show: never the token or its hash. */
export interface TokenView {
  readonly name: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
  /** True for the --token of `ferry serve` (in memory only; it cannot be revoked through the API). */
  readonly bootstrap: boolean;
}

export type Authentication =
  | { readonly ok: true; readonly name: string; readonly role: Role }
  | { readonly ok: false; readonly reason: 'missing' | 'unknown' | 'revoked'; readonly name?: string; readonly role?: Role };

export const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

export interface ApiTokensOptions {
  /** The server's state folder; null keeps the tokens in memory only (tests, or a server with the bootstrap token alone). */
  readonly stateDir: string | null;
  /** The bootstrap admin token, or undefined for none. */
  readonly bootstrapToken?: string;
}

export class ApiTokens {
  readonly #file: string | null;
  readonly #byHash = new Map<string, TokenRecord>();
  readonly #bootstrap: TokenRecord | null;
  #lastPersist = Date.now();
  #dirty = false;

  constructor(options: ApiTokensOptions) {
    this.#file = options.stateDir === null ? null : join(options.stateDir, TOKENS_FILE);
    for (const r of this.#read()) this.#byHash.set(r.sha256, r);
    this.#bootstrap = options.bootstrapToken === undefined ? null
      : { name: BOOTSTRAP_NAME, role: 'admin', sha256: sha256Hex(options.bootstrapToken), createdAt: new Date().toISOString(), lastUsedAt: null, revokedAt: null };
  }

  #read(): TokenRecord[] {
    if (this.#file === null) return [];
    let text: string;
    try {
      text = readFileSync(this.#file, 'utf8');
    } catch (e: unknown) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    let doc: { tokens?: unknown };
    try {
      doc = JSON.parse(text) as { tokens?: unknown };
    } catch {
      throw new FerryError('FERRY_CONFIG_INVALID', `${this.#file} is not valid JSON: restore it from a backup, or move it aside to start with the bootstrap token only (every issued token is then refused)`);
    }
    const list = Array.isArray(doc.tokens) ? doc.tokens as TokenRecord[] : [];
    for (const r of list) {
      if (typeof r?.name !== 'string' || !isRole(r.role) || typeof r.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.sha256)) {
        throw new FerryError('FERRY_CONFIG_INVALID', `${this.#file} has a malformed token record (${JSON.stringify(r?.name)}): restore the file from a backup`);
      }
    }
    return list.map((r) => ({ name: r.name, role: r.role, sha256: r.sha256, createdAt: r.createdAt, lastUsedAt: r.lastUsedAt ?? null, revokedAt: r.revokedAt ?? null }));
  }

  /** Writes the table: a new 0600 file, fsynced, renamed over the old one, then the folder fsynced. */
  #persist(): void {
    if (this.#file === null) return;
    mkdirSync(dirname(this.#file), { recursive: true });
    const tmp = `${this.#file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const text = `${JSON.stringify({ version: 1, tokens: [...this.#byHash.values()] }, null, 2)}\n`;
    try {
      const fd = openSync(tmp, 'wx', 0o600);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.#file);
    } catch (e: unknown) {
      rmSync(tmp, { force: true });
      throw e;
    }
    try {
      const dfd = openSync(dirname(this.#file), 'r');
      try { fsyncSync(dfd); } finally { closeSync(dfd); }
    } catch { /* a folder fsync is not possible everywhere */ }
    this.#dirty = false;
    this.#lastPersist = Date.now();
  }

  /** Who sends `header`; a known token's last-used time is updated. */
  authenticate(header: string | undefined): Authentication {
    const token = bearerToken(header);
    if (token === undefined) return { ok: false, reason: 'missing' };
    const hash = sha256Hex(token);
    const r = this.#bootstrap?.sha256 === hash ? this.#bootstrap : this.#byHash.get(hash);
    if (!r) return { ok: false, reason: 'unknown' };
    if (r.revokedAt !== null) return { ok: false, reason: 'revoked', name: r.name, role: r.role };
    r.lastUsedAt = new Date().toISOString();
    if (r !== this.#bootstrap) {
      this.#dirty = true;
      // Last-used times are informative: a failed write is retried at the next chance, never a refused request.
      if (Date.now() - this.#lastPersist > LAST_USED_PERSIST_MS) { try { this.#persist(); } catch { this.#lastPersist = Date.now(); } }
    }
    return { ok: true, name: r.name, role: r.role };
  }

  list(): TokenView[] {
    const all = [...(this.#bootstrap ? [this.#bootstrap] : []), ...this.#byHash.values()];
    return all.map((r) => ({ name: r.name, role: r.role, createdAt: r.createdAt, lastUsedAt: r.lastUsedAt, revokedAt: r.revokedAt, bootstrap: r === this.#bootstrap }));
  }

  #live(name: string): TokenRecord | undefined {
    return [...this.#byHash.values()].find((r) => r.name === name && r.revokedAt === null);
  }

  /** Issues a token; the only time it is ever shown. 400 for a bad name or role; 409 when a live token has the name. */
  create(input: { name?: unknown; role?: unknown }): { token: string; view: TokenView } {
    const { name, role } = input;
    if (typeof name !== 'string' || !NAME_RE.test(name)) throw badRequest('"name" must be 1 to 64 characters of A-Z, a-z, 0-9, "_", "." and "-"');
    if (!isRole(role)) throw badRequest('"role" must be "viewer", "operator" or "admin"');
    if (name === BOOTSTRAP_NAME) throw conflict(`"${BOOTSTRAP_NAME}" is the name of the --token of \`ferry serve\`; choose another name`);
    if (this.#live(name)) throw conflict(`a token named "${name}" exists; revoke it first (\`ferry tokens revoke ${name}\`) or choose another name`);
    const token = `ferry_${randomBytes(32).toString('base64url')}`;
    const record: TokenRecord = { name, role, sha256: sha256Hex(token), createdAt: new Date().toISOString(), lastUsedAt: null, revokedAt: null };
    // A revoked token's record is kept (it answers "revoked", and stays listed) until the name is issued again.
    for (const [h, r] of this.#byHash) if (r.name === name) this.#byHash.delete(h);
    this.#byHash.set(record.sha256, record);
    this.#persist();
    return { token, view: this.list().find((v) => v.name === name && !v.bootstrap)! };
  }

  /** Revokes the live token `name`: refused from the next request on. 404 when there is none; 400 for the bootstrap. */
  revoke(name: string): TokenView {
    if (name === BOOTSTRAP_NAME && this.#bootstrap) {
      throw badRequest('the bootstrap token is the --token of `ferry serve`: to revoke it, restart the server with another --token (or without one, once another admin token exists)');
    }
    const r = this.#live(name);
    if (!r) throw new ApiError(404, 'not_found', `no live token named "${name}" (see \`ferry tokens list\`)`);
    r.revokedAt = new Date().toISOString();
    this.#persist();
    return this.list().find((v) => v.name === name && !v.bootstrap)!;
  }

  /** Whether some live admin token exists besides the bootstrap one. */
  hasAdmin(): boolean {
    return [...this.#byHash.values()].some((r) => r.role === 'admin' && r.revokedAt === null);
  }

  /** Writes pending last-used times. */
  close(): void {
    if (this.#dirty) this.#persist();
  }
}
