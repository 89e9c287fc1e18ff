/**
 * `ferry lake maintain <task-file>`: table maintenance of the task's Iceberg targets (docs/sinks/iceberg.md#maintenance):
 * snapshot expiry and orphan-file removal, through the target's own catalog and storage settings. Safe while the
 * task's sink keeps committing.
 */
import { loadTaskFileAsync } from '../../task-file/load-task.ts';
import { createRecordSink, targetName } from '../../task/targets.ts';
import { FerryError } from '../../../../core/src/errors.ts';
import { IcebergSink } from '../../../../sinks/iceberg/src/IcebergSink.ts';
import type { TableIdentifier } from '../../../../sinks/iceberg/src/catalog/catalog.ts';
import { maintainTables, type TableMaintenance } from '../../../../sinks/iceberg/src/maintenance/maintain.ts';
import { DefaultTableFiles } from '../../../../sinks/iceberg/src/maintenance/table-files.ts';
import { Duck } from '../../../../sinks/iceberg/src/writer/duck.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { outJson, reportError } from '../output.ts';

export interface LakeMaintainOptions {
  compact?: boolean;
  target?: string[];
  table?: string[];
  expireOlderThan?: number;
  retainLast?: number;
  removeOrphans?: boolean;
  orphanOlderThan?: number;
  dryRun?: boolean;
  json?: boolean;
}

export async function lakeMaintainCommand(file: string, o: LakeMaintainOptions): Promise<ExitCode> {
  const json = o.json === true;
  try {
    if (o.expireOlderThan === undefined && !o.removeOrphans && !o.compact) {
      throw new FerryError('FERRY_USAGE', 'ferry lake maintain: nothing to do; give --compact (rewrite small files and delete files), --expire-older-than <age> (snapshot expiry) and/or --remove-orphans (orphan-file removal)');
    }
    const task = await loadTaskFileAsync(file);
    const targets = task.targets.map((t, i) => ({ t, i, name: targetName(t, i) }))
      .filter(({ t, name }) => t.type === 'iceberg' && (o.target === undefined || o.target.length === 0 || o.target.includes(name)));
    if (targets.length === 0) {
      throw new FerryError('FERRY_USAGE', `ferry lake maintain: task ${task.name} has no iceberg target${o.target?.length ? ` named ${o.target.join(', ')}` : ''}; the command maintains the tables of iceberg targets`);
    }
    const now = Date.now();
    const report: { target: string; tables: TableMaintenance[] }[] = [];
    for (const { t, i, name } of targets) {
      const sink = await createRecordSink(t, i);
      if (!(sink instanceof IcebergSink)) throw new FerryError('FERRY_INTERNAL', `target ${name}: not an Iceberg sink`);
      const files = new DefaultTableFiles(sink.config.s3);
      const duck = o.compact ? await Duck.create({ threads: sink.config.duckdbThreads, memoryLimit: sink.config.duckdbMemoryLimit }) : undefined;
      try {
        const catalog = await sink.catalog();
        const tables = await tablesOf(o.table, sink.config.namespace, selectedSchemas(task.tableMappings), catalog.listTables.bind(catalog));
        const results = await maintainTables({
          catalog, files, tables, dryRun: o.dryRun === true,
          ...(duck ? { compact: { io: sink.io, duck, compression: sink.config.compression } } : {}),
          ...(o.expireOlderThan !== undefined ? { expire: { olderThanMs: now - o.expireOlderThan, retainLast: o.retainLast ?? 1 } } : {}),
          ...(o.removeOrphans ? { orphans: { olderThanMs: now - (o.orphanOlderThan ?? 3 * 86_400_000) } } : {}),
        });
        report.push({ target: name, tables: results });
      } finally {
        await duck?.close();
        await files.close();
        await sink.close();
      }
    }
    if (json) outJson({ ok: true, dryRun: o.dryRun === true, targets: report });
    else {
      for (const r of report) {
        for (const t of r.tables) {
          const parts: string[] = [];
          if (t.compact) parts.push(`${o.dryRun ? 'would rewrite' : 'rewrote'} ${t.compact.rewrittenDataFiles.length} data file(s) and ${t.compact.removedDeleteFiles.length} delete file(s)${o.dryRun ? '' : ` into ${t.compact.addedDataFiles.length}`}`);
          if (t.expire) parts.push(`${o.dryRun ? 'would expire' : 'expired'} ${t.expire.expiredSnapshotIds.length} snapshot(s), ${o.dryRun ? 'would delete' : 'deleted'} ${t.expire.deletedFiles.length} file(s), ${t.expire.keptSnapshotIds.length} snapshot(s) left`);
          if (t.orphans) parts.push(`${o.dryRun ? 'would remove' : 'removed'} ${t.orphans.orphans.length} orphan file(s) (${t.orphans.tooRecent.length} unreferenced but newer than the safety age)`);
          process.stdout.write(`${r.target} ${t.table}: ${parts.join('; ')}\n`);
        }
      }
    }
    return EXIT.OK;
  } catch (e: unknown) {
    if (e instanceof FerryError && e.code === 'FERRY_USAGE') { reportError(e, json); return EXIT.INVALID; }
    return reportError(e, json);
  }
}

/** --table ns.name (repeatable), else every table of the target's namespace, else of the schemas the table
 *  mapping selects by name (no % wildcard). */
async function tablesOf(given: string[] | undefined, namespace: string | undefined, schemas: string[], list: (ns: string[]) => Promise<TableIdentifier[]>): Promise<TableIdentifier[]> {
  if (given && given.length > 0) {
    return given.map((s) => {
      const parts = s.split('.');
      if (parts.length < 2 || parts.some((p) => p === '')) throw new FerryError('FERRY_USAGE', `--table ${JSON.stringify(s)}: expected <namespace>.<table>, e.g. shop.orders`);
      return { namespace: parts.slice(0, -1), name: parts.at(-1)! };
    });
  }
  const namespaces = namespace !== undefined ? [namespace.split('.')] : schemas.map((s) => [s]);
  if (namespaces.length === 0) {
    throw new FerryError('FERRY_USAGE', 'ferry lake maintain: cannot tell which tables to maintain: the target has no namespace and the table mapping selects schemas only by pattern; give --table <namespace>.<table>');
  }
  return (await Promise.all(namespaces.map((ns) => list(ns)))).flat();
}

function selectedSchemas(mappings: unknown): string[] {
  const rules = ((mappings as { rules?: unknown[] } | undefined)?.rules ?? []) as Record<string, unknown>[];
  const out = new Set<string>();
  for (const r of rules) {
    const schema = (r['object-locator'] as Record<string, unknown> | undefined)?.['schema-name'];
    if (r['rule-type'] === 'selection' && r['rule-action'] === 'include' && typeof schema === 'string' && !schema.includes('%')) out.add(schema);
  }
  return [...out];
}
