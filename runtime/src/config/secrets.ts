/**
 * Secrets in task files.
 *
 * A task file refers to secrets as `${env:NAME}`, `${file:path}` (relative paths are relative to the task file) or
 * `${aws-sm:name-or-arn}` / `${aws-sm:name-or-arn#json-key}` (AWS Secrets Manager: fetched beforehand by
 * aws-sm-secrets.ts, then resolved here like the others; such a value stays refreshable, see Secret.refresh).
 * Resolved values, and every value of a field declared secret, are wrapped in `Secret` or registered with the
 * process-wide redactor, which the logger, the CLI's output and the task API apply to everything they write. So a
 * secret can only reach output through `Secret.reveal()`, at the point where a driver needs it.
 *
 * The redactor masks every form a registered secret takes in output (secret-forms.ts): the raw text, its
 * JSON-escaped forms (once, twice, with \uXXXX), its URL-encoded forms, and a truncated echo of it (a prefix of at
 * least 12 characters followed by "..." or "…" or the end of the text, or a prefix of 24 characters anywhere).
 * `redactValue` masks the strings of a value before it is serialised; callers then redact the serialised text too.
 *
 * Where the task comes from someone other than the operator (the task API), `resolveSecretReferences` takes a
 * ReferencePolicy: references resolve only in fields declared secret, only from the environment variables and the
 * directory the operator allows, and a refusal never shows what the reference points to.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { resolve as resolvePath, dirname, sep } from 'node:path';
import { inspect } from 'node:util';
import { formsOf, maskPrefixes } from './secret-forms.ts';
import { AWS_SM_PROVIDER, awsSmValue, parseAwsSmArg, type AwsSmValues } from './aws-sm-reference.ts';

const HIDDEN = '***';
const REFERENCE_RE = /^\$\{[A-Za-z0-9_-]+:[^}]*\}$/;

/** Where a secret came from and how to fetch it again (a secret from AWS Secrets Manager: aws-sm-secrets.ts). */
export interface SecretSource {
  /** The reference as written in the task, e.g. `${aws-sm:prod/db#password}`: what logs and errors name. */
  readonly reference: string;
  /** Fetches the current value (throws a FerryError that names the reference, never a value). */
  readonly fetch: () => Promise<string>;
}

/** What a refresh found: `changed` false when the store still holds the value in use; `error` when fetching failed. */
export interface SecretRefresh {
  readonly reference: string;
  readonly changed: boolean;
  readonly error?: string;
}

