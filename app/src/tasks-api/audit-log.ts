/**
 * The audit log of a `ferry serve` (docs/api.md "Audit log", docs/security.md): one JSON line per control-plane
 * action in `<state-dir>/audit.jsonl` — every call that changes state, every refused call (401, 403), token
 * management and reads of the audit log itself — with the time, the token's name and role, the source address, the
 * action, its parameters (secrets masked) and the result. Never row data.
 *
 * Tamper evidence: each entry holds `seq` (1, 2, …), `prev` (the previous entry's hash; 64 zeros for the first) and
 * `hash` = SHA-256 of the entry without `hash` as canonical JSON (keys sorted, no spaces). Editing, removing or
 * reordering an entry breaks the chain at that entry (verifyAuditChain). Rewriting the whole tail after an edit is
 * not detectable from the file alone: record the head (`ferry audit verify` prints it; the server logs it at start)
 * somewhere the server cannot write, and check it later with `ferry audit verify --head SEQ:HASH`.
 *
 * Durability: the file is opened with O_APPEND and each entry is written with one write before the answer is sent;
 * fdatasync is group-committed (one sync covers every entry written while the previous sync ran), and the answer
 * waits for the sync that covers its entry. So an acknowledged action is on disk, and a flood of requests (refused
 * ones are logged too) costs one sync per batch, not one per request. The server is the only writer.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fdatasync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FerryError } from '../../../core/src/errors.ts';
import type { Role } from './routes.ts';

export const AUDIT_FILE = 'audit.jsonl';
export const GENESIS = '0'.repeat(64);

export interface AuditActor {
  /** The token's name; null when the request carried no token or an unknown one. */
  readonly name: string | null;
  readonly role: Role | null;
  /** Set when the token was revoked. */
  readonly revoked?: true;
}

/** An entry as the server records it (before seq, prev and hash are added). */
export interface AuditRecord {
  readonly time: string;
  readonly actor: AuditActor;
  readonly source: { readonly address: string | null };
  readonly action: string;
  readonly method: string;
  readonly path: string;
  readonly params: Record<string, unknown>;
  readonly result: { readonly status: number; readonly code?: string };
}

export interface AuditEntry extends AuditRecord {
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
}

/** JSON with object keys sorted at every level and no whitespace: the form the hash is taken over. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x)).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

export function entryHash(entry: Omit<AuditEntry, 'hash'> | AuditEntry): string {
  const { hash: _ignored, ...rest } = entry as AuditEntry;
  return createHash('sha256').update(canonicalJson(rest), 'utf8').digest('hex');
}

export interface ChainResult {
  readonly ok: boolean;
  /** Entries checked (all of them when ok). */
  readonly entries: number;
  /** The last good entry's seq and hash (the head when ok). */
  readonly head: { readonly seq: number; readonly hash: string };
  /** When not ok: the sequence number at which the chain breaks (the entry expected there), and why. */
  readonly brokenAt?: number;
  readonly line?: number;
  readonly problem?: string;
}

/** Every line of the file, numbered from 1; none when the file does not exist. */
async function* fileLines(file: string): AsyncGenerator<{ line: number; text: string }> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const opened = await new Promise<boolean>((resolve, reject) => {
    stream.once('open', () => resolve(true));
    stream.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? resolve(false) : reject(e)));
  });
  if (!opened) return;
  let n = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) yield { line: ++n, text };
}

/**
 * Walks the chain of `file` and stops at the first entry that is not what the chain expects: not JSON, a sequence
 * number other than the next one (an entry removed, inserted or moved), a `prev` that is not the previous entry's
 * hash, or a `hash` that does not match the entry's content (an edited field). `head`, when given, must be an entry.
 */
export async function verifyAuditChain(file: string, options: { head?: { seq: number; hash: string } } = {}): Promise<ChainResult> {
  let seq = 0;
  let prev = GENESIS;
  let headSeen = false;
  const fail = (line: number, problem: string): ChainResult => ({ ok: false, entries: seq, head: { seq, hash: prev }, brokenAt: seq + 1, line, problem });
  for await (const { line, text } of fileLines(file)) {
    let e: AuditEntry;
    try {
      e = JSON.parse(text) as AuditEntry;
    } catch {
      return fail(line, `line ${line} is not a JSON entry (cut short, or edited)`);
    }
    if (e === null || typeof e !== 'object') return fail(line, `line ${line} is not a JSON object`);
    if (e.seq !== seq + 1) return fail(line, `line ${line} holds seq ${JSON.stringify(e.seq)} where seq ${seq + 1} was expected: an entry was removed, inserted or moved`);
    if (e.prev !== prev) return fail(line, `entry ${e.seq}'s prev is not the hash of entry ${seq}: the entries were reordered or an earlier one replaced`);
    if (e.hash !== entryHash(e)) return fail(line, `entry ${e.seq}'s content does not match its hash: a field was edited`);
    if (options.head && e.seq === options.head.seq) {
      if (e.hash !== options.head.hash) return fail(line, `entry ${e.seq}'s hash differs from the recorded head ${options.head.hash}: the log was rewritten from here or earlier`);
      headSeen = true;
    }
    seq = e.seq;
    prev = e.hash;
  }
  if (options.head && !headSeen) {
    return { ok: false, entries: seq, head: { seq, hash: prev }, brokenAt: seq + 1, problem: `the recorded head, entry ${options.head.seq}, is not in the log (it has ${seq} entries): entries were removed from its end` };
  }
  return { ok: true, entries: seq, head: { seq, hash: prev } };
}

