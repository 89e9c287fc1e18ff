/**
 * `ferry discover [task-file | connection-url] [--engine E --host H --port P --user U] [--password-env VAR |
 * --password-file PATH] [--database D …] [--exact-counts] [--sample-seconds N] [--json] [--html FILE]`
 * (docs/discovery.md, docs/cli.md). Exit codes: 0 the inventory was taken; 2 bad usage or an invalid task file;
 * 3 the server could not be reached, refused the login or the privileges; 1 anything else.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isFerryError } from '../../../core/src/errors.ts';
import { redact } from '../../../runtime/src/config/secrets.ts';
import { EXIT, type ExitCode } from '../cli/exit-codes.ts';
import { err, out, outJson, redactedJson, reportError } from '../cli/output.ts';
import { ConfigError } from '../task-file/load-task.ts';
import { resolveConnection, type ConnectionFlags } from './connection.ts';
import { discover } from './discover.ts';
import { discoveryHtml, discoveryText } from './report.ts';

export interface DiscoverCommandOptions extends ConnectionFlags {
  readonly database?: readonly string[];
  readonly exactCounts?: boolean;
  readonly sampleSeconds?: number;
  readonly json?: boolean;
  readonly html?: string;
}

/** The sample length when --sample-seconds is not given. */
export const DEFAULT_SAMPLE_SECONDS = 10;

/** Errors that mean the server could not be reached or read as given: exit 3, like validate, plan and convert-schema. */
const CHECK_CODES = new Set(['FERRY_SOURCE_UNREACHABLE', 'FERRY_SOURCE_AUTH', 'FERRY_SOURCE_PRIVILEGES', 'FERRY_SOURCE_DATABASE_MISSING']);

export async function discoverCommand(target: string | undefined, options: DiscoverCommandOptions): Promise<ExitCode> {
  const json = options.json === true;
  let connection;
  try {
    connection = resolveConnection(target, options);
  } catch (e: unknown) {
    if (e instanceof ConfigError) return reportError(e, json);
    throw e; // a UsageError: main.ts prints it and exits 2
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const sampleSeconds = options.sampleSeconds ?? DEFAULT_SAMPLE_SECONDS;
  if (!json && sampleSeconds > 0) err(`discover: sampling the write rate for ${sampleSeconds} s while reading the catalog (--sample-seconds 0 to skip)`);
  try {
    const report = await discover({ connection, databases: options.database ?? [], exactCounts: options.exactCounts === true, sampleSeconds, signal: stop.signal });
    if (options.html) {
      const file = resolve(options.html);
      // Secrets never reach the file: the page is built from redacted values.
      writeFileSync(file, redact(discoveryHtml(JSON.parse(redactedJson(report)) as typeof report)));
      if (!json) err(`discover: wrote ${file}`);
    }
    if (json) outJson(report);
    else out(discoveryText(report));
    return EXIT.OK;
  } catch (e: unknown) {
    const code = reportError(e, json);
    return isFerryError(e) && CHECK_CODES.has(e.code) ? EXIT.CHECK_FAILED : code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