export class Secret {
  #value: string;
  #source: SecretSource | undefined;
  #refreshing: Promise<SecretRefresh> | undefined;
  readonly #listeners = new Set<(r: SecretRefresh) => void>();
  constructor(value: string) {
    this.#value = value;
    // An unresolved reference (reported as a problem elsewhere) is not a secret; everything else is.
    if (!REFERENCE_RE.test(value)) registerSecretValue(value);
  }
  /** The secret's current value (the latest fetched, after a refresh). Call only where a driver needs it; never log the result. */
  reveal(): string {
    return this.#value;
  }
  /** The reference the value came from, when it can be fetched again (see refresh). */
  get reference(): string | undefined {
    return this.#source?.reference;
  }
  /** Makes the secret refreshable from `source` (done by the task loader for ${aws-sm:} values). */
  bindSource(source: SecretSource): void {
    this.#source = source;
    refreshableByValue.set(this.#value, this);
  }
  /**
   * Fetches the value again from its source (concurrent calls share one fetch) and registers the new value with the
   * redactor; reveal() returns it from then on. Null for a secret without a source (a literal, ${env:}, ${file:}).
   */
  refresh(): Promise<SecretRefresh> | null {
    const source = this.#source;
    if (source === undefined) return null;
    this.#refreshing ??= (async () => {
      try {
        let next: string;
        try {
          next = await source.fetch();
        } catch (e: unknown) {
          for (const l of this.#listeners) l({ reference: source.reference, changed: false, error: redact(e instanceof Error ? e.message : String(e)) });
          throw e;
        }
        registerSecretValue(next);
        const r = { reference: source.reference, changed: next !== this.#value };
        this.#value = next;
        refreshableByValue.set(next, this);
        for (const l of this.#listeners) l(r);
        return r;
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }
  /** Calls `listener` after every refresh; returns the function that stops it. */
  onRefresh(listener: (r: SecretRefresh) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
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

/**
 * The refreshable Secret a value came from, for code that is handed the revealed text rather than the Secret (the
 * sink plugins take their options as plain strings): looked up by any value the secret has had. Undefined for a
 * value that is not from a refreshable source.
 */
const refreshableByValue = new Map<string, Secret>();
export function refreshableSecretOf(value: unknown): Secret | undefined {
  return typeof value === 'string' ? refreshableByValue.get(value) : undefined;
}

/** The current value of the secret `value` was read from (after a refresh, the new one); else `value` itself. */
export function currentSecretValue<T>(value: T): T | string {
  return refreshableSecretOf(value)?.reveal() ?? value;
}

/** Whether `s` is one whole secret reference, `${provider:arg}`. */
export function isSecretReference(s: unknown): s is string {
  return typeof s === 'string' && REFERENCE_RE.test(s);
}

const secretValues = new Set<string>();
/** Every form of every registered secret, longest first. */
let forms: string[] = [];
let exactPattern: RegExp | null = null;

/**
 * Registers a value to be masked in all log lines and error output. Values shorter than MIN_MASKED_LENGTH are not
 * substring-masked (masking "cdc" would also mask the user name "cdc" and every word containing it); they are still
 * never printed by Ferry itself, since they only travel inside `Secret`.
 */
export const MIN_MASKED_LENGTH = 6;
export function registerSecretValue(value: string): void {
  if (value.length < MIN_MASKED_LENGTH || secretValues.has(value)) return;
  secretValues.add(value);
  const all = new Set(forms);
  for (const f of formsOf(value)) if (f.length >= MIN_MASKED_LENGTH) all.add(f);
  forms = [...all].sort((a, b) => b.length - a.length);
  exactPattern = new RegExp(forms.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
}

/** Replaces every form of every registered secret value in `text` by ***. */
export function redact(text: string): string {
  if (exactPattern === null || text === '') return text;
  return maskPrefixes(text.replace(exactPattern, HIDDEN), forms, HIDDEN);
}

/**
 * `value` with every string (keys too) redacted and every Secret shown as ***: for values about to be serialised
 * (JSON output, API answers, log objects), so that escaping cannot turn a secret into a form the text redactor
 * would have to recognise. Objects other than plain ones and arrays (Buffers, Dates, Errors) are returned as they are.
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (value instanceof Secret) return HIDDEN;
  if (exactPattern === null || depth > 64 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((x) => redactValue(x, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[redact(k)] = redactValue(v, depth + 1);
  return out;
}

/** For tests: forget registered values. */
export function clearSecretValuesForTests(): void {
  secretValues.clear();
  forms = [];
  exactPattern = null;
}

export interface SecretProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

/**
 * A reference `${provider:arg}`, or the escape `$${`, which stands for a literal `${` (so a schema or table named
 * `a${env:X}` is written `a$${env:X}` in a task file; as `$$` in docker-compose). Group 1 is set for a reference only.
 */
const REF_RE = /\$\$\{|\$\{([A-Za-z0-9_-]+):([^}]*)\}/g;

/** Whether `s` holds at least one reference (escapes aside). */
function hasReference(s: string): boolean {
  REF_RE.lastIndex = 0;
  for (const m of s.matchAll(REF_RE)) if (m[1] !== undefined) return true;
  return false;
}

/**
 * Which references may resolve, for a task that someone other than the operator sent (the task API). Without a
 * policy every reference resolves (a task file run from the CLI: the operator wrote it).
 */
export interface ReferencePolicy {
  /** Whether a reference may stand at `path` (a field declared secret); `value` is the string that holds it. */
  readonly allowsReferenceAt: (path: readonly (string | number)[], value: string) => boolean;
  /** `${env:NAME}` resolves only for names that start with this prefix; null: no `${env:}` resolves. */
  readonly envPrefix: string | null;
  /** `${file:path}` resolves only for regular files inside this directory (symlinks and `..` resolved); null: none. */
  readonly fileDir: string | null;
  /** Largest `${file:}` file read, in bytes; default 1 MiB. */
  readonly maxFileBytes?: number;
  /** `${aws-sm:id}` resolves only for secret ids (names or ARNs, as written) with this prefix; null or absent: none. */
  readonly awsSmPrefix?: string | null;
}

export interface ResolveOptions {
  /** Directory that relative `${file:...}` paths are resolved against (the task file's folder). */
  readonly baseDir: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Restricts where references resolve and from what (see ReferencePolicy). */
  readonly policy?: ReferencePolicy;
  /**
   * The secrets `${aws-sm:…}` references name, fetched beforehand (aws-sm-secrets.ts: fetchAwsSmSecrets). Without it
   * an `${aws-sm:…}` reference is a problem.
   */
  readonly awsSm?: AwsSmValues;
}

/** Whether `p` (absolute, normalised) is `dir` or inside it. */
function isInside(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * Replaces `${env:…}` / `${file:…}` references in every string of `data` (recursively) and returns the new value,
 * the paths that held a reference, and one problem per unresolvable reference. A reference that cannot be resolved
 * leaves the string untouched so validation can go on and report every error at once.
 */
export function resolveSecretReferences(data: unknown, options: ResolveOptions): {
  value: unknown; referencedPaths: Set<string>; problems: SecretProblem[];
  /** Each resolved string that holds an `${aws-sm:…}` value → the string as written (to fetch it again: aws-sm-secrets.ts). */
  awsSmStrings: Map<string, string>;
} {
  const problems: SecretProblem[] = [];
  const referencedPaths = new Set<string>();
  const awsSmStrings = new Map<string, string>();
  const env = options.env ?? process.env;
  const policy = options.policy;

  const resolveString = (s: string, path: (string | number)[]): string => {
    if (!s.includes('${')) return s;
    if (!hasReference(s)) return s.includes('$${') ? s.replace(REF_RE, () => '${') : s;
    if (policy && !policy.allowsReferenceAt(path, s)) {
      problems.push({ path, message: 'a secret reference (${env:…}, ${file:…} or ${aws-sm:…}) is not allowed here: tasks sent to the API may use references only in fields declared secret (marked "(secret)" in docs/configuration.md)' });
      return s;
    }
    let failed = false;
    const out = s.replace(REF_RE, (whole, provider: string | undefined, arg: string) => {
      if (provider === undefined) return '${';
      const v = resolveOne(provider, arg.trim(), path);
      if (v === null) {
        failed = true;
        return whole;
      }
      return v;
    });
    if (!failed) referencedPaths.add(path.join('.'));
    if (!failed && s.includes(`\${${AWS_SM_PROVIDER}:`)) awsSmStrings.set(out, s);
    return failed ? s : out;
  };

  const resolveEnv = (arg: string, ref: string, path: (string | number)[]): string | null => {
    if (policy && (policy.envPrefix === null || policy.envPrefix === '' || !arg.startsWith(policy.envPrefix))) {
      problems.push({
        path, message: policy.envPrefix
          ? `\${env:…} is refused: this server resolves only environment variables whose names start with "${policy.envPrefix}" (ferry serve --secrets-env-prefix)`
          : '${env:…} is refused: this server resolves no environment variables (ferry serve --secrets-env-prefix)',
      });
      return null;
    }
    const v = env[arg];
    if (v === undefined) {
      problems.push({ path, message: `cannot resolve ${ref}: environment variable ${arg} is not set (export it before running ferry)` });
      return null;
    }
    registerSecretValue(v);
    return v;
  };

  const resolveFile = (arg: string, ref: string, path: (string | number)[]): string | null => {
    if (policy) {
      const refused = (why: string) => { problems.push({ path, message: `\${file:…} is refused: ${why}` }); return null; };
      if (policy.fileDir === null) return refused('this server resolves no files (ferry serve --secrets-dir)');
      const dir = resolvePath(policy.fileDir);
      const p = resolvePath(dir, arg);
      const outside = 'this server resolves only files inside its secrets directory (ferry serve --secrets-dir)';
      if (!isInside(p, dir)) return refused(outside);
      let real: string;
      try {
        real = realpathSync(p);
        if (!isInside(real, realpathSync(dir))) return refused(outside);
      } catch (e: unknown) {
        problems.push({ path, message: `cannot resolve \${file:…}: no readable file of that name in the secrets directory (${(e as NodeJS.ErrnoException).code ?? 'error'})` });
        return null;
      }
      const read = readSecretFile(real, policy.maxFileBytes ?? MAX_SECRET_FILE_BYTES);
      if (typeof read !== 'string') return refused(read.refused);
      registerSecretValue(read);
      return read;
    }
    const p = resolvePath(options.baseDir, arg);
    try {
      const read = readSecretFile(p, MAX_SECRET_FILE_BYTES);
      if (typeof read !== 'string') {
        problems.push({ path, message: `cannot resolve ${ref}: ${p} is ${read.refused}; a secret file is a regular file of at most ${MAX_SECRET_FILE_BYTES} bytes` });
        return null;
      }
      registerSecretValue(read);
      return read;
    } catch (e: unknown) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      problems.push({ path, message: `cannot resolve ${ref}: cannot read file ${p} (${code})` });
      return null;
    }
  };

  const resolveAwsSm = (arg: string, ref: string, path: (string | number)[]): string | null => {
    const parsed = parseAwsSmArg(arg);
    if (parsed === null) {
      problems.push({ path, message: `cannot resolve ${ref}: expected \${aws-sm:name-or-arn} or \${aws-sm:name-or-arn#json-key}` });
      return null;
    }
    const prefix = policy?.awsSmPrefix ?? null;
    if (policy && (prefix === null || prefix === '' || !parsed.secretId.startsWith(prefix))) {
      problems.push({
        path, message: prefix
          ? `\${aws-sm:…} is refused: this server resolves only AWS secrets whose name or ARN starts with "${prefix}" (ferry serve --secrets-aws-sm-prefix)`
          : '${aws-sm:…} is refused: this server resolves no AWS Secrets Manager secrets (ferry serve --secrets-aws-sm-prefix)',
      });
      return null;
    }
    const r = awsSmValue(ref, parsed, options.awsSm?.get(parsed.secretId));
    if ('error' in r) {
      problems.push({ path, message: r.error });
      return null;
    }
    registerSecretValue(r.value);
    return r.value;
  };

  const resolveOne = (provider: string, arg: string, path: (string | number)[]): string | null => {
    const ref = `\${${provider}:${arg}}`;
    if (provider === 'env') return resolveEnv(arg, ref, path);
    if (provider === 'file') return resolveFile(arg, ref, path);
    if (provider === AWS_SM_PROVIDER) return resolveAwsSm(arg, ref, path);
    problems.push({ path, message: `cannot resolve \${${provider}:…}: unknown secret provider "${provider}" (expected \${env:NAME}, \${file:path} or \${aws-sm:name-or-arn})` });
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
  return { value: walk(data, []), referencedPaths, problems, awsSmStrings };
}

/** The largest `${file:}` secret read, in bytes (a key, a certificate chain or a token fits many times over). */
export const MAX_SECRET_FILE_BYTES = 1024 * 1024;

/**
 * Reads a secret file: a regular file (never a device or a pipe, which could block or never end) of at most
 * maxBytes, read through one descriptor with a bounded read, without its final newline.
 */
function readSecretFile(path: string, maxBytes: number): string | { refused: string } {
  // Checked before opening too: opening a FIFO blocks until someone writes to it.
  if (!statSync(path).isFile()) return { refused: 'not a regular file' };
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { refused: 'not a regular file' };
    if (st.size > maxBytes) return { refused: `larger than ${maxBytes} bytes` };
    const buf = Buffer.allocUnsafe(Math.min(st.size, maxBytes) + 1);
    let total = 0;
    for (let n; total < buf.length && (n = readSync(fd, buf, total, buf.length - total, null)) > 0;) total += n;
    if (total > maxBytes) return { refused: `larger than ${maxBytes} bytes` };
    return buf.subarray(0, total).toString('utf8').replace(/\r?\n$/, '');
  } finally {
    closeSync(fd);
  }
}

export function taskFileDir(file: string): string {
  return dirname(resolvePath(file));
}
