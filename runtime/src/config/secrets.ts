/**
 * Secrets in task files.
 *
 * A task file refers to secrets as `${env:NAME}` or `${file:path}` (relative paths are relative to the task file).
 * Resolved values, and every value of a field declared secret, are wrapped in `Secret` and registered with the
 * process-wide redactor, which the logger and the CLI's error printer apply to every line they write. So a secret
 * can only reach output through `Secret.reveal()`, at the point where a driver needs it.
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath, dirname } from 'node:path';
import { inspect } from 'node:util';

const HIDDEN = '***';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
    // An unresolved reference (reported as a problem elsewhere) is not a secret; everything else is.
    if (!/^\$\{[A-Za-z0-9_-]+:[^}]*\}$/.test(value)) registerSecretValue(value);
  }
  /** The secret value. Call only where a driver needs it; never log the result. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return HIDDEN;
  }
  toJSON(): string {
    return HIDDEN;
  }
  [inspect.custom](): string {
    return 'Secret(***)';
  }
}

const secretValues = new Set<string>();
let redactPattern: RegExp | null = null;

/**
 * Registers a value to be masked in all log lines and error output. Values shorter than MIN_MASKED_LENGTH are not
 * substring-masked (masking "cdc" would also mask the user name "cdc" and every word containing it); they are still
 * never printed by Ferry itself, since they only travel inside `Secret`.
 */
export const MIN_MASKED_LENGTH = 6;
export function registerSecretValue(value: string): void {
  if (value.length < MIN_MASKED_LENGTH || secretValues.has(value)) return;
  secretValues.add(value);
  const escaped = [...secretValues].sort((a, b) => b.length - a.length).map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  redactPattern = new RegExp(escaped.join('|'), 'g');
}

/** Replaces every registered secret value in `text` by ***. */
export function redact(text: string): string {
  return redactPattern === null ? text : text.replace(redactPattern, HIDDEN);
}

/** For tests: forget registered values. */
export function clearSecretValuesForTests(): void {
  secretValues.clear();
  redactPattern = null;
}

export interface SecretProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

const REF_RE = /\$\{([A-Za-z0-9_-]+):([^}]*)\}/g;

export interface ResolveOptions {
  /** Directory that relative `${file:...}` paths are resolved against (the task file's folder). */
  readonly baseDir: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Replaces `${env:…}` / `${file:…}` references in every string of `data` (recursively) and returns the new value,
 * the paths that held a reference, and one problem per unresolvable reference. A reference that cannot be resolved
 * leaves the string untouched so validation can go on and report every error at once.
 */
export function resolveSecretReferences(data: unknown, options: ResolveOptions): { value: unknown; referencedPaths: Set<string>; problems: SecretProblem[] } {
  const problems: SecretProblem[] = [];
  const referencedPaths = new Set<string>();
  const env = options.env ?? process.env;

  const resolveString = (s: string, path: (string | number)[]): string => {
    if (!s.includes('${')) return s;
    let failed = false;
    const out = s.replace(REF_RE, (whole, provider: string, arg: string) => {
      const v = resolveOne(provider, arg.trim(), path);
      if (v === null) {
        failed = true;
        return whole;
      }
      return v;
    });
    if (!failed) referencedPaths.add(path.join('.'));
    return failed ? s : out;
  };

  const resolveOne = (provider: string, arg: string, path: (string | number)[]): string | null => {
    const ref = `\${${provider}:${arg}}`;
    if (provider === 'env') {
      const v = env[arg];
      if (v === undefined) {
        problems.push({ path, message: `cannot resolve ${ref}: environment variable ${arg} is not set (export it before running ferry)` });
        return null;
      }
      registerSecretValue(v);
      return v;
    }
    if (provider === 'file') {
      const p = resolvePath(options.baseDir, arg);
      try {
        const v = readFileSync(p, 'utf8').replace(/\r?\n$/, '');
        registerSecretValue(v);
        return v;
      } catch (e: unknown) {
        const code = (e as NodeJS.ErrnoException).code ?? 'error';
        problems.push({ path, message: `cannot resolve ${ref}: cannot read file ${p} (${code})` });
        return null;
      }
    }
    problems.push({ path, message: `cannot resolve ${ref}: unknown secret provider "${provider}" (expected \${env:NAME} or \${file:path})` });
    return null;
  };

  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (typeof v === 'string') return resolveString(v, path);
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, [...path, k]);
      return out;
    }
    return v;
  };
  return { value: walk(data, []), referencedPaths, problems };
}

export function taskFileDir(file: string): string {
  return dirname(resolvePath(file));
}
