/**
 * Topic routing as Debezium's topic routing SMT (`io.debezium.transforms.ByLogicalTableRouter`) does it: a table's
 * data topic that matches a rule's regular expression is replaced by the rule's replacement, so sharded tables
 * (`orders_001` … `orders_128`) share one topic; the key gets one more field, the physical table's identifier, so
 * keys stay unique across the shards; the key, value and envelope schemas are named after the new topic.
 *
 * Debezium's semantics, kept here (docs/topic-routing.md):
 * - `topic.regex` must match the whole topic (Java's `Matcher.matches()`); the new topic is then Java's
 *   `replaceFirst(topic.replacement)`: the first match of the regex in the topic is replaced, the rest kept.
 * - Replacements use Java's syntax: `$1` (as many digits as name an existing group), `${name}`, `\$` and `\\`.
 * - `key.enforce.uniqueness` (default true) appends the string field `key.field.name` (default
 *   `__dbz__physicalTableIdentifier`) to the key, valued with the original topic, or with
 *   `key.field.regex` / `key.field.replacement` applied to it (the original topic when that regex does not match).
 * - A replacement that gives an empty topic leaves the record on its own topic.
 * - Keyless tables keep a null key (no field added).
 *
 * The regular expressions are JavaScript's, which agree with Java's for groups, classes, quantifiers and anchors.
 */
import { FerryError } from '../../core/src/errors.ts';
import { MAX_TOPIC_NAME_LENGTH } from './naming.ts';
import type { AvroField, AvroRecordSchema } from './avro-mapping.ts';

/** Debezium's default `key.field.name` of ByLogicalTableRouter. */
export const DEFAULT_ROUTING_KEY_FIELD = '__dbz__physicalTableIdentifier';

/** One rule: Debezium's topic routing SMT options, camelCase. */
export interface TopicRoutingRule {
  /** `topic.regex`: matched against the whole data topic. */
  readonly topicRegex: string;
  /** `topic.replacement`, with `$1` / `${name}` group references. */
  readonly topicReplacement: string;
  /** `key.enforce.uniqueness`; default true. */
  readonly keyEnforceUniqueness?: boolean;
  /** `key.field.name`; default DEFAULT_ROUTING_KEY_FIELD. */
  readonly keyFieldName?: string;
  /** `key.field.regex`: matched against the original topic to derive the key field's value. */
  readonly keyFieldRegex?: string | undefined;
  /** `key.field.replacement`: required with keyFieldRegex. */
  readonly keyFieldReplacement?: string | undefined;
}

/** Where a table's topic is routed. */
export interface RoutedTopic {
  /** The new topic. */
  readonly topic: string;
  /** The table's own topic (Debezium's "old topic"). */
  readonly physicalTopic: string;
  /** Index of the rule in settings.topicRouting. */
  readonly rule: number;
  /** The field appended to the key and its value (null with keyEnforceUniqueness false). */
  readonly keyField: { readonly name: string; readonly value: string } | null;
}

type Part = { readonly lit: string } | { readonly group: number | string };

/** The number of capturing groups of a regular expression, and its group names. */
function groupsOf(re: RegExp): { readonly count: number; readonly names: ReadonlySet<string> } {
  const m = new RegExp(`${re.source}|`).exec('')!;
  return { count: m.length - 1, names: new Set(Object.keys(m.groups ?? {})) };
}

/**
 * Parses a replacement as Java's Matcher.appendReplacement reads it: `\x` is a literal x, `${name}` a named group,
 * `$` and digits a group number (the first digit always, more while the number still names a group).
 */
export function parseReplacement(s: string, groups: { readonly count: number; readonly names: ReadonlySet<string> }): Part[] {
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      if (i + 1 >= s.length) throw new Error('character to be escaped is missing (a trailing \\)');
      lit += s[++i]!;
    } else if (c === '$') {
      if (i + 1 >= s.length) throw new Error('illegal group reference: a trailing $ (write \\$ for a literal $)');
      if (lit) parts.push({ lit });
      lit = '';
      if (s[i + 1] === '{') {
        const end = s.indexOf('}', i + 2);
        const name = end < 0 ? '' : s.slice(i + 2, end);
        if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new Error(`illegal named-group reference at ${s.slice(i)}`);
        if (!groups.names.has(name)) throw new Error(`no group named ${name} in the regular expression`);
        parts.push({ group: name });
        i = end;
      } else {
        const d = s.charCodeAt(i + 1) - 48;
        if (d < 0 || d > 9) throw new Error(`illegal group reference at ${s.slice(i)} (write \\$ for a literal $)`);
        let n = d;
        i++;
        while (i + 1 < s.length) {
          const e = s.charCodeAt(i + 1) - 48;
          if (e < 0 || e > 9 || n * 10 + e > groups.count) break;
          n = n * 10 + e;
          i++;
        }
        if (n > groups.count) throw new Error(`no group ${n} in the regular expression (it has ${groups.count})`);
        parts.push({ group: n });
      }
    } else lit += c;
  }
  if (lit) parts.push({ lit });
  return parts;
}

