/** Registers `ferry tokens …` and `ferry audit …` (API access control and the audit log, docs/api.md) on the program. */
import { Option, type Command } from 'commander';
import { integerFlag, type IntegerFlag } from '../arg-parsers.ts';
import type { AuditOptions } from './audit.ts';
import type { TokensAction, TokensOptions } from './tokens.ts';

const AUDIT_LIMIT: IntegerFlag = { flag: '--limit', min: 1, max: 99999, unit: 'entries' };

const client = (c: Command) => c
  .option('--url <url>', 'the server (default $FERRY_API_URL or http://127.0.0.1:8470)')
  .option('--token <token>', 'an admin API token (default $FERRY_API_TOKEN)')
  .option('--ca <file>', 'for an https:// server: the CA certificate (PEM) that signed its certificate (default $FERRY_API_CA, else the system CAs)')
  .option('--json', 'print the result as JSON on stdout');

export function registerAccessCommands(program: Command): void {
  const tokens = program.command('tokens').description('Manage the API tokens of a `ferry serve` through its REST API (admin role): issue a token with a name and a role (viewer, operator, admin), list them, revoke one. Tokens are stored only as SHA-256 hashes.');
  const run = (action: TokensAction) => async (...a: unknown[]) => {
    const cmd = a[a.length - 1] as Command;
    const args = (a.slice(0, -2) as string[]);
    const { tokensCommand } = await import('./tokens.ts');
    process.exitCode = await tokensCommand(action, args, cmd.opts<TokensOptions>());
  };
  client(tokens.command('create').description('Issue a token and print it once (stdout; with --json as {"token", …}): the server keeps only its hash.')
    .requiredOption('--name <name>', 'the token\'s name: the identity the audit log records (1-64 of A-Z a-z 0-9 _ . -)')
    .addOption(new Option('--role <role>', 'viewer: read only; operator: also start, stop, reload tables; admin: everything, tokens and the audit log too').choices(['viewer', 'operator', 'admin']).makeOptionMandatory())).action(run('create'));
  client(tokens.command('list').description('List the tokens: name, role, created, last used, revoked (never the token).')).action(run('list'));
  client(tokens.command('revoke').description('Revoke a token: every request with it is refused (401) from now on.').argument('<name>')).action(run('revoke'));

  const audit = program.command('audit').description('The audit log of a `ferry serve`: every control-plane action with who, from where, what and the result. Lists through the API (admin role), or from the file with --state-dir.');
  const query = (c: Command) => client(c)
    .option('--since <time>', 'entries at or after this time (ISO 8601)')
    .option('--action <names>', 'only these actions, comma-separated (e.g. tasks.create,tokens.revoke; docs/api.md "Roles")')
    .addOption(new Option('--limit <n>', 'at most this many, the newest (default 100 for the list, all for export)').argParser(integerFlag(AUDIT_LIMIT)))
    .option('--state-dir <dir>', 'read <dir>/audit.jsonl directly instead of asking the server');
  query(audit).option('--jsonl', 'print the entries as JSON lines (as stored, hashes included)')
    .action(async (opts: AuditOptions) => {
      const { auditCommand } = await import('./audit.ts');
      process.exitCode = await auditCommand('list', opts);
    });
  query(audit.command('export').description('Print every matching entry as JSON lines, as stored (hashes included): the file verifies as it is.'))
    .action(async (_o: unknown, cmd: Command) => {
      const { auditCommand } = await import('./audit.ts');
      process.exitCode = await auditCommand('export', cmd.optsWithGlobals<AuditOptions>());
    });
  audit.command('verify').description('Check the hash chain of <state-dir>/audit.jsonl: exit 0 when intact (prints the head SEQ:HASH), 1 at the first entry that was edited, removed, inserted or reordered (named by its sequence number).')
    .option('--state-dir <dir>', 'the --state-dir of the `ferry serve` (default .ferry)')
    .option('--head <seq:hash>', 'also check a head recorded earlier (from a previous verify or the server\'s start-up log): fails if the log was rewritten or cut after it')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (_o: unknown, cmd: Command) => {
      const { auditCommand } = await import('./audit.ts');
      process.exitCode = await auditCommand('verify', cmd.optsWithGlobals<AuditOptions>());
    });
}
