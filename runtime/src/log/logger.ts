/**
 * Structured JSON logs (pino) on stderr. Every line passes through the secret redactor before it is written,
 * so a secret value that reaches a log call by accident still never reaches the output.
 */
import { pino, type DestinationStream, type LevelWithSilent } from 'pino';
import type { Logger } from '../../../core/src/types.ts';
import { redact } from '../config/secrets.ts';

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  /** Where lines go; default stderr. Tests pass a stream to inspect output. */
  readonly destination?: DestinationStream;
  readonly name?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger & { level: string } {
  const destination = options.destination ?? pino.destination({ fd: 2, sync: false });
  return pino(
    {
      level: options.level ?? (process.env.FERRY_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info',
      base: options.name ? { name: options.name } : { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
      hooks: { streamWrite: (line: string) => redact(line) },
    },
    destination,
  );
}
