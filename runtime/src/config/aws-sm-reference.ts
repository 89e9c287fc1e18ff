/**
 * `${aws-sm:name-or-arn}` and `${aws-sm:name-or-arn#json-key}` references (AWS Secrets Manager), the synchronous
 * part: finding them in a task document, and turning a fetched secret into the referenced value. Fetching is
 * asynchronous and lives in aws-sm-secrets.ts, which loads the AWS SDK only when a task uses such a reference; the
 * fetched secrets are then handed to the synchronous resolver (secrets.ts) as an AwsSmValues map.
 *
 * The value of `${aws-sm:id}` is the secret's SecretString, or its SecretBinary decoded as UTF-8 (refused when it is
 * not valid UTF-8). With `#key` the secret must be a JSON object and the value is its top-level member `key`: a
 * string as it is, a number or a boolean as its JSON text (a DMS-style secret holds "port": 5432); null, an object
 * or an array is refused. Errors name the reference and the key, never the value.
 */

export const AWS_SM_PROVIDER = 'aws-sm';

export interface AwsSmReference {
  /** The secret's name or ARN, as written. */
  readonly secretId: string;
  /** The top-level JSON key after `#`, if any. */
  readonly key: string | undefined;
}

/** A fetched secret's text, or why it could not be fetched (a sentence naming the secret and the fix). */
export type AwsSmFetched = { readonly value: string } | { readonly error: string };

/** Fetched secrets by secret id (name or ARN as written): one entry per distinct secret. */
export type AwsSmValues = ReadonlyMap<string, AwsSmFetched>;

/** Splits `name-or-arn#key` (names and ARNs cannot hold "#"); null when the id or the key is empty. */
export function parseAwsSmArg(arg: string): AwsSmReference | null {
  const hash = arg.indexOf('#');
  const secretId = (hash < 0 ? arg : arg.slice(0, hash)).trim();
  const key = hash < 0 ? undefined : arg.slice(hash + 1).trim();
  if (secretId === '' || key === '') return null;
  return { secretId, key };
}

/** A reference, not preceded by another `$` (`$${aws-sm:…}` is the escaped, literal text: secrets.ts). */
const AWS_SM_RE = /(?<!\$)\$\{aws-sm:([^}]*)\}/g;

/** The `${aws-sm:…}` references in a string, as written. */
export function awsSmReferencesIn(s: string): string[] {
  return [...s.matchAll(AWS_SM_RE)].map((m) => m[0]);
}

/** The distinct secret ids that `${aws-sm:…}` references in every string of `data` (recursively) name. */
export function awsSmSecretIds(data: unknown): string[] {
  const ids = new Set<string>();
  const walk = (v: unknown, depth: number): void => {
    if (depth > 128) return;
    if (typeof v === 'string') {
      if (!v.includes('${aws-sm:')) return;
      for (const m of v.matchAll(AWS_SM_RE)) {
        const ref = parseAwsSmArg(m[1]!);
        if (ref) ids.add(ref.secretId);
      }
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
    } else if (v !== null && typeof v === 'object') {
      for (const x of Object.values(v)) walk(x, depth + 1);
    }
  };
  walk(data, 0);
  return [...ids];
}

/** The value `ref` (the reference as written) stands for, given the fetched secret; or why there is none. */
export function awsSmValue(ref: string, parsed: AwsSmReference, fetched: AwsSmFetched | undefined): { value: string } | { error: string } {
  if (fetched === undefined) return { error: `cannot resolve ${ref}: this command reads the task without fetching AWS Secrets Manager secrets; use \${env:…} or \${file:…} here` };
  if ('error' in fetched) return { error: `cannot resolve ${ref}: ${fetched.error}` };
  if (parsed.key === undefined) return { value: fetched.value };
  let doc: unknown;
  try {
    doc = JSON.parse(fetched.value);
  } catch {
    return { error: `cannot resolve ${ref}: secret "${parsed.secretId}" is not JSON, so it has no key "${parsed.key}"; store a JSON object in it, or drop "#${parsed.key}" to use the whole secret` };
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return { error: `cannot resolve ${ref}: secret "${parsed.secretId}" is JSON but not an object, so it has no key "${parsed.key}"; store a JSON object in it, or drop "#${parsed.key}"` };
  }
  if (!Object.hasOwn(doc, parsed.key)) {
    const keys = Object.keys(doc).slice(0, 20).map((k) => `"${k}"`).join(', ');
    return { error: `cannot resolve ${ref}: secret "${parsed.secretId}" has no top-level key "${parsed.key}" (its keys: ${keys || 'none'}); fix the key after "#" or add it to the secret` };
  }
  const v = (doc as Record<string, unknown>)[parsed.key];
  if (typeof v === 'string') return { value: v };
  if (typeof v === 'number' || typeof v === 'boolean') return { value: JSON.stringify(v) };
  return { error: `cannot resolve ${ref}: key "${parsed.key}" of secret "${parsed.secretId}" holds ${v === null ? 'null' : Array.isArray(v) ? 'a list' : 'an object'}, not a string, number or boolean` };
}
