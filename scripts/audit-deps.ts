/**
 * The dependency audit of `npm test` (issue #20): `npm audit --omit=dev --json` over the runtime dependencies, failing
 * on any advisory of high or critical severity with the package, the advisory and the fix npm proposes.
 *
 * When the advisory database cannot be reached (no network, or a registry mirror that refuses npm's POST
 * `/-/npm/v1/security/advisories/bulk`, as the one this project's CI machine uses), nothing was checked: the script
 * says so plainly and exits 0, or exits 1 when FERRY_AUDIT_REQUIRED=1 (set it wherever the npm registry itself is
 * reachable, so that an unreachable audit cannot pass silently).
 *
 *   scripts/node scripts/audit-deps.ts [--json]
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';

export interface AuditFinding {
  readonly name: string;
  readonly severity: string;
  readonly advisories: string[];
  readonly fix: string;
}

export type AuditVerdict =
  | { readonly kind: 'clean'; readonly counts: Record<string, number> }
  | { readonly kind: 'vulnerable'; readonly findings: AuditFinding[]; readonly counts: Record<string, number> }
  | { readonly kind: 'unavailable'; readonly reason: string };

const BLOCKING = new Set(['high', 'critical']);

interface NpmVia { title?: string; url?: string; severity?: string; name?: string }
interface NpmVulnerability { name?: string; severity?: string; via?: (NpmVia | string)[]; fixAvailable?: boolean | { name: string; version: string; isSemVerMajor?: boolean } }
interface NpmAuditJson {
  vulnerabilities?: Record<string, NpmVulnerability>;
  metadata?: { vulnerabilities?: Record<string, number> };
  message?: string;
  statusCode?: number;
  error?: { code?: string; summary?: string; detail?: string };
}

/** What `npm audit --json`'s output says: clean, vulnerable (high or critical advisories), or not checked at all. */
export function judgeAudit(stdout: string): AuditVerdict {
  let report: NpmAuditJson;
  try {
    report = JSON.parse(stdout) as NpmAuditJson;
  } catch {
    return { kind: 'unavailable', reason: `npm audit printed no JSON report (${JSON.stringify(stdout.slice(0, 200))})` };
  }
  if (report.vulnerabilities === undefined || report.metadata?.vulnerabilities === undefined) {
    const fromError = report.error ? `${report.error.code ?? ''} ${report.error.summary ?? ''}`.trim() : '';
    const why = report.message ?? (fromError || 'no vulnerability report in the answer');
    return { kind: 'unavailable', reason: why };
  }
  const counts = report.metadata.vulnerabilities;
  const findings: AuditFinding[] = [];
  for (const [name, v] of Object.entries(report.vulnerabilities)) {
    if (!BLOCKING.has(v.severity ?? '')) continue;
    const advisories = (v.via ?? []).flatMap((x) => (typeof x === 'string' ? [`through ${x}`] : [`${x.severity ?? '?'}: ${x.title ?? '?'} ${x.url ?? ''}`.trim()]));
    const fix = v.fixAvailable === true ? 'npm audit fix'
      : v.fixAvailable ? `npm install ${v.fixAvailable.name}@${v.fixAvailable.version}${v.fixAvailable.isSemVerMajor ? ' (a major version: check its changes)' : ''}`
        : 'no fix published: replace the dependency or accept the risk in writing';
    findings.push({ name, severity: v.severity!, advisories, fix });
  }
  return findings.length > 0 ? { kind: 'vulnerable', findings, counts } : { kind: 'clean', counts };
}

function main(): number {
  const root = join(dirname(new URL(import.meta.url).pathname), '..');
  // The machine's npm (bootstrap.sh uses it for `npm ci` too; the Node 24 that bootstrap.sh fetches has none).
  const r = spawnSync('npm', ['audit', '--omit=dev', '--json'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  const verdict = judgeAudit(r.stdout ?? '');
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(verdict)}\n`);
  switch (verdict.kind) {
    case 'clean':
      console.error(`dependency audit: no high or critical advisory in the runtime dependencies (${JSON.stringify(verdict.counts)})`);
      return 0;
    case 'vulnerable':
      for (const f of verdict.findings) console.error(`dependency audit: ${f.severity} advisory in ${f.name}: ${f.advisories.join('; ')}. Fix: ${f.fix}`);
      return 1;
    case 'unavailable': {
      const required = process.env.FERRY_AUDIT_REQUIRED === '1';
      console.error(`dependency audit NOT DONE: the advisory database could not be queried (${verdict.reason}). ${required ? 'FERRY_AUDIT_REQUIRED=1, so this fails.' : 'Run `npm audit --omit=dev` where the npm registry is reachable, or set FERRY_AUDIT_REQUIRED=1 to make this fatal.'}`);
      return required ? 1 : 0;
    }
  }
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) process.exitCode = main();