export interface AuditQuery {
  /** Entries at or after this time (ISO 8601). */
  readonly since?: Date;
  /** Only these actions (exact names, routes.ts). */
  readonly actions?: readonly string[];
  /** At most this many: the newest ones. */
  readonly limit?: number;
}

const matches = (e: AuditEntry, q: AuditQuery) => (q.since === undefined || Date.parse(e.time) >= q.since.getTime()) && (q.actions === undefined || q.actions.includes(e.action));

/** The entries of `file` that match, oldest first; with a limit, the newest `limit` of them. */
export async function queryAuditFile(file: string, q: AuditQuery = {}): Promise<{ entries: AuditEntry[]; truncated: boolean }> {
  const out: AuditEntry[] = [];
  let truncated = false;
  for await (const { text } of fileLines(file)) {
    let e: AuditEntry;
    try { e = JSON.parse(text) as AuditEntry; } catch { continue; }
    if (!matches(e, q)) continue;
    out.push(e);
    if (q.limit !== undefined && out.length > q.limit) { out.shift(); truncated = true; }
  }
  return { entries: out, truncated };
}

export class AuditLog {
  readonly file: string;
  readonly #fd: number;
  #seq: number;
  #head: string;
  #failed: Error | null = null;
  #syncing = false;
  #waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];

  private constructor(file: string, fd: number, head: { seq: number; hash: string }) {
    this.file = file;
    this.#fd = fd;
    this.#seq = head.seq;
    this.#head = head.hash;
  }

  /**
   * Opens `<stateDir>/audit.jsonl` for appending after checking its whole chain: a broken chain refuses the start
   * (FERRY_AUDIT_CHAIN_BROKEN), since appending to it would hide where it broke.
   */
  static async open(stateDir: string): Promise<AuditLog> {
    mkdirSync(stateDir, { recursive: true });
    const file = join(stateDir, AUDIT_FILE);
    const chain = await verifyAuditChain(file);
    if (!chain.ok) {
      throw new FerryError('FERRY_AUDIT_CHAIN_BROKEN', `the audit log ${file} is broken at entry ${chain.brokenAt}: ${chain.problem}. Keep the file as evidence: move it aside (a new log starts), then investigate with \`ferry audit verify --state-dir ${stateDir}\``);
    }
    return new AuditLog(file, openSync(file, 'a', 0o600), chain.head);
  }

  /** The last entry's seq and hash. */
  get head(): { seq: number; hash: string } {
    return { seq: this.#seq, hash: this.#head };
  }

  /** Set when a write or sync failed: the server then refuses every audited call (fail closed). */
  get failed(): Error | null {
    return this.#failed;
  }

  /** Appends an entry; resolves once it is on disk. */
  append(record: AuditRecord): Promise<AuditEntry> {
    if (this.#failed) return Promise.reject(this.#failed);
    const unsigned = { seq: this.#seq + 1, ...record, prev: this.#head };
    const entry: AuditEntry = { ...unsigned, hash: entryHash(unsigned) };
    const bytes = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(this.#fd, bytes, off, bytes.length - off);
    } catch (e: unknown) {
      this.#failed = e as Error;
      return Promise.reject(e as Error);
    }
    this.#seq = entry.seq;
    this.#head = entry.hash;
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      if (!this.#syncing) this.#sync();
    }).then(() => entry);
  }

  #sync(): void {
    const batch = this.#waiting;
    this.#waiting = [];
    this.#syncing = true;
    fdatasync(this.#fd, (e) => {
      this.#syncing = false;
      if (e) this.#failed = e;
      for (const w of batch) if (e) w.reject(e); else w.resolve();
      if (this.#waiting.length > 0) this.#sync();
    });
  }

  async close(): Promise<void> {
    while (this.#syncing || this.#waiting.length > 0) await new Promise((r) => setTimeout(r, 5));
    closeSync(this.#fd);
  }
}
