/**
 * Structured JSON logs (pino) on stderr. Secrets are masked twice: the message and every string of the logged
 * object (an error included) go through the redactor before they are serialised, so JSON escaping cannot turn a
 * secret into a form the redactor misses, and every line passes through it again before it is written.
 */
import { pino, type DestinationStream, type LevelWithSilent } from 'pino';
import type { Logger } from '../../../core/src/types.ts';
import { redact, redactValue } from '../config/secrets.ts';

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  /** Where lines go; default stderr. Tests pass a stream to inspect output. */
  readonly destination?: DestinationStream;
  readonly name?: string;
}

/** pino's error serializer, then every string of the result redacted. */
function redactedError(e: unknown): unknown {
  if (!(e instanceof Error)) return redactValue(e);
  return redactValue(JSON.parse(JSON.stringify(pino.stdSerializers.err(e))) as unknown);
}

export function createLogger(options: LoggerOptions = {}): Logger & { level: string } {
  const destination = options.destination ?? pino.destination({ fd: 2, sync: false });
  return pino(
    {
      level: options.level ?? (process.env.FERRY_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info',
      base: options.name ? { name: options.name } : { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactValue(bindings) as Record<string, unknown>,
        log: (object) => redactValue(object) as Record<string, unknown>,
      },
      serializers: { err: redactedError },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? redact(a) : a)) as Parameters<typeof method>);
        },
        streamWrite: (line: string) => redact(line),
      },
    },
    destination,
  );
}
