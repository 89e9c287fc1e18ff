/**
 * The migration effort of one database and the recommended target engine (docs/discovery.md, "Effort score" and
 * "Recommended target"). Each candidate target is assessed by the schema conversion itself
 * (runtime/src/schema-conversion/: what `ferry convert-schema` would convert automatically, with a warning, or not),
 * then scored with fixed weights; features the converter does not handle (events, extensions, partitioning) and
 * tables without a primary key add their own points.
 */
import type { SourceCatalog } from '../../../core/src/catalog.ts';
import { tableMappingSchema } from '../../../runtime/src/config/table-mapping-schema.ts';
import { convertSchema } from '../../../runtime/src/schema-conversion/convert.ts';
import type { DatabaseInventory } from './inventory.ts';
import type { Candidate, CandidateTarget, DiscoverEngine, Effort } from './model.ts';

/** Points per object that needs manual work, by the assessment's object kind. */
export const MANUAL_WEIGHTS: Readonly<Record<string, number>> = {
  procedure: 8, function: 8, trigger: 5, event: 5, extension: 5, view: 3, 'column type': 3, table: 3, 'partitioned table': 3,
  default: 2, index: 2, 'foreign key': 2, check: 2, sequence: 2,
};
/** Points per object converted with a warning. */
export const WARNING_WEIGHT = 1;
/** Points per table without a primary key (change capture and validation need a key). */
export const KEYLESS_WEIGHT = 2;
/** Points per same-engine event or extension: re-created on the target by hand, as is. */
export const SAME_ENGINE_RECREATE_WEIGHT = 1;
/** Heavy use of JSON and spatial columns: at least this many, or in at least this share of the tables. */
export const HEAVY_COLUMNS = 3;
export const HEAVY_SHARE = 0.25;

