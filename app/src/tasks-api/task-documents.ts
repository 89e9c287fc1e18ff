/**
 * Task documents as the API takes them (POST /tasks, POST /validate, POST /plan): JSON, or the YAML of a task file
 * (`Content-Type: application/yaml`), read with the same parser and limits as `ferry validate` (input-limits.ts);
 * and the line of the YAML text each validation problem points at, so the console can mark it in its editor.
 */
import type { IncomingMessage } from 'node:http';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { FerryError } from '../../../core/src/errors.ts';
import { parseTaskText } from '../task-file/input-limits.ts';
import { ApiError, badRequest } from './api-error.ts';

const MAX_BODY = 1024 * 1024;
const YAML_TYPES = /^(application\/(x-)?yaml|text\/(x-)?yaml)\b/i;

export interface TaskBody {
  /** The document, parsed (references unresolved). */
  readonly document: unknown;
  /** The YAML text when the body was YAML (for problem lines), else null. */
  readonly text: string | null;
}

export interface LocatedProblem {
  readonly path: string;
  readonly message: string;
  /** 1-based line of the YAML text the problem is at (the closest enclosing node for a missing field); null for JSON. */
  readonly line: number | null;
}

/** A request's body as text, at most 1 MiB (413 beyond). */
export async function readBodyText(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new ApiError(413, 'payload_too_large', `the request body is over ${MAX_BODY} bytes`);
    parts.push(c);
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * The task document of a request: YAML when the Content-Type says so (a YAML syntax error is a 400 invalid_task with
 * one problem per error, at its line), JSON otherwise.
 */
export async function readTaskBody(req: IncomingMessage): Promise<TaskBody> {
  const text = await readBodyText(req);
  if (text.trim() === '') throw badRequest('the request needs a body: a task document as JSON, or as YAML with Content-Type: application/yaml');
  if (YAML_TYPES.test(req.headers['content-type'] ?? '')) {
    try {
      return { document: parseTaskText(text, 'task'), text };
    } catch (e: unknown) {
      if (e instanceof FerryError) throw new ApiError(400, 'invalid_task', e.message, yamlErrorProblems(e.message));
      throw e;
    }
  }
  try {
    return { document: JSON.parse(text) as unknown, text: null };
  } catch {
    throw badRequest('the body is not valid JSON (send YAML with Content-Type: application/yaml)');
  }
}

/** The problems of a FERRY_CONFIG_PARSE message ("  - line 3, column 5: …" lines), each at its line. */
export function yamlErrorProblems(message: string): LocatedProblem[] {
  const out: LocatedProblem[] = [];
  for (const m of message.matchAll(/^ {2}- line (\d+), column (\d+): (.*)$/gm)) {
    out.push({ path: '(root)', message: `line ${m[1]}, column ${m[2]}: ${m[3]}`, line: Number(m[1]) });
  }
  return out.length > 0 ? out : [{ path: '(root)', message: message.split('\n').slice(1).join(' ').trim() || message, line: null }];
}

/** "tableMappings.rules[0].rule-type" → ["tableMappings", "rules", 0, "rule-type"]; "(root)" → []. */
export function pathKeys(path: string): (string | number)[] {
  if (path === '(root)' || path === '') return [];
  const keys: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) keys.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return keys;
}

/** Each problem with the line of its node in `text` (the deepest node of its path that exists); null lines without text. */
export function locateProblems(text: string | null, problems: readonly { path: string; message: string }[]): LocatedProblem[] {
  if (text === null) return problems.map((p) => ({ path: p.path, message: p.message, line: null }));
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, logLevel: 'silent' });
  return problems.map((p) => {
    let node: Node | null = doc.contents;
    let at = node?.range?.[0] ?? 0;
    for (const key of pathKeys(p.path)) {
      if (isMap(node)) {
        const pair = node.items.find((i) => (i.key as { value?: unknown } | null)?.value === key);
        if (!pair) break;
        const k = pair.key as Node | null;
        at = k?.range?.[0] ?? at;
        node = (pair.value as Node | null) ?? null;
        if (node?.range && !(isMap(node) || isSeq(node))) at = node.range[0];
      } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
        node = node.items[key] as Node;
        at = node.range?.[0] ?? at;
      } else break;
    }
    return { path: p.path, message: p.message, line: lines.linePos(at).line };
  });
}
