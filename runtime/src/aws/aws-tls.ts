/**
 * TLS of the AWS clients Ferry creates (S3, DynamoDB, Kinesis, SNS, CloudWatch, CloudWatch Logs): the SDK's defaults
 * (HTTPS, certificates verified against Node's CA store) plus one custom CA bundle, from the standard AWS_CA_BUNDLE
 * environment variable (as the AWS CLI and the Python and Java SDKs read it; the JavaScript SDK v3 ignores it, so
 * Ferry applies it itself). The bundle is added to Node's root CAs (not a replacement), so AWS's own endpoints stay
 * verified while a private endpoint (a VPC endpoint behind a TLS-inspecting proxy, MinIO, LocalStack) becomes
 * trusted. Checking is never turned off.
 */
import { readFileSync } from 'node:fs';
import { Agent, type AgentOptions } from 'node:https';
import { rootCertificates } from 'node:tls';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import { tlsFailureOf } from '../../../core/src/tls-failure.ts';

export const AWS_CA_BUNDLE = 'AWS_CA_BUNDLE';

const cache = new Map<string, readonly string[]>();

/** Node's root CAs plus the PEM bundle named by AWS_CA_BUNDLE, or undefined when it is not set. */
export function awsCaBundle(env: NodeJS.ProcessEnv = process.env): readonly string[] | undefined {
  const file = env[AWS_CA_BUNDLE];
  if (file === undefined || file === '') return undefined;
  let ca = cache.get(file);
  if (!ca) {
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (e: unknown) {
      throw new FerryError('FERRY_CONFIG_INVALID', `${AWS_CA_BUNDLE}=${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}); set it to a readable PEM file of CA certificates, or unset it`);
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new FerryError('FERRY_CONFIG_INVALID', `${AWS_CA_BUNDLE}=${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    ca = [...rootCertificates, pem];
    cache.set(file, ca);
  }
  return ca;
}

/** An https.Agent for an AWS client: `options` plus the AWS_CA_BUNDLE CAs; undefined when there is no bundle. */
export function awsHttpsAgent(options: AgentOptions = {}, env: NodeJS.ProcessEnv = process.env): Agent | undefined {
  const ca = awsCaBundle(env);
  return ca ? new Agent({ keepAlive: true, ...options, ca: [...ca] }) : undefined;
}

/**
 * Client config for an AWS client that sets no request handler of its own: `{ requestHandler: { httpsAgent } }` with
 * the bundle, else nothing (the SDK's default handler).
 */
export function awsClientTls(env: NodeJS.ProcessEnv = process.env): { requestHandler?: { httpsAgent: Agent } } {
  const httpsAgent = awsHttpsAgent({}, env);
  return httpsAgent ? { requestHandler: { httpsAgent } } : {};
}

/** A TLS failure of an AWS call as a fatal one-line error (endpoint, reason, AWS_CA_BUNDLE); anything else unchanged. */
export function awsTlsError(e: unknown, endpoint: string): unknown {
  const f = tlsFailureOf(e);
  if (!f) return e;
  const fix = f.kind === 'unknown-ca' ? `set ${AWS_CA_BUNDLE} to a PEM file with the CA that signed the endpoint's certificate`
    : f.kind === 'host-mismatch' ? 'use a host name the certificate names in the endpoint option'
      : f.kind === 'not-tls' ? 'use http:// in the endpoint option for a plaintext endpoint'
        : f.kind === 'expired' || f.kind === 'not-yet-valid' ? 'renew the endpoint’s certificate (or check this machine’s clock)'
          : 'check the endpoint’s TLS setup';
  return new FerryError('FERRY_SINK_ERROR', `TLS to ${endpoint} failed: ${f.reason}; ${fix}`, { cause: e, disposition: 'fatal', details: { endpoint, reason: f.kind } });
}
