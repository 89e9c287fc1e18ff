/**
 * Fetching the secrets that `${aws-sm:…}` references name (AWS Secrets Manager, GetSecretValue), before the
 * synchronous resolver (secrets.ts) runs with them; and making the resulting Secret values refreshable, so that a
 * connection the database refuses can fetch a rotated secret once and try again (secret-refresh.ts).
 *
 * The SDK (@aws-sdk/client-secrets-manager) is loaded with import() only when a task uses such a reference. Region,
 * endpoint and credentials come from the standard AWS chain: AWS_REGION (else AWS_DEFAULT_REGION, else the region of
 * an ARN, else the shared config file), AWS_ENDPOINT_URL_SECRETS_MANAGER or AWS_ENDPOINT_URL, and the SDK's
 * credential chain (environment, profile, SSO, web identity, container or instance role). Each distinct secret is
 * fetched once per resolution, however many references (and #keys) name it. A failure is kept per secret as a
 * sentence naming it and the fix, so that validation reports every problem at once; it never holds a value.
 */
import { FerryError } from '../../../core/src/errors.ts';
import { awsSmReferencesIn, awsSmSecretIds, type AwsSmFetched, type AwsSmValues } from './aws-sm-reference.ts';
import { Secret, resolveSecretReferences, type ResolveOptions } from './secrets.ts';
import { awsHttpsAgent } from '../aws/aws-tls.ts';

export interface AwsSmFetchOptions {
  /** Where AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL(_SECRETS_MANAGER) are read; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Connection and request timeout of one call, ms; default 5000. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The region of `arn:aws:secretsmanager:<region>:…`, if the id is such an ARN. */
function regionOfArn(id: string): string | undefined {
  return /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):/.exec(id)?.[1];
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'TimeoutError', 'RequestTimeout']);

/** A sentence for a failed GetSecretValue: what happened to which secret, and the fix. Never the value. */
export function describeFetchError(e: unknown, id: string, where: string): string {
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const name = err.name ?? '';
  const code = err.code ?? err.cause?.code ?? '';
  switch (name) {
    case 'ResourceNotFoundException':
      return `${where} has no secret "${id}" (ResourceNotFoundException); check the name or ARN, and the region (AWS_REGION)`;
    case 'AccessDeniedException':
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'ExpiredTokenException':
    case 'SignatureDoesNotMatch':
      return `${where} refused to read secret "${id}" (${name}); the AWS credentials Ferry runs with (environment, profile or role) need secretsmanager:GetSecretValue on it, and kms:Decrypt on its KMS key if it has its own`;
    case 'DecryptionFailure':
      return `${where} could not decrypt secret "${id}" (DecryptionFailure); the credentials need kms:Decrypt on the secret's KMS key`;
    case 'InvalidRequestException':
      return `${where} refused to read secret "${id}" (InvalidRequestException: ${err.message ?? 'invalid request'}); a secret scheduled for deletion must be restored first`;
    case 'CredentialsProviderError':
      return `no AWS credentials to read secret "${id}" with; set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, or run with a role`;
  }
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(name) || /ECONNREFUSED|ENOTFOUND|timed? ?out|socket hang up/i.test(err.message ?? '')) {
    return `cannot reach ${where} to read secret "${id}" (${code || name || 'network error'}); check AWS_REGION, AWS_ENDPOINT_URL_SECRETS_MANAGER (or AWS_ENDPOINT_URL) and the network`;
  }
  if (/region is missing/i.test(err.message ?? '')) {
    return `no AWS region to read secret "${id}" from; set AWS_REGION, or refer to the secret by its ARN`;
  }
  return `${where} failed to return secret "${id}" (${name || code || 'error'}: ${err.message ?? String(e)})`;
}