const TOPIC_CHARS = /^[A-Za-z0-9._-]*$/;

/** A compiled regex + replacement pair, applied as Java's `matches()` then `replaceFirst()`. */
class Rewrite {
  readonly #whole: RegExp;
  readonly #first: RegExp;
  readonly parts: readonly Part[];

  constructor(regex: string, replacement: string) {
    this.#first = new RegExp(regex);
    this.#whole = new RegExp(`^(?:${regex})$`);
    this.parts = parseReplacement(replacement, groupsOf(this.#first));
  }

  /** null when the regex does not match the whole input. */
  apply(input: string): string | null {
    if (!this.#whole.test(input)) return null;
    const m = this.#first.exec(input)!;
    let out = '';
    for (const p of this.parts) {
      if ('lit' in p) out += p.lit;
      else out += (typeof p.group === 'number' ? m[p.group] : m.groups?.[p.group]) ?? '';
    }
    return input.slice(0, m.index) + out + input.slice(m.index + m[0].length);
  }
}

/**
 * Problems of a rule as `ferry validate` reports them (each with the option it is about); empty when it is valid.
 * The replacement's own characters must be valid in topic names: the groups copy parts of a topic, which already is.
 */
export function topicRoutingRuleProblems(rule: TopicRoutingRule): { readonly path: string; readonly message: string }[] {
  const problems: { path: string; message: string }[] = [];
  let rw: Rewrite | null = null;
  try {
    new RegExp(rule.topicRegex);
  } catch (e: unknown) {
    problems.push({ path: 'topicRegex', message: `not a valid regular expression: ${(e as Error).message}` });
  }
  if (problems.length === 0) {
    try {
      rw = new Rewrite(rule.topicRegex, rule.topicReplacement);
    } catch (e: unknown) {
      problems.push({ path: 'topicReplacement', message: (e as Error).message });
    }
  }
  if (rw) {
    const lits = rw.parts.flatMap((p) => ('lit' in p ? [p.lit] : [])).join('');
    const bad = [...new Set([...lits].filter((c) => !TOPIC_CHARS.test(c)))];
    if (bad.length > 0) {
      problems.push({ path: 'topicReplacement', message: `not a valid Kafka topic name: ${bad.map((c) => JSON.stringify(c)).join(', ')} cannot appear in a topic (letters, digits, ".", "_" and "-" only)` });
    } else if (rw.parts.every((p) => 'lit' in p) && (lits === '' || lits === '.' || lits === '..' || lits.length > MAX_TOPIC_NAME_LENGTH)) {
      problems.push({ path: 'topicReplacement', message: `not a valid Kafka topic name: ${JSON.stringify(lits)}` });
    }
  }
  const name = rule.keyFieldName ?? DEFAULT_ROUTING_KEY_FIELD;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) problems.push({ path: 'keyFieldName', message: `${JSON.stringify(name)} is not a valid Avro field name (a letter or _, then letters, digits or _)` });
  const kr = rule.keyFieldRegex?.trim();
  if (kr) {
    try {
      new RegExp(kr);
      if (!rule.keyFieldReplacement?.trim()) problems.push({ path: 'keyFieldReplacement', message: 'keyFieldReplacement must be non-empty if keyFieldRegex is set (as Debezium requires)' });
      else new Rewrite(kr, rule.keyFieldReplacement);
    } catch (e: unknown) {
      problems.push({ path: 'keyFieldRegex', message: (e as Error).message });
    }
  }
  return problems;
}

interface CompiledRule {
  readonly topic: Rewrite;
  readonly key: Rewrite | null;
  readonly uniqueness: boolean;
  readonly keyFieldName: string;
}

/** Evaluates settings.topicRouting: the first rule whose regex matches a topic routes it. */
export class TopicRouter {
  readonly rules: readonly TopicRoutingRule[];
  readonly #compiled: readonly CompiledRule[];
  readonly #cache = new Map<string, RoutedTopic | null>();
  #patterns: readonly RegExp[] | undefined;

  constructor(rules: readonly TopicRoutingRule[]) {
    this.rules = rules;
    this.#compiled = rules.map((r, i) => {
      const problems = topicRoutingRuleProblems(r);
      if (problems.length > 0) {
        throw new FerryError('FERRY_CONFIG_INVALID', `settings.topicRouting[${i}]: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
      }
      const kr = r.keyFieldRegex?.trim();
      return {
        topic: new Rewrite(r.topicRegex, r.topicReplacement),
        key: kr ? new Rewrite(kr, r.keyFieldReplacement!) : null,
        uniqueness: r.keyEnforceUniqueness ?? true,
        keyFieldName: r.keyFieldName ?? DEFAULT_ROUTING_KEY_FIELD,
      };
    });
  }

  /** Where a data topic goes; null when no rule matches it (or the match gives an empty topic, as in Debezium). */
  route(topic: string): RoutedTopic | null {
    if (this.#cache.has(topic)) return this.#cache.get(topic)!;
    let out: RoutedTopic | null = null;
    for (const [i, c] of this.#compiled.entries()) {
      const next = c.topic.apply(topic);
      if (next === null) continue;
      if (next === '') break;
      if (next.length > MAX_TOPIC_NAME_LENGTH || next === '.' || next === '..' || !TOPIC_CHARS.test(next)) {
        throw new FerryError('FERRY_CONFIG_INVALID', `settings.topicRouting[${i}] routes topic ${JSON.stringify(topic)} to ${JSON.stringify(next)}, which is not a valid Kafka topic name (at most ${MAX_TOPIC_NAME_LENGTH} of letters, digits, ".", "_", "-"; not "." or ".."). Fix the rule's topicReplacement`);
      }
      const keyField = c.uniqueness ? { name: c.keyFieldName, value: c.key?.apply(topic) ?? topic } : null;
      out = { topic: next, physicalTopic: topic, rule: i, keyField };
      break;
    }
    this.#cache.set(topic, out);
    return out;
  }

  /**
   * Patterns that every topic a rule can produce matches (group references become `.*`): how `ferry sink` finds
   * routed topics outside the task's prefix.
   */
  topicPatterns(): readonly RegExp[] {
    return this.#patterns ??= this.#compiled.map((c) => new RegExp(`^${c.topic.parts.map((p) => ('lit' in p ? p.lit.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&') : '.*')).join('')}$`));
  }

  /**
   * Whether `ferry sink` reads a routed topic outside the task's prefix: only one a rule whose replacement starts with
   * its own text can produce (`orders_all`, `sharded.$1`). A replacement that starts with a group (`$1.orders`) could
   * name any other task's topics outside the prefix, so its outputs are read only under the prefix.
   */
  foreignTopic(topic: string): boolean {
    return this.topicPatterns().some((re, i) => 'lit' in (this.#compiled[i]!.topic.parts[0] ?? { group: 0 }) && re.test(topic));
  }
}

/** The value of a type with `connect.default` left out (a shard's column default does not change its events' shape). */
function shape(type: unknown): string {
  return JSON.stringify(type, (k, v: unknown) => (k === 'connect.default' ? undefined : v));
}

const isOptional = (f: AvroField): boolean => 'default' in f;

function describe(f: AvroField): string {
  const t = f.type;
  const label = (x: unknown): string => (typeof x === 'string' ? x : typeof x === 'object' && x !== null ? String((x as { 'connect.name'?: string; logicalType?: string; type?: string })['connect.name'] ?? (x as { logicalType?: string }).logicalType ?? (x as { type?: string }).type) : String(x));
  return Array.isArray(t) ? `${t.filter((b) => b !== 'null').map(label).join('|')}, nullable` : `${label(t)}, not null`;
}

/**
 * The first difference that makes the events of two tables unfit for one topic, or null. Keys must be the same
 * (same fields, same types; both keyed or both keyless); a column both have must have one type; a column only one
 * has must be optional (nullable or with a default), so each table's schema reads the other's events (the registry's
 * FULL compatibility), as while an ALTER TABLE is rolled out over the shards one at a time.
 */
export function routedSchemaDifference(
  a: { readonly key: AvroRecordSchema | null; readonly value: AvroRecordSchema },
  b: { readonly key: AvroRecordSchema | null; readonly value: AvroRecordSchema },
): string | null {
  if ((a.key === null) !== (b.key === null)) return `one has a primary key and the other has none`;
  if (a.key && b.key) {
    const ka = a.key.fields.map((f) => `${f.name} ${shape(f.type)}`).join(', ');
    const kb = b.key.fields.map((f) => `${f.name} ${shape(f.type)}`).join(', ');
    if (ka !== kb) return `their primary keys differ: (${a.key.fields.map((f) => `${f.name} ${describe(f)}`).join(', ')}) and (${b.key.fields.map((f) => `${f.name} ${describe(f)}`).join(', ')})`;
  }
  const fb = new Map(b.value.fields.map((f) => [f.name, f] as const));
  const fa = new Map(a.value.fields.map((f) => [f.name, f] as const));
  for (const f of a.value.fields) {
    const g = fb.get(f.name);
    if (g === undefined) {
      if (!isOptional(f)) return `column ${f.name} (${describe(f)}) of the first is missing from the second and is neither nullable nor has a default`;
    } else if (shape(f.type) !== shape(g.type)) return `column ${f.name} is ${describe(f)} in the first and ${describe(g)} in the second`;
  }
  for (const g of b.value.fields) {
    if (!fa.has(g.name) && !isOptional(g)) return `column ${g.name} (${describe(g)}) of the second is missing from the first and is neither nullable nor has a default`;
  }
  return null;
}