const ALL_TABLES = tableMappingSchema.parse({ rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': '%', 'table-name': '%' } }] });
const CODE_KINDS = ['procedure', 'function', 'trigger', 'event', 'extension'] as const;

export function levelOf(score: number): Effort['level'] {
  return score === 0 ? 'none' : score <= 10 ? 'low' : score <= 50 ? 'medium' : 'high';
}

/** The targets weighed for a source engine: the same engine first, then the other family. */
export function candidatesFor(engine: DiscoverEngine): readonly [CandidateTarget, CandidateTarget] {
  return engine === 'postgres' ? ['postgres', 'mysql'] : [engine, 'postgres'];
}

const isSame = (engine: DiscoverEngine, target: CandidateTarget) => (engine === 'postgres') === (target === 'postgres');

interface Extra { readonly kind: string; readonly object: string; readonly reason: string; readonly points: number }

function assessCandidate(db: DatabaseInventory, catalog: SourceCatalog, engine: DiscoverEngine, target: CandidateTarget): Candidate {
  const a = convertSchema({ catalog, mapping: ALL_TABLES, target }).assessment;
  const same = isSame(engine, target);
  const extras: Extra[] = [];
  for (const e of db.features.events) {
    extras.push({ kind: 'event', object: e.object, reason: same ? 'scheduled events are not copied by a migration: re-create it on the target' : `${target} has no event scheduler: use pg_cron or an external scheduler`, points: same ? SAME_ENGINE_RECREATE_WEIGHT : MANUAL_WEIGHTS.event! });
  }
  for (const e of db.features.extensions) {
    extras.push({ kind: 'extension', object: e.object, reason: same ? 'install the extension on the target first' : `the extension ${e.object} has no ${target} equivalent`, points: same ? SAME_ENGINE_RECREATE_WEIGHT : MANUAL_WEIGHTS.extension! });
  }
  // Same-engine MySQL copies SHOW CREATE TABLE (partitioning included); the PostgreSQL reader converts the leaf partitions only.
  if (!(same && engine !== 'postgres')) {
    for (const p of db.features.partitionedTables) {
      extras.push({ kind: 'partitioned table', object: p.object, reason: `the partitioning (${p.detail ?? 'partitioned'}) is not converted: declare it on the target by hand`, points: same ? 2 : MANUAL_WEIGHTS['partitioned table']! });
    }
  }
  const manualItems = a.items.filter((i) => i.outcome === 'manual');
  const manualByKind: Record<string, number> = {};
  for (const i of manualItems) manualByKind[i.kind] = (manualByKind[i.kind] ?? 0) + 1;
  for (const e of extras) manualByKind[e.kind] = (manualByKind[e.kind] ?? 0) + 1;
  const keyless = db.tables.filter((t) => !t.primaryKey).length;
  const score = manualItems.reduce((s, i) => s + (MANUAL_WEIGHTS[i.kind] ?? 2), 0)
    + a.items.filter((i) => i.outcome === 'warning').length * WARNING_WEIGHT
    + extras.reduce((s, e) => s + e.points, 0) + keyless * KEYLESS_WEIGHT;
  const weight = (i: { readonly kind: string }) => MANUAL_WEIGHTS[i.kind] ?? 2;
  const top = [...manualItems.map((i) => ({ kind: i.kind as string, object: i.object, reason: i.reason ?? '' })), ...extras.map(({ kind, object, reason }) => ({ kind, object, reason }))]
    .sort((x, y) => weight(y) - weight(x) || x.object.localeCompare(y.object)).slice(0, 10);
  return {
    target, score, level: levelOf(score),
    auto: a.items.filter((i) => i.outcome === 'auto').length, warning: a.items.filter((i) => i.outcome === 'warning').length,
    manual: manualItems.length + extras.length, manualByKind, topIssues: top,
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const ENGINE_NAMES: Readonly<Record<CandidateTarget, string>> = { postgres: 'PostgreSQL', mysql: 'MySQL', mariadb: 'MariaDB' };

/** The effort per candidate target and the recommendation with its reasons. */
export function estimateEffort(db: DatabaseInventory, catalog: SourceCatalog, engine: DiscoverEngine): Effort {
  const [sameTarget, crossTarget] = candidatesFor(engine);
  const same = assessCandidate(db, catalog, engine, sameTarget);
  const cross = assessCandidate(db, catalog, engine, crossTarget);
  const reasons: string[] = [];
  let pick: Candidate;
  const code = CODE_KINDS.map((k) => [k, cross.manualByKind[k] ?? 0] as const).filter(([, n]) => n > 0);
  const f = db.features;
  const heavy = f.jsonColumns.length + f.spatialColumns.length;
  const tablesUsing = new Set([...f.jsonColumns, ...f.spatialColumns].map((c) => c.object.slice(0, c.object.lastIndexOf('.')))).size;
  if (code.length > 0) {
    pick = same;
    reasons.push(`engine-specific code: ${code.map(([k, n]) => plural(n, k)).join(', ')} would have to be rewritten for ${ENGINE_NAMES[crossTarget]}; on ${ENGINE_NAMES[sameTarget]} they are copied as they are`);
  } else if (engine !== 'postgres' && heavy > 0 && (heavy >= HEAVY_COLUMNS || (db.tables.length > 0 && tablesUsing / db.tables.length >= HEAVY_SHARE))) {
    pick = cross;
    if (f.jsonColumns.length > 0) reasons.push(`${plural(f.jsonColumns.length, 'JSON column')}: PostgreSQL's jsonb stores them parsed, indexes them (GIN) and queries them with operators and JSON path`);
    if (f.spatialColumns.length > 0) reasons.push(`${plural(f.spatialColumns.length, 'spatial column')}: PostGIS offers far more spatial types, functions and index kinds (the conversion writes WKB bytes until PostGIS is installed)`);
  } else if (cross.score < same.score) {
    pick = cross;
    reasons.push(`lowest conversion effort: ${ENGINE_NAMES[crossTarget]} scores ${cross.score}, ${ENGINE_NAMES[sameTarget]} ${same.score}`);
  } else {
    pick = same;
    reasons.push(same.score === cross.score
      ? `same engine: no conversion needed (both targets score ${same.score})`
      : `lowest conversion effort: ${ENGINE_NAMES[sameTarget]} scores ${same.score}, ${ENGINE_NAMES[crossTarget]} ${cross.score}`);
  }
  const keyless = db.tables.filter((t) => !t.primaryKey);
  if (keyless.length > 0) reasons.push(`${plural(keyless.length, 'table')} without a primary key (${keyless.slice(0, 5).map((t) => `${t.schema}.${t.name}`).join(', ')}${keyless.length > 5 ? ', …' : ''}): add one before change capture, or updates and deletes cannot be matched on the target`);
  if (pick.manual > 0) reasons.push(`${plural(pick.manual, 'object')} need manual work on ${ENGINE_NAMES[pick.target]} (run ferry convert-schema for the details)`);
  return { recommendedTarget: pick.target, score: pick.score, level: pick.level, reasons, candidates: [same, cross] };
}

/** The part of a server-wide catalog that belongs to one MySQL database (or, for PostgreSQL, the catalog as is). */
export function catalogOf(catalog: SourceCatalog, database: string, engine: DiscoverEngine): SourceCatalog {
  if (engine === 'postgres') return catalog;
  const mine = <T extends { readonly schema: string }>(l: readonly T[]) => l.filter((x) => x.schema === database);
  return { ...catalog, tables: mine(catalog.tables), views: mine(catalog.views), triggers: mine(catalog.triggers), routines: mine(catalog.routines), sequences: mine(catalog.sequences) };
}
