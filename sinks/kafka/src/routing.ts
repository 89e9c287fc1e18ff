/**
 * Topic routing: source topic → target topic, by an explicit rename (source topic or `<schema>.<table>`), else by
 * the template. Tombstones carry no table, so a topic's route is cached from its records; a topic seen only through
 * tombstones is split as `<prefix>.<schema>.<table>` (its last two dot-separated parts).
 */
import type { SinkTable } from '../../../core/src/record-sink.ts';

/** Kafka's topic-name rule: 1–249 characters of [a-zA-Z0-9._-], not `.` or `..`. */
export const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export function isLegalTopic(t: string): boolean {
  return LEGAL_TOPIC.test(t) && t !== '.' && t !== '..';
}

export interface TopicParts {
  readonly topic: string;
  readonly prefix: string;
  readonly schema: string;
  readonly table: string;
}

export function partsOf(topic: string, table?: Pick<SinkTable, 'schema' | 'table'>): TopicParts {
  if (table) {
    const suffix = `.${table.schema}.${table.table}`;
    const prefix = topic.endsWith(suffix) ? topic.slice(0, -suffix.length) : topic.split('.')[0]!;
    return { topic, prefix, schema: table.schema, table: table.table };
  }
  const p = topic.split('.');
  if (p.length < 3) return { topic, prefix: p[0]!, schema: p[1] ?? '', table: p[1] ?? '' };
  return { topic, prefix: p.slice(0, -2).join('.'), schema: p[p.length - 2]!, table: p[p.length - 1]! };
}

export function applyTemplate(template: string, parts: TopicParts): string {
  return template.replace(/\{(topic|prefix|schema|table)\}/g, (_m, k: keyof TopicParts) => parts[k]);
}

export class TopicRouter {
  readonly #template: string;
  readonly #renames: ReadonlyMap<string, string>;
  readonly #cache = new Map<string, string>();

  constructor(template: string, renames: Readonly<Record<string, string>>) {
    this.#template = template;
    this.#renames = new Map(Object.entries(renames));
  }

  /** The target topic of a source topic; `table` (from a decoded record) makes {schema}/{table} exact. */
  route(topic: string, table?: Pick<SinkTable, 'schema' | 'table'>): string {
    const hit = this.#cache.get(topic);
    if (hit !== undefined) return hit;
    const parts = partsOf(topic, table);
    const target = this.#renames.get(topic) ?? this.#renames.get(`${parts.schema}.${parts.table}`) ?? applyTemplate(this.#template, parts);
    if (table) this.#cache.set(topic, target);
    return target;
  }
}
