/**
 * The local Iceberg REST catalog server (infra/iceberg-rest.sh) for tests: `up` is idempotent (about 2 s the first
 * time, a health check after), so each test file calls it; the server stays up for the next files, as the other
 * local services do. Its auth values are the script's defaults unless FERRY_ICEBERG_REST_* say otherwise.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const root = new URL('../../../../', import.meta.url).pathname;

export const restServer = {
  uri: `http://127.0.0.1:${process.env.FERRY_ICEBERG_REST_PORT ?? 8181}`,
  token: process.env.FERRY_ICEBERG_REST_TOKEN ?? 'ferry-test-token',
  clientId: (process.env.FERRY_ICEBERG_REST_CREDENTIAL ?? 'ferry:ferry-secret').split(':')[0]!,
  clientSecret: (process.env.FERRY_ICEBERG_REST_CREDENTIAL ?? 'ferry:ferry-secret').split(':').slice(1).join(':'),
} as const;

/** Starts the server unless it is up; resolves when GET /v1/config answers. */
export async function restServerUp(): Promise<void> {
  try {
    await promisify(execFile)('bash', [`${root}infra/iceberg-rest.sh`, 'up'], { cwd: root, timeout: 240_000 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`infra/iceberg-rest.sh up failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`, { cause: e });
  }
}
