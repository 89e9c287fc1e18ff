/**
 * The API tokens of a Ferry cluster (docs/cluster.md#access, docs/security.md "Access control and audit"): the same
 * tokens, roles and answers as `ferry serve`'s (api-tokens.ts), but stored where every worker sees them, so a token
 * issued through one worker works through every other.
 *
 * The records live in the compacted topic `ferry-<cluster>-tokens`, key = the token's SHA-256 (hex), value = JSON
 * {name, role, sha256, createdAt, revokedAt}: hashes only, never a token. Every worker tails the topic; the leader
 * writes it (POST /tokens and DELETE /tokens/{name} are forwarded to the leader, so one writer decides name clashes).
 * A revocation is refused by the writing leader from its answer on, and by the other workers as soon as they read the
 * record (normally within a few milliseconds; at most the tail's poll interval).
 *
 * The bootstrap admin token (`ferry worker --token`) is kept in memory only, as with serve; give every worker the same
 * one. Last-used times are per worker and in memory only.
 */
import { randomBytes } from 'node:crypto';
import { ApiError, badRequest, conflict } from '../tasks-api/api-error.ts';
import { bearerToken, BOOTSTRAP_NAME, sha256Hex, type Authentication, type TokenRecord, type TokenView } from '../tasks-api/api-tokens.ts';
import { isRole } from '../tasks-api/routes.ts';

const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/** Writes records to the tokens topic (key = sha256; null value = tombstone). */
export type TokenWriter = (records: readonly { sha256: string; record: TokenRecord | null }[]) => Promise<void>;

export class ClusterTokens {
  readonly #byHash = new Map<string, TokenRecord>();
  readonly #bootstrap: TokenRecord;
  readonly #write: TokenWriter;

  constructor(bootstrapToken: string, write: TokenWriter) {
    this.#bootstrap = { name: BOOTSTRAP_NAME, role: 'admin', sha256: sha256Hex(bootstrapToken), createdAt: new Date().toISOString(), lastUsedAt: null, revokedAt: null };
    this.#write = write;
  }

  /** A record read from the tokens topic (null value: deleted). Malformed records are ignored. */
  apply(key: string | undefined, value: Buffer | null): void {
    if (!key || !/^[0-9a-f]{64}$/.test(key)) return;
    if (value === null) { this.#byHash.delete(key); return; }
    let r: Partial<TokenRecord>;
    try { r = JSON.parse(value.toString()) as Partial<TokenRecord>; } catch { return; }
    if (typeof r.name !== 'string' || !isRole(r.role) || r.sha256 !== key) return;
    const known = this.#byHash.get(key);
    this.#byHash.set(key, { name: r.name, role: r.role, sha256: key, createdAt: String(r.createdAt ?? ''), lastUsedAt: known?.lastUsedAt ?? null, revokedAt: typeof r.revokedAt === 'string' ? r.revokedAt : null });
  }

  authenticate(header: string | undefined): Authentication {
    const token = bearerToken(header);
    if (token === undefined) return { ok: false, reason: 'missing' };
    const hash = sha256Hex(token);
    const r = this.#bootstrap.sha256 === hash ? this.#bootstrap : this.#byHash.get(hash);
    if (!r) return { ok: false, reason: 'unknown' };
    if (r.revokedAt !== null) return { ok: false, reason: 'revoked', name: r.name, role: r.role };
    r.lastUsedAt = new Date().toISOString();
    return { ok: true, name: r.name, role: r.role };
  }

  list(): TokenView[] {
    return [this.#bootstrap, ...this.#byHash.values()].map((r) => ({ name: r.name, role: r.role, createdAt: r.createdAt, lastUsedAt: r.lastUsedAt, revokedAt: r.revokedAt, bootstrap: r === this.#bootstrap }));
  }

  #live(name: string): TokenRecord | undefined {
    return [...this.#byHash.values()].find((r) => r.name === name && r.revokedAt === null);
  }

  /** Issues a token (the only time it is shown); its hash is in the topic before this resolves. */
  async create(input: { name?: unknown; role?: unknown }): Promise<{ token: string; view: TokenView }> {
    const { name, role } = input;
    if (typeof name !== 'string' || !NAME_RE.test(name)) throw badRequest('"name" must be 1 to 64 characters of A-Z, a-z, 0-9, "_", "." and "-"');
    if (!isRole(role)) throw badRequest('"role" must be "viewer", "operator" or "admin"');
    if (name === BOOTSTRAP_NAME) throw conflict(`"${BOOTSTRAP_NAME}" is the name of the --token of \`ferry worker\`; choose another name`);
    if (this.#live(name)) throw conflict(`a token named "${name}" exists; revoke it first (\`ferry tokens revoke ${name}\`) or choose another name`);
    const token = `ferry_${randomBytes(32).toString('base64url')}`;
    const record: TokenRecord = { name, role, sha256: sha256Hex(token), createdAt: new Date().toISOString(), lastUsedAt: null, revokedAt: null };
    // A revoked token of the same name is dropped (tombstoned) when the name is issued again, as serve does.
    const dropped = [...this.#byHash.values()].filter((r) => r.name === name).map((r) => ({ sha256: r.sha256, record: null }));
    await this.#write([...dropped, { sha256: record.sha256, record }]);
    for (const d of dropped) this.#byHash.delete(d.sha256);
    this.#byHash.set(record.sha256, record);
    return { token, view: this.list().find((v) => v.name === name && !v.bootstrap)! };
  }

  /** Revokes the live token `name`; the other workers refuse it once they read the record. */
  async revoke(name: string): Promise<TokenView> {
    if (name === BOOTSTRAP_NAME) throw badRequest('the bootstrap token is the --token of `ferry worker`: to revoke it, restart the workers with another --token');
    const r = this.#live(name);
    if (!r) throw new ApiError(404, 'not_found', `no live token named "${name}" (see \`ferry tokens list\`)`);
    const revoked: TokenRecord = { ...r, revokedAt: new Date().toISOString() };
    await this.#write([{ sha256: r.sha256, record: revoked }]);
    r.revokedAt = revoked.revokedAt;
    return this.list().find((v) => v.name === name && !v.bootstrap)!;
  }
}

/** The stored form of a record: never the last-used time (per worker). */
export function encodeTokenRecord(r: TokenRecord): Buffer {
  return Buffer.from(JSON.stringify({ name: r.name, role: r.role, sha256: r.sha256, createdAt: r.createdAt, revokedAt: r.revokedAt }));
}
