/**
 * Writing CLI output: human text or --json, always through the secret redactor. JSON output is redacted before it is
 * serialised (every string value) and again after, so no escaped form of a secret reaches stdout.
 */
import { redact, redactValue } from '../../../runtime/src/config/secrets.ts';
import { isFerryError, errorMessage } from '../../../core/src/errors.ts';
import { ConfigError } from '../task-file/load-task.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';

export function out(text: string): void {
  process.stdout.write(`${redact(text)}\n`);
}

export function err(text: string): void {
  process.stderr.write(`${redact(text)}\n`);
}

/** `value` as JSON with every secret masked, for stdout and API answers. */
export function redactedJson(value: unknown, indent?: number): string {
  const plain = JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null') as unknown;
  return redact(JSON.stringify(redactValue(plain), null, indent));
}

export function outJson(value: unknown): void {
  process.stdout.write(`${redactedJson(value, 2)}\n`);
}

/** Reports an error (human or JSON) and returns the exit code it maps to. */
export function reportError(e: unknown, json: boolean): ExitCode {
  const code: ExitCode = e instanceof ConfigError || (isFerryError(e) && e.code.startsWith('FERRY_CONFIG')) ? EXIT.INVALID : EXIT.FAILED;
  if (json) {
    outJson({ ok: false, error: isFerryError(e) ? e.toJSON() : { code: 'FERRY_INTERNAL', message: errorMessage(e) } });
  } else if (isFerryError(e)) {
    err(`error ${e.code}: ${e.message}`);
  } else {
    err(`error: ${errorMessage(e)}`);
    if (process.env.FERRY_DEBUG && e instanceof Error && e.stack) err(e.stack);
  }
  return code;
}