/** Fetches each distinct secret once (concurrently): its text, or why it could not be fetched. */
export async function fetchAwsSmSecrets(ids: readonly string[], options: AwsSmFetchOptions = {}): Promise<Map<string, AwsSmFetched>> {
  const out = new Map<string, AwsSmFetched>();
  const distinct = [...new Set(ids)];
  if (distinct.length === 0) return out;
  const env = options.env ?? process.env;
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const endpoint = env.AWS_ENDPOINT_URL_SECRETS_MANAGER || env.AWS_ENDPOINT_URL || undefined;
  const timeout = options.timeoutMs ?? 5000;
  const clients = new Map<string, InstanceType<typeof SecretsManagerClient>>();
  const caAgent = awsHttpsAgent({}, env);
  const clientFor = (region: string | undefined) => {
    const k = region ?? '';
    let c = clients.get(k);
    if (!c) {
      c = new SecretsManagerClient({
        ...(region ? { region } : {}), ...(endpoint ? { endpoint } : {}), maxAttempts: 2,
        // AWS_CA_BUNDLE (runtime/src/aws/aws-tls.ts) joins Node's CAs for a TLS-inspecting proxy or private endpoint
        requestHandler: { connectionTimeout: timeout, requestTimeout: timeout, ...(caAgent ? { httpsAgent: caAgent } : {}) },
      });
      clients.set(k, c);
    }
    return c;
  };
  try {
    await Promise.all(distinct.map(async (id) => {
      const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || regionOfArn(id);
      const where = `AWS Secrets Manager${region ? ` (${region}${endpoint ? `, ${endpoint}` : ''})` : endpoint ? ` (${endpoint})` : ''}`;
      try {
        const r = await clientFor(region).send(new GetSecretValueCommand({ SecretId: id }), options.signal ? { abortSignal: options.signal } : {});
        if (typeof r.SecretString === 'string') out.set(id, { value: r.SecretString });
        else if (r.SecretBinary) {
          try {
            out.set(id, { value: new TextDecoder('utf-8', { fatal: true }).decode(r.SecretBinary) });
          } catch {
            out.set(id, { error: `secret "${id}" holds binary data that is not UTF-8 text; store the value as a secret string` });
          }
        } else out.set(id, { error: `secret "${id}" has no value (neither SecretString nor SecretBinary); put a value in it` });
      } catch (e: unknown) {
        out.set(id, { error: describeFetchError(e, id, where) });
      }
    }));
  } finally {
    for (const c of clients.values()) c.destroy();
  }
  return out;
}

/** The secrets the `${aws-sm:…}` references in `data` name, fetched; an empty map when there are none (no SDK loaded). */
export async function prefetchAwsSmSecrets(data: unknown, options: AwsSmFetchOptions = {}): Promise<AwsSmValues> {
  return fetchAwsSmSecrets(awsSmSecretIds(data), options);
}

/**
 * Makes every Secret in `value` (a parsed task) whose text came from `${aws-sm:…}` references refreshable: its
 * refresh() fetches the secrets again and resolves the string as written once more. A value that stands in the task
 * as a plain string (a target's options) gets a refreshable Secret of its own, found with refreshableSecretOf.
 * `awsSmStrings` is what resolveSecretReferences returned (resolved text → text as written); `resolveOptions` are
 * the options it ran with.
 */
export function bindAwsSmSources(value: unknown, awsSmStrings: ReadonlyMap<string, string>, resolveOptions: ResolveOptions, fetchOptions: AwsSmFetchOptions = {}): number {
  if (awsSmStrings.size === 0) return 0;
  let bound = 0;
  const boundHere = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): void => {
    if (depth > 64 || v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (v instanceof Secret) {
      const written = awsSmStrings.get(v.reveal());
      if (written !== undefined) {
        v.bindSource({ reference: awsSmReferencesIn(written).join(' '), fetch: () => refetch(written, resolveOptions, fetchOptions) });
        boundHere.add(v.reveal());
        bound++;
      }
      return;
    }
    for (const x of Array.isArray(v) ? v : Object.values(v)) walk(x, depth + 1);
  };
  walk(value, 0);
  for (const [text, written] of awsSmStrings) {
    if (boundHere.has(text)) continue;
    new Secret(text).bindSource({ reference: awsSmReferencesIn(written).join(' '), fetch: () => refetch(written, resolveOptions, fetchOptions) });
  }
  return bound;
}

async function refetch(written: string, resolveOptions: ResolveOptions, fetchOptions: AwsSmFetchOptions): Promise<string> {
  const awsSm = await prefetchAwsSmSecrets(written, fetchOptions);
  // Where the reference stands was checked when the task was read; the policy's sources (prefixes) still apply.
  const { policy } = resolveOptions;
  const r = resolveSecretReferences(written, { ...resolveOptions, awsSm, ...(policy ? { policy: { ...policy, allowsReferenceAt: () => true } } : {}) });
  if (r.problems.length > 0 || typeof r.value !== 'string') {
    throw new FerryError('FERRY_SECRET_UNRESOLVED', `fetching ${awsSmReferencesIn(written).join(' ')} again failed: ${r.problems.map((p) => p.message).join('; ')}`);
  }
  return r.value;
}

