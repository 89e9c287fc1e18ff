/**
 * AWS MSK IAM authentication: the SASL/OAUTHBEARER token MSK expects, built as AWS's own signers build it
 * (aws-msk-iam-sasl-signer-js, aws-msk-iam-auth for Java):
 *
 *   1. a SigV4 *presigned* URL for `GET https://kafka.<region>.amazonaws.com/?Action=kafka-cluster%3AConnect`,
 *      service `kafka-cluster`, `X-Amz-Expires=900`, signed header `host`, payload hash of the empty body;
 *      temporary credentials add `X-Amz-Security-Token`;
 *   2. a `User-Agent` query parameter added after signing;
 *   3. the URL (query keys sorted) encoded as base64url without padding.
 *
 * Signed with node:crypto (no dependency); the unit test checks it against @smithy/signature-v4, the SigV4 signer of
 * the AWS SDK. Credentials: given keys, or the AWS default credential chain (loaded lazily).
 */
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When temporary credentials expire. */
  readonly expiration?: Date;
}

export type CredentialProvider = () => Promise<AwsCredentials>;

export const MSK_TOKEN_TTL_SECONDS = 900;
export const MSK_USER_AGENT = 'ferry-msk-iam-signer/1.0';

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: Buffer | string, s: string): Buffer => createHmac('sha256', key).update(s, 'utf8').digest();

/** `20261127T101500Z` and `20261127`. */
function amzDates(d: Date): { long: string; short: string } {
  const long = d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return { long, short: long.slice(0, 8) };
}

/** The presigned `kafka-cluster:Connect` URL (before the User-Agent parameter is added). */
export function presignMskConnectUrl(region: string, credentials: AwsCredentials, signingDate: Date = new Date(), expiresIn = MSK_TOKEN_TTL_SECONDS): URL {
  const host = `kafka.${region}.amazonaws.com`;
  const { long, short } = amzDates(signingDate);
  const scope = `${short}/${region}/kafka-cluster/aws4_request`;
  const query: Record<string, string> = {
    Action: 'kafka-cluster:Connect',
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': long,
    'X-Amz-Expires': String(expiresIn),
    'X-Amz-SignedHeaders': 'host',
  };
  if (credentials.sessionToken) query['X-Amz-Security-Token'] = credentials.sessionToken;
  const canonicalQuery = Object.keys(query).map((k) => [uriEncode(k), uriEncode(query[k]!)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${host}`, '', 'host', sha256Hex('')].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', long, scope, sha256Hex(canonicalRequest)].join('\n');
  const kDate = hmac(`AWS4${credentials.secretAccessKey}`, short);
  const kSigning = hmac(hmac(hmac(kDate, region), 'kafka-cluster'), 'aws4_request');
  const signature = createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
  query['X-Amz-Signature'] = signature;
  const url = new URL(`https://${host}/`);
  url.search = Object.keys(query).sort().map((k) => `${uriEncode(k)}=${uriEncode(query[k]!)}`).join('&');
  return url;
}

export interface MskToken {
  readonly token: string;
  /** When MSK stops accepting it (signing time + 900 s). */
  readonly expiresAt: Date;
}

/** The OAUTHBEARER token: the presigned URL plus User-Agent, base64url without padding. */
export function mskIamToken(region: string, credentials: AwsCredentials, signingDate: Date = new Date(), userAgent = MSK_USER_AGENT): MskToken {
  const url = presignMskConnectUrl(region, credentials, signingDate);
  url.search = `${url.search.slice(1)}&User-Agent=${uriEncode(userAgent)}`.split('&').sort().join('&');
  const token = Buffer.from(url.toString(), 'utf8').toString('base64url');
  return { token, expiresAt: new Date(Math.floor(signingDate.getTime() / 1000) * 1000 + MSK_TOKEN_TTL_SECONDS * 1000) };
}

/** Decodes a token back into its URL (tests, debugging). */
export function decodeMskToken(token: string): URL {
  return new URL(Buffer.from(token, 'base64url').toString('utf8'));
}

export interface MskIamOptions {
  readonly region: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly sessionToken?: string;
  readonly profile?: string;
}

/** Where credentials come from: the given keys, else the AWS default chain (@aws-sdk/credential-provider-node). */
export function credentialProvider(o: MskIamOptions): CredentialProvider {
  if (o.accessKeyId && o.secretAccessKey) {
    const c: AwsCredentials = { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, ...(o.sessionToken ? { sessionToken: o.sessionToken } : {}) };
    return () => Promise.resolve(c);
  }
  let chain: CredentialProvider | undefined;
  return async () => {
    if (!chain) {
      const mod = (await import('@aws-sdk/credential-provider-node')) as { defaultProvider: (o: { profile?: string }) => CredentialProvider };
      chain = mod.defaultProvider(o.profile ? { profile: o.profile } : {});
    }
    return chain();
  };
}

/**
 * A token function for the Kafka client: called for every new connection and re-authentication, it signs a fresh
 * token (cheap: a few HMACs), so a token never outlives its 15 minutes on a connection that reconnects.
 */
export function mskIamTokenProvider(o: MskIamOptions, credentials: CredentialProvider = credentialProvider(o)): () => Promise<string> {
  return async () => mskIamToken(o.region, await credentials()).token;
}
