/**
 * Where each selected table lands, and which two tables would land in the same place.
 *
 * A task writes each table to destinations in one or more name spaces: the Kafka topic `<prefix>.<schema>.<table>`
 * (with a kafka block; sanitized, so `t x` and `t_x` share `…t_x`, and Kafka treats '.' and '_' as one; without
 * one, the mapped `<schema>.<table>` itself), and per
 * target what its sink plugin's `destinationOf` names (core/src/plugin.ts): a DynamoDB or Redshift table, a lake
 * folder, a target topic. Two selected tables whose destinations compare equal in one space would interleave their
 * rows under colliding keys, so `ferry validate`, `ferry plan` and `ferry run` refuse them with
 * FERRY_DESTINATION_COLLISION, naming both source tables, the shared destination and the fix.
 *
 * Names are those after the table mapping (renames, prefixes, case conversion): callers pass both the source and the
 * target table id.
 */
import type { ResolvedTask } from '../task-file/load-task.ts';
import type { TableId, TableSchema } from '../../../core/src/types.ts';
import type { DestinationTable, SinkDestination } from '../../../core/src/plugin.ts';
import { FerryError } from '../../../core/src/errors.ts';
import { dataTopic } from '../../../schemas/src/naming.ts';
import { TopicRouter } from '../../../schemas/src/topic-routing.ts';
import { compileMapping } from '../../../runtime/src/mapping/transform-rules.ts';
import { kafkaTopicKey } from '../../../runtime/src/pipeline/destination-guard.ts';
import { sinkPlugin } from '../plugins.ts';
import { targetName, targetOptions } from './targets.ts';

interface Space {
  /** For messages: 'Kafka', 'target "lake" (parquet)'. */
  readonly label: string;
  of(t: DestinationTable): SinkDestination | readonly SinkDestination[];
}

export interface DestinationCollision {
  /** The name space: 'Kafka topic', 'target "lake" (parquet) folder'. */
  readonly where: string;
  /** The shared destination, as the later table would write it. */
  readonly destination: string;
  /** The earlier table's name for it, when the names differ but the target takes them as one (case, Kafka's '.'/'_'). */
  readonly sameAs?: string;
  /** The source tables ('<schema>.<table>'): the one recorded first, then the one that collides with it. */
  readonly tables: readonly [string, string];
}

const keyOf = (id: TableId) => `${id.schema}.${id.table}`;

/** The name spaces a task writes tables to: its Kafka topics, and each target whose sink names its destinations. */
function spacesOf(task: ResolvedTask): Space[] {
  const spaces: Space[] = [];
  if (task.kafka) spaces.push({ label: 'Kafka', of: (t) => ({ kind: 'topic', name: t.topic, compareAs: kafkaTopicKey(t.topic) }) });
  // Direct mode: two tables the mapping gives one name are confused by any target (DMS never merges two tables).
  else spaces.push({ label: 'mapped', of: (t) => ({ kind: 'table name', name: `${t.schema}.${t.table}`, compareAs: `${t.schema}\u0000${t.table}` }) });
  for (const [i, t] of task.targets.entries()) {
    const plugin = sinkPlugin(t.type);
    if (!plugin.destinationOf) continue;
    const options = targetOptions(t);
    try {
      // Options that do not validate are reported by the target's own check; their names cannot be known.
      plugin.destinationOf({ topic: 'p.s.t', schema: 's', table: 't' }, { type: t.type, options });
    } catch {
      continue;
    }
    spaces.push({ label: `target "${targetName(t, i)}" (${t.type})`, of: (x) => plugin.destinationOf!(x, { type: t.type, options }) });
  }
  return spaces;
}

export class DestinationMap {
  readonly #spaces: readonly Space[];
  readonly #prefix: string;
  /** Per space: compared name → the source table that owns it, and its name there. */
  readonly #owners: Map<string, { readonly source: string; readonly name: string; readonly merge?: string }>[];
  /** settings.topicRouting (Kafka mode): tables routed to one topic share it, and topics named after it, by design. */
  readonly #router: TopicRouter | null;

