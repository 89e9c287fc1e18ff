/**
 * Applies a commit, stated as the REST protocol states it (requirements + updates), to table metadata: what a
 * catalog that writes metadata files itself (the SQL catalog) does, and what the writer does to know the metadata a
 * commit produces. Pure: returns new metadata, never changes `base`.
 *
 * Requirements are checked first; a failed one throws CommitConflictError (the table moved since the writer read it).
 */
import { CommitConflictError } from '../catalog/catalog.ts';
import type { TableMetadataV2, TableRequirement, TableUpdate } from './table-metadata.ts';

/** Throws CommitConflictError naming the first requirement `m` does not meet (`m` undefined: the table does not exist). */
export function checkRequirements(m: TableMetadataV2 | undefined, requirements: readonly TableRequirement[]): void {
  for (const r of requirements) {
    if (r.type === 'assert-create') {
      if (m !== undefined) throw new CommitConflictError('the table already exists (assert-create)');
      continue;
    }
    if (m === undefined) throw new CommitConflictError(`the table does not exist (${r.type})`);
    const fail = (what: string, want: unknown, have: unknown): never => {
      throw new CommitConflictError(`${r.type}: ${what} is ${String(have)}, the commit expects ${String(want)}`);
    };
    switch (r.type) {
      case 'assert-table-uuid':
        if (m['table-uuid'] !== r.uuid) fail('the table uuid', r.uuid, m['table-uuid']);
        break;
      case 'assert-ref-snapshot-id': {
        const have = r.ref === 'main' ? (m.refs?.main?.['snapshot-id'] ?? m['current-snapshot-id'] ?? null) : (m.refs?.[r.ref]?.['snapshot-id'] ?? null);
        const h = have === -1 ? null : have;
        if (h !== r['snapshot-id']) fail(`ref ${r.ref}`, r['snapshot-id'], h);
        break;
      }
      case 'assert-last-assigned-field-id':
        if (m['last-column-id'] !== r['last-assigned-field-id']) fail('the last column id', r['last-assigned-field-id'], m['last-column-id']);
        break;
      case 'assert-current-schema-id':
        if (m['current-schema-id'] !== r['current-schema-id']) fail('the current schema id', r['current-schema-id'], m['current-schema-id']);
        break;
      case 'assert-last-assigned-partition-id':
        if (m['last-partition-id'] !== r['last-assigned-partition-id']) fail('the last partition id', r['last-assigned-partition-id'], m['last-partition-id']);
        break;
      case 'assert-default-spec-id':
        if (m['default-spec-id'] !== r['default-spec-id']) fail('the default spec id', r['default-spec-id'], m['default-spec-id']);
        break;
      case 'assert-default-sort-order-id':
        if (m['default-sort-order-id'] !== r['default-sort-order-id']) fail('the default sort order id', r['default-sort-order-id'], m['default-sort-order-id']);
        break;
    }
  }
}

