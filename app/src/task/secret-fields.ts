/**
 * The fields of a task document that hold secrets: those the task-file declaration marks secret (the source's
 * connection and plugin keys, settings) and those each target's sink plugin marks secret in its options (passwords,
 * AWS secret keys, SASL passwords, TLS keys, Redshift copyAuth), plus the password in the user info of a URL field
 * (kafka.schemaRegistry). From them:
 *   - `maskTaskSecrets`: the document with every literal secret shown as "***" (references kept), for the task API;
 *   - `registerTaskSecrets`: every literal secret registered with the redactor, so no output shows it;
 *   - `apiReferencePolicy`: where a secret reference may resolve in a task sent to the task API;
 *   - `restoreMaskedSecrets`: an edited copy of a masked document with each "***" given its stored value back.
 */
import { declaredFields, pathKey, replaceAt, valueAt, type DeclaredFields, type FieldPath } from '../../../runtime/src/config/secret-fields.ts';
import { isSecretReference, registerSecretValue, type ReferencePolicy } from '../../../runtime/src/config/secrets.ts';
import { taskSchema } from '../task-file/task-schema.ts';
import { SINK_TYPES, sinkPlugin } from '../plugins.ts';

const HIDDEN = '***';
/** A URL whose user info has a password: scheme://user:PASSWORD@… */
const USERINFO_RE = /^([a-z][a-z0-9+.-]*:\/\/(?:\$\{[^}]*\}|\$(?!\{)|[^/?#@:$])*:)((?:\$\{[^}]*\}|\$(?!\{)|[^/?#@$])*)(@.*)$/is;
/** Names that hold secrets, for targets whose type no plugin serves (their options are not declared). */
const SECRET_NAME_RE = /password|passphrase|secret|token|credential|private|^key$|apikey|api_key/i;

/** The declared secret and URL fields of a task document (as sent: references unresolved, or resolved). */
export function taskSecretFields(definition: unknown): DeclaredFields {
  const { secrets, urls } = declaredFields(taskSchema, definition);
  const targets = valueAt(definition, ['targets']);
  if (Array.isArray(targets)) {
    targets.forEach((t: unknown, i) => {
      const type = (t as { type?: unknown } | null)?.type;
      if (typeof type === 'string' && SINK_TYPES.includes(type)) {
        const own = declaredFields(sinkPlugin(type).options(type), t, ['targets', i]);
        secrets.push(...own.secrets);
        urls.push(...own.urls);
      } else if (t !== null && typeof t === 'object') {
        secrets.push(...namedLikeSecrets(t, ['targets', i]));
      }
    });
  }
  return { secrets, urls };
}

function namedLikeSecrets(v: unknown, path: FieldPath): FieldPath[] {
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => (SECRET_NAME_RE.test(k) && (typeof x === 'string' || typeof x === 'number') ? [[...path, k]] : namedLikeSecrets(x, [...path, k])));
}

/** The password of a URL's user info, or undefined. */
function userinfoPassword(url: string): string | undefined {
  return USERINFO_RE.exec(url)?.[2];
}

/** `definition` with every literal secret (and a literal password in a URL's user info) replaced by "***". */
export function maskTaskSecrets(definition: Record<string, unknown>): Record<string, unknown> {
  const { secrets, urls } = taskSecretFields(definition);
  // Plus any field named like a secret that no declaration covers (a misplaced key of an invalid target, say): shown
  // as "***" too, since a wrong place does not make a password less secret.
  secrets.push(...namedLikeSecrets(definition, []));
  let out = replaceAt(definition, secrets, (v) => (isSecretReference(v) ? v : HIDDEN));
  out = replaceAt(out, urls, (v) => {
    if (typeof v !== 'string') return v;
    const m = USERINFO_RE.exec(v);
    return m && !isSecretReference(m[2]) ? `${m[1]}${HIDDEN}${m[3]}` : v;
  });
  return out as Record<string, unknown>;
}

/**
 * `next` (an edit of the masked document `maskTaskSecrets(stored)`) with every secret field still "***", and every URL
 * password still "***", given the value `stored` has at the same place: a user edits a task without retyping its
 * secrets (PUT /tasks/{name}, the console's editor). A "***" with nothing stored at its place stays as it is.
 */
export function restoreMaskedSecrets(next: Record<string, unknown>, stored: Record<string, unknown>): Record<string, unknown> {
  const { secrets, urls } = taskSecretFields(next);
  secrets.push(...namedLikeSecrets(next, []));
  const keep = (p: FieldPath) => valueAt(stored, p);
  let out = next as unknown;
  for (const p of secrets) {
    const old = keep(p);
    if (valueAt(out, p) === HIDDEN && old !== undefined) out = replaceAt(out, [p], () => old);
  }
  for (const p of urls) {
    const v = valueAt(out, p);
    const old = keep(p);
    const m = typeof v === 'string' ? USERINFO_RE.exec(v) : null;
    const oldPw = typeof old === 'string' ? userinfoPassword(old) : undefined;
    if (m && m[2] === HIDDEN && oldPw !== undefined) out = replaceAt(out, [p], () => `${m[1]}${oldPw}${m[3]}`);
  }
  return out as Record<string, unknown>;
}

/** Registers the value of every declared secret field of a (resolved) task, and URL passwords, with the redactor. */
export function registerTaskSecrets(resolved: unknown): void {
  const { secrets, urls } = taskSecretFields(resolved);
  for (const p of secrets) {
    const v = valueAt(resolved, p);
    if (typeof v === 'string' && !isSecretReference(v)) registerSecretValue(v);
  }
  for (const p of urls) {
    const v = valueAt(resolved, p);
    const pw = typeof v === 'string' ? userinfoPassword(v) : undefined;
    if (pw !== undefined && !pw.includes('${')) {
      registerSecretValue(pw);
      try { registerSecretValue(decodeURIComponent(pw)); } catch { /* not percent-encoded */ }
    }
  }
}

export interface ApiSecretSources {
  /** `${env:NAME}` resolves only for names with this prefix; null: none. */
  readonly envPrefix: string | null;
  /** `${file:path}` resolves only inside this directory; null: none. */
  readonly fileDir: string | null;
  /** `${aws-sm:id}` resolves only for secret names/ARNs with this prefix; null or absent: none. */
  readonly awsSmPrefix?: string | null;
}

/**
 * Where references may resolve in `definition`, a task sent to the task API: in a field declared secret (the whole
 * value may also be a reference), or as the password of a URL field's user info — and nowhere else.
 */
export function apiReferencePolicy(definition: unknown, sources: ApiSecretSources): ReferencePolicy {
  const { secrets, urls } = taskSecretFields(definition);
  const secretKeys = new Set(secrets.map(pathKey));
  const urlKeys = new Set(urls.map(pathKey));
  return {
    envPrefix: sources.envPrefix,
    fileDir: sources.fileDir,
    awsSmPrefix: sources.awsSmPrefix ?? null,
    allowsReferenceAt: (path, value) => {
      const key = pathKey(path);
      if (secretKeys.has(key)) return true;
      if (!urlKeys.has(key)) return false;
      const m = USERINFO_RE.exec(value);
      return m !== null && isSecretReference(m[2]) && !`${m[1]}${m[3]}`.includes('${');
    },
  };
}