  constructor(task: ResolvedTask) {
    this.#spaces = spacesOf(task);
    this.#prefix = task.kafka?.topicPrefix ?? task.name;
    this.#owners = this.#spaces.map(() => new Map());
    this.#router = task.kafka && task.settings.topicRouting.length > 0 ? new TopicRouter(task.settings.topicRouting) : null;
  }

  /**
   * Records a table: its source id and its id after the table mapping. Returns its collisions with the tables
   * recorded before (none: it is recorded; a table that collides is not recorded). Recording a table again is a no-op.
   */
  add(source: TableId, target: TableId): DestinationCollision[] {
    const src = keyOf(source);
    const own = dataTopic(this.#prefix, target);
    const routed = this.#router?.route(own) ?? null;
    const table: DestinationTable = { topic: routed?.topic ?? own, schema: target.schema, table: target.table };
    // Two tables a routing rule sends to one topic are an intended merge there (and in a Kafka target's topics named
    // after it); a table routed onto another's own topic, or two sharing a target table, still collide.
    const merge = routed ? kafkaTopicKey(routed.topic) : undefined;
    const found: DestinationCollision[] = [];
    const claims: (() => void)[] = [];
    this.#spaces.forEach((space, i) => {
      const owners = this.#owners[i]!;
      const of = space.of(table);
      for (const d of Array.isArray(of) ? of as readonly SinkDestination[] : [of as SinkDestination]) {
        const key = `${d.kind}\u0000${d.compareAs ?? d.name}`;
        const owner = owners.get(key);
        if (owner !== undefined && owner.source !== src && !(merge !== undefined && owner.merge === merge && (d.kind === 'topic' || d.kind === 'source topic'))) {
          found.push({ where: `${space.label} ${d.kind}`, destination: d.name, ...(owner.name !== d.name ? { sameAs: owner.name } : {}), tables: [owner.source, src] });
        } else if (owner === undefined) claims.push(() => owners.set(key, { source: src, name: d.name, ...(merge !== undefined ? { merge } : {}) }));
      }
    });
    if (found.length === 0) for (const claim of claims) claim();
    return found;
  }
}

/** The target id of a source table: the mapping's plan, or its name rules alone when the plan fails (reported elsewhere). */
export function targetIdOf(mapping: ReturnType<typeof compileMapping>, table: TableSchema): TableId {
  try {
    return mapping.plan(table).target.id;
  } catch {
    return mapping.targetId(table.id);
  }
}

/** Every collision among `tables` (source → target), in order. */
export function findCollisions(task: ResolvedTask, tables: readonly TableSchema[]): DestinationCollision[] {
  const map = new DestinationMap(task);
  const mapping = compileMapping(task.tableMappings);
  return tables.flatMap((t) => map.add(t.id, targetIdOf(mapping, t)));
}

/** Both source tables and the shared destination. */
export function collisionMessage(c: DestinationCollision): string {
  const what = c.sameAs === undefined ? `both write ${c.where} "${c.destination}"` : `write ${c.where} "${c.sameAs}" and "${c.destination}", which the target takes as one name`;
  return `tables ${JSON.stringify(c.tables[0])} and ${JSON.stringify(c.tables[1])} ${what}`;
}

export const COLLISION_FIX = 'add a table-mapping transformation rule (rule-action rename, or a prefix or suffix) that gives one of the two tables another name, or exclude one of them';

export function collisionError(collisions: readonly DestinationCollision[]): FerryError {
  return new FerryError('FERRY_DESTINATION_COLLISION', `${collisions.map(collisionMessage).join('; ')}: their rows would be interleaved under colliding keys. Fix: ${COLLISION_FIX}`, {
    details: { collisions: collisions.map((c) => ({ where: c.where, destination: c.destination, ...(c.sameAs === undefined ? {} : { sameAs: c.sameAs }), tables: [...c.tables] })) },
  });
}
