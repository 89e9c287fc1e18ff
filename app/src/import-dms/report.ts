/**
 * The report of `ferry import-dms`: one entry per leaf of the DMS input (task fields, task settings, endpoint
 * fields, settings-object keys and extra connection attributes), so nothing is dropped silently.
 */

export interface ReportEntry {
  /** Which input it came from: "task moveit2", "endpoint pri100". */
  readonly input: string;
  /** Its path in that input: ReplicationTaskSettings.FullLoadSettings.CommitRate, ExtraConnectionAttributes.targetDbType. */
  readonly path: string;
  readonly value: unknown;
  /**
   * carried: mapped to the Ferry setting `ferry` with the same effect; same: Ferry behaves so anyway, nothing to set;
   * not-carried: Ferry has no equivalent (reason); informational: DMS state or identity, not a setting.
   */
  readonly status: 'carried' | 'same' | 'not-carried' | 'informational';
  readonly ferry?: string;
  readonly reason: string;
}

export interface ImportReport {
  readonly taskFile: string | null;
  readonly task: string;
  readonly entries: readonly ReportEntry[];
  /** Environment variables the task file's secret references read. */
  readonly variables: readonly string[];
  /** Problems the written task file still has when validated (empty when it validates). */
  readonly validation: readonly { readonly path: string; readonly message: string }[];
}

const short = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** The report as text: what was carried, accepted, and — most important — what was not, with why. */
export function formatReport(r: ImportReport): string {
  const lines: string[] = [];
  const by = (s: ReportEntry['status']) => r.entries.filter((e) => e.status === s);
  const line = (e: ReportEntry) => `  ${e.input}: ${e.path} = ${short(e.value)}`;
  lines.push(`import-dms: task ${r.task}${r.taskFile ? ` → ${r.taskFile}` : ''}`);
  lines.push(`carried over (${by('carried').length}):`);
  for (const e of by('carried')) lines.push(`${line(e)} → ${e.ferry ?? ''}${e.reason ? ` (${e.reason})` : ''}`);
  lines.push(`accepted, Ferry does this anyway (${by('same').length}):`);
  for (const e of by('same')) lines.push(`${line(e)}: ${e.reason}`);
  lines.push(`not carried over (${by('not-carried').length}):`);
  for (const e of by('not-carried')) lines.push(`${line(e)}: ${e.reason}`);
  lines.push(`DMS state and identity, not settings (${by('informational').length}): ${by('informational').map((e) => `${e.input}: ${e.path}`).join(', ') || 'none'}`);
  if (r.variables.length > 0) lines.push(`set these environment variables before running the task: ${r.variables.join(', ')}`);
  if (r.validation.length > 0) {
    lines.push(`the task file does not validate (${r.validation.length} problem${r.validation.length === 1 ? '' : 's'}):`);
    for (const p of r.validation) lines.push(`  ${p.path}: ${p.message}`);
  }
  return lines.join('\n');
}
