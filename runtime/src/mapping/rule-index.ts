/**
 * Rules indexed by the names their object locators can match, so that finding the rules of one table costs about the
 * rules that could match it, not every rule: a task selecting 2,000 tables by name has 2,000 selection rules, and
 * testing each against each table at start-up is 4 million pattern tests (issue 24). Names in such rules usually hold
 * `_`, a DMS wildcard (`w6_ferry_0001`), so the index must not need wildcard-free names.
 *
 * Each locator part goes into a trie by its shape (DmsPattern.shape): one edge per character up to the first `%`, a
 * literal character or "any one character" (`_` and sets). Walking a name through the trie gives the candidate rules
 * of that part: those whose shape ends at the name's end, and those whose `%` starts at a node the walk passed. The
 * candidates are a superset of the matches, and each is then tested with its full patterns, so `matching` gives
 * exactly what testing every rule in order gives, in the same (input) order. Schema candidates are cached per schema
 * name (a source has few schemas; the cache is bounded); a table's candidates are the smaller of its schema's and its
 * table name's.
 */
import type { TableId } from '../../../core/src/types.ts';
import type { DmsPattern } from './wildcard.ts';

/** Where a rule applies: a schema pattern and a table pattern; a null table matches every table of the schema. */
export interface RuleLocator {
  readonly schema: DmsPattern;
  readonly table: DmsPattern | null;
}

export interface RuleIndex<T> {
  /** The rules whose locators match the table, in the order they were given. */
  matching(id: TableId): T[];
}

/** A trie node; its fields are made when first needed (a rule per table makes thousands of leaves). */
interface Node {
  /** Children by character code unit. */
  next?: Map<number, Node>;
  /** The child for a position any character may fill (`_`, a set). */
  any?: Node;
  /** Rules whose shape ends here: the name must end here too. */
  end?: number[];
  /** Rules whose `%` starts here: any rest of the name. */
  open?: number[];
}

/** A trie of name shapes; `candidates` lists (unordered) the rules whose shape admits the name. */
class NameTrie {
  readonly #root: Node = {};

  add(pattern: DmsPattern, rule: number): void {
    const shape = pattern.shape ?? { steps: [], open: true };
    let n = this.#root;
    for (const c of shape.steps) {
      if (c === null) n = n.any ??= {};
      else {
        n.next ??= new Map();
        let child = n.next.get(c);
        if (!child) n.next.set(c, (child = {}));
        n = child;
      }
    }
    if (shape.open) (n.open ??= []).push(rule);
    else (n.end ??= []).push(rule);
  }

  candidates(name: string, out: number[]): void {
    let frontier: Node[] = [this.#root];
    for (let s = 0; s < name.length && frontier.length > 0; s++) {
      const c = name.charCodeAt(s);
      const next: Node[] = [];
      for (const n of frontier) {
        if (n.open) for (const r of n.open) out.push(r);
        const child = n.next?.get(c);
        if (child) next.push(child);
        if (n.any) next.push(n.any);
      }
      frontier = next;
    }
    for (const n of frontier) {
      if (n.open) for (const r of n.open) out.push(r);
      if (n.end) for (const r of n.end) out.push(r);
    }
  }
}

/** Schemas whose candidate rules are kept; a source has few, and a miss costs one walk of the schema trie. */
const SCHEMA_CACHE_SIZE = 256;

export function indexRules<T>(rules: readonly T[], locate: (rule: T) => RuleLocator): RuleIndex<T> {
  const locators = rules.map(locate);
  const schemas = new NameTrie();
  const tables = new NameTrie();
  const everyTable: number[] = [];
  locators.forEach((l, i) => {
    schemas.add(l.schema, i);
    if (l.table === null) everyTable.push(i);
    else tables.add(l.table, i);
  });
  const bySchema = new Map<string, number[]>();
  const schemaCandidates = (schema: string): number[] => {
    let c = bySchema.get(schema);
    if (!c) {
      c = [];
      schemas.candidates(schema, c);
      c.sort((a, b) => a - b);
      // Bounded: a server with thousands of schemas and rules on '%' must not hold a list per schema.
      if (bySchema.size >= SCHEMA_CACHE_SIZE) bySchema.clear();
      bySchema.set(schema, c);
    }
    return c;
  };
  return {
    matching(id) {
      const inSchema = schemaCandidates(id.schema);
      let candidates = inSchema;
      if (inSchema.length > everyTable.length) {
        const forTable = [...everyTable];
        tables.candidates(id.table, forTable);
        if (forTable.length < inSchema.length) candidates = forTable.sort((a, b) => a - b);
      }
      const out: T[] = [];
      for (const i of candidates) {
        const l = locators[i]!;
        if (l.schema.test(id.schema) && (l.table === null || l.table.test(id.table))) out.push(rules[i]!);
      }
      return out;
    },
  };
}
