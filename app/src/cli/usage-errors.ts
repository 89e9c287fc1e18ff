/**
 * How the `ferry` command reports a usage error (commander runs with exitOverride, so every one arrives here as a
 * CommanderError): a one-line `error: …` on stderr naming the flag, argument or command and what it expects, with
 * --json also `{"ok": false, "error": {"code": "FERRY_USAGE", …}}` on stdout, and exit code 2.
 *
 * Commander prints its own errors (unknown option, missing argument, unknown command) before throwing; it does not
 * print an error thrown by an argParser unless its code is commander.invalidArgument, which is why Ferry's own
 * (arg-parsers.ts) are printed here. A command group run without its command (`ferry offsets`) shows its help on
 * stderr; this adds the line that says so.
 */
import type { Command, CommanderError } from 'commander';
import { FerryError } from '../../../core/src/errors.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { err, outJson } from './output.ts';
import { USAGE_ERROR } from './arg-parsers.ts';

export interface UsageContext {
  readonly program: Command;
  /** The arguments after `node ferry.js`. */
  readonly argv: readonly string[];
  /** The message commander printed last, if any. */
  readonly printed?: string | undefined;
}

/** The command the arguments name: `ferry offsets foo` → the `offsets` command. */
function namedCommand(program: Command, argv: readonly string[]): Command {
  let cmd = program;
  for (const a of argv) {
    if (a.startsWith('-')) continue;
    const sub = cmd.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (!sub) break;
    cmd = sub;
  }
  return cmd;
}

function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Reports the error as a usage error when it is one; returns the exit code (0 for --help and --version). */
export function usageExitCode(e: CommanderError, ctx: UsageContext): ExitCode {
  if (e.exitCode === 0) return EXIT.OK;
  let message: string;
  if (e.code === USAGE_ERROR) {
    message = e.message;
    err(`error: ${message}`);
    err('(run with --help for usage)');
  } else if (e.code === 'commander.help') {
    // a command group without its command: commander has shown the group's help on stderr
    const cmd = namedCommand(ctx.program, ctx.argv);
    const subs = cmd.commands.map((c) => c.name()).filter((n) => n !== 'help');
    message = `\`${fullName(cmd)}\` needs a command: ${subs.join(', ')}`;
    err(`error: ${message}`);
  } else {
    const printed = (ctx.printed ?? e.message).split('\n').find((l) => l.trim() !== '') ?? e.message;
    message = printed.replace(/^error: /, '').trim();
  }
  if (ctx.argv.includes('--json')) outJson({ ok: false, error: new FerryError('FERRY_USAGE', message).toJSON() });
  return EXIT.INVALID;
}
