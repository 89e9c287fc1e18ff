/**
 * Limits on what a task document may cost to read: its size, its nesting depth, its YAML aliases, and the number of
 * problems reported about it. Every limit ends in a coded FerryError (one line for a file's size, depth and
 * aliases), never in a process that grows without bound or a stack overflow. docs/configuration.md ("Limits").
 * load-task.ts applies the depth limit to documents that arrive parsed (the task API) and caps the problems.
 *
 *   - size: a task file is read through a file descriptor, at most maxBytes + 1 bytes, so /dev/zero, a FIFO or a
 *     huge file stops at the limit (FERRY_CONFIG_TOO_LARGE);
 *   - depth: checked on the YAML token stream as it is parsed, before the document is composed (the composer
 *     recurses per level), and again on the parsed value, without recursion (pathDeeperThanLimit;
 *     FERRY_CONFIG_TOO_DEEP);
 *   - aliases: YAML alias expansion is capped (FERRY_CONFIG_ALIASES), so an alias bomb stays small;
 *   - problems: the first maxProblems are reported, then how many more there are (load-task.ts, ConfigError), and
 *     so are YAML syntax errors.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Composer, LineCounter, Lexer, Parser, YAMLParseError, type CST, type Document } from 'yaml';
import { FerryError } from '../../../core/src/errors.ts';

export const TASK_INPUT_LIMITS = {
  /** Largest task file, in bytes (1 MiB, as for a task sent to the REST API). */
  maxBytes: 1024 * 1024,
  /** Deepest nesting of mappings and lists; the top-level mapping is level 1. */
  maxDepth: 64,
  /** YAML alias expansion budget (the yaml package's maxAliasCount). */
  maxAliasCount: 100,
  /** Problems listed in one report; the rest are counted. */
  maxProblems: 50,
} as const;

const MiB = (n: number) => `${n / (1024 * 1024)} MiB`;

function notReadable(file: string, e: unknown): FerryError {
  const code = (e as NodeJS.ErrnoException).code;
  return new FerryError('FERRY_CONFIG_NOT_FOUND', `cannot read task file ${file}${code === 'ENOENT' ? ': no such file' : ` (${code ?? 'error'})`}`, { cause: e });
}

function tooLarge(file: string): FerryError {
  return new FerryError('FERRY_CONFIG_TOO_LARGE', `${file} is larger than ${MiB(TASK_INPUT_LIMITS.maxBytes)}, the limit for a task file`);
}

/** Reads a task file as UTF-8, at most maxBytes; a larger file, device or pipe fails as FERRY_CONFIG_TOO_LARGE. */
export function readTaskText(file: string, maxBytes: number = TASK_INPUT_LIMITS.maxBytes): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e: unknown) {
    throw notReadable(file, e);
  }
  try {
    const st = fstatSync(fd);
    if (st.isFile() && st.size > maxBytes) throw tooLarge(file);
    const chunks: Buffer[] = [];
    const buf = Buffer.allocUnsafe(64 * 1024);
    let total = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, Math.min(buf.length, maxBytes + 1 - total), null);
      } catch (e: unknown) {
        throw notReadable(file, e);
      }
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooLarge(file);
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function tooDeep(label: string, where: string): FerryError {
  return new FerryError('FERRY_CONFIG_TOO_DEEP', `${label} nests mappings and lists deeper than ${TASK_INPUT_LIMITS.maxDepth} levels (${where}), the limit for a task document`);
}

/**
 * The YAML/JSON text as a stream of parser tokens, failing as soon as it nests deeper than the limit. The yaml
 * package's lexer and parser keep an explicit stack (no recursion), so this runs before anything recursive does.
 */
function* boundedTokens(text: string, label: string, lines: LineCounter): Generator<CST.Token> {
  const parser = new Parser(lines.addNewLine);
  lines.addNewLine(0);
  // The parser's stack holds the document and the current scalar besides the collections.
  const limit = TASK_INPUT_LIMITS.maxDepth + 2;
  for (const lexeme of new Lexer().lex(text)) {
    yield* parser.next(lexeme);
    if (parser.stack.length > limit) {
      const pos = lines.linePos(parser.offset);
      throw tooDeep(label, `at line ${pos.line}, column ${pos.col}`);
    }
  }
  yield* parser.end();
}

/**
 * The path of the first value nested deeper than the limit (the top-level mapping is level 1), or null. Iterative,
 * so any depth, or a cycle, ends in an answer.
 */
export function pathDeeperThanLimit(value: unknown): string | null {
  const stack: { v: unknown; depth: number; path: string }[] = [{ v: value, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > TASK_INPUT_LIMITS.maxDepth) return path === '' ? '(root)' : path;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push({ v: x, depth: depth + 1, path: `${path}[${i}]` }));
    else for (const [k, x] of Object.entries(v)) stack.push({ v: x, depth: depth + 1, path: path === '' ? k : `${path}.${k}` });
  }
  return null;
}

/** Parses task text (YAML or JSON) within the limits: depth while parsing, then syntax, then alias expansion. */
export function parseTaskText(text: string, label: string): unknown {
  const lines = new LineCounter();
  // logLevel 'error': the yaml package would print warnings (e.g. on mapping keys that are collections) to stderr.
  const composer = new Composer({ uniqueKeys: true, logLevel: 'error' });
  let doc: Document.Parsed | undefined;
  for (const d of composer.compose(boundedTokens(text, label, lines), true, text.length)) {
    if (doc === undefined) doc = d;
    else {
      doc.errors.push(new YAMLParseError(d.range.slice(0, 2) as [number, number], 'MULTIPLE_DOCS', 'Source contains multiple documents; a task file holds one'));
      break;
    }
  }
  if (doc === undefined) return null;
  if (doc.errors.length > 0) {
    const shown = doc.errors.slice(0, TASK_INPUT_LIMITS.maxProblems);
    const out = shown.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return `  - line ${pos.line}, column ${pos.col}: ${e.message.split('\n')[0]}`;
    });
    const more = doc.errors.length - shown.length;
    if (more > 0) out.push(`  - and ${more} more error${more === 1 ? '' : 's'}`);
    throw new FerryError('FERRY_CONFIG_PARSE', `${label} is not valid YAML/JSON:\n${out.join('\n')}`);
  }
  try {
    return doc.toJS({ maxAliasCount: TASK_INPUT_LIMITS.maxAliasCount });
  } catch (e: unknown) {
    if (e instanceof ReferenceError) {
      throw new FerryError('FERRY_CONFIG_ALIASES', `${label}: its YAML aliases expand past the limit of ${TASK_INPUT_LIMITS.maxAliasCount} (an alias bomb?); repeat the values instead`, { cause: e });
    }
    if (e instanceof RangeError) throw tooDeep(label, 'after expanding its aliases');
    throw new FerryError('FERRY_CONFIG_PARSE', `${label} is not valid YAML/JSON: ${String((e as Error).message ?? e).split('\n')[0]}`, { cause: e });
  }
}
