/**
 * `ferry audit [--since T] [--action A] [--limit N] [--json | --jsonl]`, `ferry audit export` and
 * `ferry audit verify`: the audit log of a `ferry serve` (docs/api.md "Audit log").
 *
 * Listing and export read the server's log through its API (admin role), or, with --state-dir, the file itself (the
 * server need not run). `verify` always reads the file: it walks the hash chain and fails (exit 1) at the first entry
 * that was edited, removed, inserted or reordered, naming its sequence number; `--head SEQ:HASH` also checks a head
 * recorded earlier (so a log rewritten from some entry on, or cut at its end, fails too).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FerryError } from '../../../../core/src/errors.ts';
import { ApiResponseError, paths } from '../../tasks-api/api-client.ts';
import { AUDIT_FILE, queryAuditFile, verifyAuditChain, type AuditEntry } from '../../tasks-api/audit-log.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { err, out, outJson } from '../output.ts';
import { apiClientOf, reportApiError, reportCliError, type ApiConnectionOptions } from './api-connection.ts';

export interface AuditOptions extends ApiConnectionOptions {
  readonly since?: string;
  readonly action?: string;
  readonly limit?: number;
  readonly json?: boolean;
  readonly jsonl?: boolean;
  /** Read <state-dir>/audit.jsonl instead of asking the server. */
  readonly stateDir?: string;
  /** verify: SEQ:HASH of a head recorded earlier. */
  readonly head?: string;
}

const line = (e: AuditEntry) => {
  const who = e.actor.name === null ? '(no valid token)' : `${e.actor.name} (${e.actor.role}${e.actor.revoked ? ', revoked' : ''})`;
  const params = Object.entries(e.params).filter(([k]) => k !== 'definition').map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
  return `${String(e.seq).padStart(6)} ${e.time} ${who.padEnd(28)} ${(e.source.address ?? '-').padEnd(16)} ${e.action.padEnd(18)} ${e.result.status}${e.result.code ? ` ${e.result.code}` : ''}  ${params}`;
};

function fileOf(stateDir: string): string {
  return join(resolve(stateDir), AUDIT_FILE);
}

export async function auditCommand(action: 'list' | 'export' | 'verify', options: AuditOptions): Promise<ExitCode> {
  const json = options.json === true;
  try {
    if (options.since !== undefined && Number.isNaN(Date.parse(options.since))) throw new FerryError('FERRY_USAGE', `--since ${options.since} is not a time in ISO 8601 (e.g. 2026-01-31T12:00:00Z)`);
    if (action === 'verify') return await verify(options, json);
    const jsonl = action === 'export' || options.jsonl === true;
    const limit = action === 'export' ? options.limit : options.limit ?? 100;
    if (options.stateDir !== undefined) {
      const { entries, truncated } = await queryAuditFile(fileOf(options.stateDir), {
        ...(options.since !== undefined ? { since: new Date(options.since) } : {}),
        ...(options.action !== undefined ? { actions: options.action.split(',').map((a) => a.trim()).filter(Boolean) } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      return print(entries, truncated, jsonl, json);
    }
    const api = apiClientOf(options);
    const q = { ...(options.since !== undefined ? { since: options.since } : {}), ...(options.action !== undefined ? { action: options.action } : {}), ...(limit !== undefined ? { limit } : {}) };
    if (jsonl) {
      // Passed through as the server sent it: each line is one entry, hash included, so it verifies as exported.
      process.stdout.write(await api.text(paths.audit({ ...q, format: 'jsonl' })));
      return EXIT.OK;
    }
    const r = await api.request<{ entries: AuditEntry[]; truncated: boolean }>('GET', paths.audit(q));
    return print(r.entries, r.truncated, false, json);
  } catch (e: unknown) {
    if (e instanceof ApiResponseError) return reportApiError(e, json);
    return reportCliError(e, json);
  }
}

function print(entries: readonly AuditEntry[], truncated: boolean, jsonl: boolean, json: boolean): ExitCode {
  if (jsonl) for (const e of entries) process.stdout.write(`${JSON.stringify(e)}\n`);
  else if (json) outJson({ ok: true, entries, truncated });
  else {
    for (const e of entries) out(line(e));
    if (truncated) err(`(only the newest ${entries.length} entries: use --limit or --since for others)`);
  }
  return EXIT.OK;
}

async function verify(options: AuditOptions, json: boolean): Promise<ExitCode> {
  let head: { seq: number; hash: string } | undefined;
  if (options.head !== undefined) {
    const m = /^([1-9][0-9]*):([0-9a-f]{64})$/.exec(options.head);
    if (!m) throw new FerryError('FERRY_USAGE', `--head must be SEQ:HASH as \`ferry audit verify\` prints it (e.g. 42:3f…, 64 hex digits), got ${options.head}`);
    head = { seq: Number(m[1]), hash: m[2]! };
  }
  const file = fileOf(options.stateDir ?? '.ferry');
  if (!existsSync(file)) throw new FerryError('FERRY_USAGE', `no audit log at ${file}: pass the --state-dir of the \`ferry serve\` (default .ferry)`);
  const r = await verifyAuditChain(file, head ? { head } : {});
  if (json) {
    outJson(r.ok ? { ok: true, file, entries: r.entries, head: r.head }
      : { ok: false, file, entries: r.entries, brokenAt: r.brokenAt, line: r.line, error: { code: 'FERRY_AUDIT_CHAIN_BROKEN', message: r.problem } });
  } else if (r.ok) {
    out(`${file}: ${r.entries} entries, the chain is intact; head ${r.head.seq}:${r.head.hash}`);
  } else {
    err(`error FERRY_AUDIT_CHAIN_BROKEN: ${file} is broken at entry ${r.brokenAt}${r.line !== undefined ? ` (line ${r.line})` : ''}: ${r.problem}; entries 1 to ${r.entries} are intact`);
  }
  return r.ok ? EXIT.OK : EXIT.FAILED;
}
