/**
 * A parser of the Prometheus text exposition format (version 0.0.4), enough for `ferry top` to read a `ferry run`'s
 * GET /metrics: `# HELP`/`# TYPE` comments, samples `name{label="value",…} value [timestamp]` with the escapes
 * \\, \" and \n in label values, and the values NaN, +Inf and -Inf.
 */
import { FerryError } from '../../../core/src/errors.ts';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamilies {
  readonly samples: readonly Sample[];
  /** The `# TYPE` of each metric family by name (counter, gauge, histogram, summary, untyped). */
  readonly types: ReadonlyMap<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** A sample value as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case; prom-client writes NaN as "Nan"). */
function parseValue(text: string, line: number): number {
  const t = text.toLowerCase();
  if (t === 'nan') return Number.NaN;
  if (t === '+inf' || t === 'inf') return Number.POSITIVE_INFINITY;
  if (t === '-inf') return Number.NEGATIVE_INFINITY;
  const v = Number(text);
  if (text === '' || Number.isNaN(v)) throw new FerryError('FERRY_TASK_NOT_RUNNING', `metrics text line ${line}: "${text}" is not a number; is this a Prometheus endpoint?`);
  return v;
}

/** Parses one `{a="x",b="y"}` block starting at `s[0] === '{'`; returns the labels and the rest after '}'. */
function parseLabels(s: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  const fail = (why: string): never => { throw new FerryError('FERRY_TASK_NOT_RUNNING', `metrics text line ${line}: ${why}`); };
  for (;;) {
    while (s[i] === ' ' || s[i] === ',') i++;
    if (s[i] === '}') return { labels, rest: s.slice(i + 1) };
    const name = LABEL.exec(s.slice(i))?.[0] ?? fail('a label name was expected');
    i += name.length;
    while (s[i] === ' ') i++;
    if (s[i] !== '=') fail(`label ${name}: = expected`);
    i++;
    while (s[i] === ' ') i++;
    if (s[i] !== '"') fail(`label ${name}: a quoted value expected`);
    i++;
    let value = '';
    for (;; i++) {
      const c = s[i];
      if (c === undefined) fail(`label ${name}: unterminated value`);
      if (c === '"') break;
      if (c === '\\') {
        const n = s[++i];
        value += n === 'n' ? '\n' : (n ?? '');
      } else value += c;
    }
    i++;
    labels[name] = value;
  }
}

export function parsePrometheusText(text: string): MetricFamilies {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (m) types.set(m[1]!, m[2]!);
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (!name) throw new FerryError('FERRY_TASK_NOT_RUNNING', `metrics text line ${n + 1}: a metric name was expected: ${line.slice(0, 80)}`);
    let rest = line.slice(name.length).trimStart();
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, n + 1));
    const [value = ''] = rest.trim().split(/\s+/);
    if (value === '') throw new FerryError('FERRY_TASK_NOT_RUNNING', `metrics text line ${n + 1}: ${name} has no value; is this a Prometheus endpoint?`);
    samples.push({ name, labels, value: parseValue(value, n + 1) });
  }
  return { samples, types };
}

/** The samples of one metric, optionally only those whose labels include `where`. */
export function select(f: MetricFamilies, name: string, where: Record<string, string> = {}): Sample[] {
  return f.samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v));
}

/** The sum of a metric's samples, or null when it has none. */
export function sum(f: MetricFamilies, name: string, where: Record<string, string> = {}): number | null {
  const s = select(f, name, where);
  return s.length === 0 ? null : s.reduce((a, b) => a + b.value, 0);
}
