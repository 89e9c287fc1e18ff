/**
 * How the API commands (`ferry tasks`, `ferry tokens`, `ferry audit`, `ferry top --api`) reach a `ferry serve`:
 * --url (FERRY_API_URL, default http://127.0.0.1:8470), --token (FERRY_API_TOKEN) and, for an https:// server whose
 * certificate is not signed by a CA the system trusts, --ca FILE (FERRY_API_CA): the CA certificate(s), PEM.
 */
import { readFileSync } from 'node:fs';
import { FerryError, isFerryError } from '../../../../core/src/errors.ts';
import { ApiClient, type ApiResponseError } from '../../tasks-api/api-client.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { err, outJson, reportError } from '../output.ts';

export const DEFAULT_API_URL = 'http://127.0.0.1:8470';

export interface ApiConnectionOptions {
  readonly url?: string;
  readonly token?: string;
  readonly ca?: string;
}

/** The PEM of --ca FILE, or undefined without one; a file that is not PEM certificates is a usage error. */
export function readCa(file: string | undefined): string | undefined {
  if (file === undefined || file === '') return undefined;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e: unknown) {
    throw new FerryError('FERRY_USAGE', `--ca ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}): pass the CA certificate file (PEM)`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new FerryError('FERRY_USAGE', `--ca ${file} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`);
  return pem;
}

/** The client of the options; throws FERRY_USAGE without a token. */
export function apiClientOf(o: ApiConnectionOptions, extra: { timeoutMs?: number } = {}): ApiClient {
  const token = o.token ?? process.env.FERRY_API_TOKEN;
  if (!token) throw new FerryError('FERRY_USAGE', 'no API token: pass --token or set FERRY_API_TOKEN');
  const ca = readCa(o.ca ?? process.env.FERRY_API_CA);
  return new ApiClient({ url: o.url ?? process.env.FERRY_API_URL ?? DEFAULT_API_URL, token, ...(ca !== undefined ? { ca } : {}), ...extra });
}

/** Reports an API refusal (human or JSON) and returns its exit code: 2 for 400/401/403/413, 1 otherwise. */
export function reportApiError(e: ApiResponseError, json: boolean): ExitCode {
  if (json) outJson({ ok: false, status: e.status, error: { code: e.code, message: e.message, ...(e.problems.length ? { problems: e.problems } : {}) } });
  else {
    err(`error (HTTP ${e.status} ${e.code}): ${e.message.split('\n')[0]}`);
    for (const p of e.problems) err(`  - ${p.path}: ${p.message}`);
  }
  return e.status === 400 || e.status === 401 || e.status === 403 || e.status === 413 ? EXIT.INVALID : EXIT.FAILED;
}

/** reportError, with bad usage (FERRY_USAGE: no token, an unreadable --ca, a bad --since) as exit 2. */
export function reportCliError(e: unknown, json: boolean): ExitCode {
  const code = reportError(e, json);
  return isFerryError(e) && e.code === 'FERRY_USAGE' ? EXIT.INVALID : code;
}