/** `base` with `updates` applied in order; `nowMs` stamps last-updated-ms and the logs. */
export function applyUpdates(base: TableMetadataV2, updates: readonly TableUpdate[], nowMs: number = Date.now()): TableMetadataV2 {
  const m: TableMetadataV2 = structuredClone(base);
  m.snapshots ??= [];
  m['snapshot-log'] ??= [];
  m.refs ??= {};
  m.properties ??= {};
  let lastAddedSchema: number | undefined;
  let lastAddedSpec: number | undefined;
  let lastAddedOrder: number | undefined;
  for (const u of updates) {
    switch (u.action) {
      case 'assign-uuid':
        m['table-uuid'] = u.uuid;
        break;
      case 'upgrade-format-version':
        if (u['format-version'] !== 2) throw new Error(`format version ${u['format-version']} is not supported (only 2)`);
        break;
      case 'add-schema': {
        let id = u.schema['schema-id'];
        if (id === -1 || m.schemas.some((s) => s['schema-id'] === id)) id = Math.max(-1, ...m.schemas.map((s) => s['schema-id'])) + 1;
        m.schemas.push({ ...u.schema, 'schema-id': id });
        m['last-column-id'] = Math.max(m['last-column-id'], u['last-column-id'] ?? maxFieldId(u.schema.fields));
        lastAddedSchema = id;
        break;
      }
      case 'set-current-schema': {
        const id = u['schema-id'] === -1 ? lastAddedSchema : u['schema-id'];
        if (id === undefined || !m.schemas.some((s) => s['schema-id'] === id)) throw new Error(`set-current-schema: no schema ${u['schema-id']}`);
        m['current-schema-id'] = id;
        break;
      }
      case 'add-spec': {
        let id = u.spec['spec-id'];
        if (id === -1 || m['partition-specs'].some((s) => s['spec-id'] === id)) id = Math.max(-1, ...m['partition-specs'].map((s) => s['spec-id'])) + 1;
        m['partition-specs'].push({ ...u.spec, 'spec-id': id });
        m['last-partition-id'] = Math.max(m['last-partition-id'], ...u.spec.fields.map((f) => f['field-id']));
        lastAddedSpec = id;
        break;
      }
      case 'set-default-spec': {
        const id = u['spec-id'] === -1 ? lastAddedSpec : u['spec-id'];
        if (id === undefined || !m['partition-specs'].some((s) => s['spec-id'] === id)) throw new Error(`set-default-spec: no spec ${u['spec-id']}`);
        m['default-spec-id'] = id;
        break;
      }
      case 'add-sort-order': {
        let id = u['sort-order']['order-id'];
        if (id === -1) id = Math.max(0, ...m['sort-orders'].map((s) => s['order-id'])) + 1;
        m['sort-orders'].push({ ...u['sort-order'], 'order-id': id });
        lastAddedOrder = id;
        break;
      }
      case 'set-default-sort-order':
        m['default-sort-order-id'] = u['sort-order-id'] === -1 ? (lastAddedOrder ?? 0) : u['sort-order-id'];
        break;
      case 'add-snapshot': {
        const s = u.snapshot;
        if (m.snapshots.some((x) => x['snapshot-id'] === s['snapshot-id'])) throw new CommitConflictError(`snapshot ${s['snapshot-id']} already exists`);
        if (s['sequence-number'] <= m['last-sequence-number'] && m.snapshots.length > 0) {
          throw new CommitConflictError(`snapshot sequence number ${s['sequence-number']} is not above the table's last ${m['last-sequence-number']}`);
        }
        m.snapshots.push(s);
        m['last-sequence-number'] = Math.max(m['last-sequence-number'], s['sequence-number']);
        break;
      }
      case 'set-snapshot-ref': {
        const { 'ref-name': name, type, 'snapshot-id': id } = u;
        if (!m.snapshots.some((x) => x['snapshot-id'] === id)) throw new Error(`set-snapshot-ref: no snapshot ${id}`);
        m.refs[name] = { 'snapshot-id': id, type };
        if (name === 'main') {
          m['current-snapshot-id'] = id;
          m['snapshot-log'].push({ 'timestamp-ms': m.snapshots.find((x) => x['snapshot-id'] === id)!['timestamp-ms'], 'snapshot-id': id });
        }
        break;
      }
      case 'remove-snapshots': {
        const gone = new Set(u['snapshot-ids']);
        m.snapshots = m.snapshots.filter((s) => !gone.has(s['snapshot-id']));
        m['snapshot-log'] = m['snapshot-log'].filter((s) => !gone.has(s['snapshot-id']));
        for (const [name, ref] of Object.entries(m.refs)) if (gone.has(ref['snapshot-id'])) delete m.refs[name];
        if (m['current-snapshot-id'] != null && gone.has(m['current-snapshot-id'])) m['current-snapshot-id'] = null;
        break;
      }
      case 'remove-snapshot-ref':
        delete m.refs[u['ref-name']];
        if (u['ref-name'] === 'main') m['current-snapshot-id'] = null;
        break;
      case 'set-location':
        m.location = u.location;
        break;
      case 'set-properties':
        Object.assign(m.properties, u.updates);
        break;
      case 'remove-properties':
        for (const k of u.removals) delete m.properties[k];
        break;
    }
  }
  m['last-updated-ms'] = nowMs;
  return m;
}

function maxFieldId(fields: readonly { id: number; type: unknown }[]): number {
  let max = 0;
  for (const f of fields) {
    max = Math.max(max, f.id);
    const t = f.type as { type?: string; fields?: { id: number; type: unknown }[]; 'element-id'?: number; 'key-id'?: number; 'value-id'?: number };
    if (typeof t === 'object' && t !== null) {
      if (t.fields) max = Math.max(max, maxFieldId(t.fields));
      for (const k of ['element-id', 'key-id', 'value-id'] as const) if (typeof t[k] === 'number') max = Math.max(max, t[k]);
    }
  }
  return max;
}
