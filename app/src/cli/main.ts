/**
 * The `ferry` command line. Each command has --help, documented exit codes (exit-codes.ts) and, where a script
 * would want it, --json output on stdout. Logs go to stderr.
 */
import { Command, CommanderError, Option } from 'commander';
import { reportError } from './output.ts';
import { registerTaskCommands } from './commands/tasks-register.ts';
import { DEMO_ROWS, integerFlag, TIMEOUT_MS, VALIDATE_CHUNK, VALIDATE_CONCURRENCY, VALIDATE_RATE } from './arg-parsers.ts';
import { usageExitCode } from './usage-errors.ts';

const program = new Command();
/** The last error message commander printed (usage-errors.ts repeats it as JSON with --json). */
const printed: { message?: string } = {};
program
  .name('ferry')
  .description('Ferry: change data capture and database migration from MySQL, MariaDB and PostgreSQL to Kafka and beyond.')
  .version(process.env.npm_package_version ?? '0.1.0', '-V, --version')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (text, write) => { printed.message = text; write(text); } })
  .exitOverride();

program.addHelpText('after', `
Exit codes:
  0  success (for run: also a graceful stop on SIGINT/SIGTERM)
  1  the task failed while running
  2  bad usage or an invalid task file
  3  the task file is valid but a connectivity or prerequisite check failed
  4  validate-data: the target's data differs from the source

Docs: README.md, docs/configuration.md, docs/cli.md`);

program
  .command('validate')
  .description('Check a task file, then that the source, Kafka and the schema registry are reachable and the source is set up for change capture.')
  .argument('<task-file>', 'the task file (YAML or JSON)')
  .option('--json', 'print the result as JSON on stdout')
  .option('--offline', 'only check the file; connect to nothing')
  .addOption(new Option('--timeout-ms <ms>', 'per-check network timeout').argParser(integerFlag(TIMEOUT_MS)))
  .action(async (file: string, opts: { json?: boolean; offline?: boolean; timeoutMs?: number }) => {
    const { validateCommand } = await import('./commands/validate.ts');
    process.exitCode = await validateCommand(file, opts);
  });

program
  .command('plan')
  .description('Dry run against the live source catalog: the selected tables and columns with their target names and types after the table mapping and LOB handling, the Avro schemas that would be registered and whether each is new or compatible with the registry, for postgres/mysql targets the target DDL and assessment of each table, and the prerequisite findings. Writes nothing.')
  .argument('<task-file>', 'the task file (YAML or JSON)')
  .option('--json', 'print the plan as JSON on stdout (with the full Avro schemas)')
  .addOption(new Option('--timeout-ms <ms>', 'per-check network timeout').argParser(integerFlag(TIMEOUT_MS)))
  .action(async (file: string, opts: { json?: boolean; timeoutMs?: number }) => {
    const { planCommand } = await import('./commands/plan.ts');
    process.exitCode = await planCommand(file, opts);
  });

program
  .command('convert-schema')
  .description('Convert the selected tables\' schema for a PostgreSQL or MySQL/MariaDB target: reads the source catalog, writes schema.sql and an assessment of what converted and what needs manual work (assessment.md, .html, .json). Read-only on the source.')
  .argument('<task-file>', 'the task file (YAML or JSON)')
  .addOption(new Option('--target <engine>', 'the target engine (default: the task\'s first postgres/mysql target)').choices(['postgres', 'mysql', 'mariadb']))
  .option('--out <dir>', 'the output folder (default: ./<task name>-schema)')
  .option('--json', 'print the assessment as JSON on stdout')
  .option('--apply', 'also run the DDL on the task\'s postgres target (in one transaction) or mysql target (statement by statement, only when none of its tables exists)')
  .option('--after-load', 'with --apply: run only what the sinks do not create — foreign keys, views, triggers and routines — on tables a full load created')
  .action(async (file: string, opts: { target?: 'postgres' | 'mysql' | 'mariadb'; out?: string; json?: boolean; apply?: boolean; afterLoad?: boolean }) => {
    const { convertSchemaCommand } = await import('../convert-schema/command.ts');
    process.exitCode = await convertSchemaCommand(file, opts);
  });

program
  .command('validate-data')
  .description('Compare the data of the task\'s selected tables between the source and each postgres/mysql target: count and checksum per primary-key range computed in both databases, differing ranges compared row by row (docs/validation.md). Mismatches (RECORD_DIFF, MISSING_SOURCE, MISSING_TARGET) are reported and recorded in ferry_validation_failures in the target\'s state schema. Read-only on the source.')
  .argument('<task-file>', 'the task file (YAML or JSON)')
  .option('--table <schema.table>', 'a source table to validate (repeatable; default: every selected table)', (v: string, prev: string[] = []) => [...prev, v])
  .option('--json', 'print the result as JSON on stdout')
  .addOption(new Option('--max-concurrency <n>', 'most range queries at once (each one on the source and one on the target)').argParser(integerFlag(VALIDATE_CONCURRENCY)).default(2))
  .addOption(new Option('--rows-per-second <n>', 'most rows validated per second (default: unlimited)').argParser(integerFlag(VALIDATE_RATE)))
  .addOption(new Option('--chunk-rows <n>', 'rows per key range').argParser(integerFlag(VALIDATE_CHUNK)).default(20000))
  .option('--repair', 'make the targets equal again: re-copy the differing rows through the running task (an incremental snapshot of those keys), delete target rows the source lacks, and compare them again (docs/validation.md#repair)')
  .action(async (file: string, opts: { table?: string[]; json?: boolean; maxConcurrency?: number; rowsPerSecond?: number; chunkRows?: number; repair?: boolean }) => {
    const { validateDataCommand } = await import('../validate-data/command.ts');
    process.exitCode = await validateDataCommand(file, opts);
  });

program
  .command('run')
  .description('Run a task in the foreground until it finishes (full-load) or is stopped with SIGINT/SIGTERM (graceful: in-flight events are flushed and their position committed).')
  .argument('<task-file>', 'the task file (YAML or JSON)')
  .option('--json', 'print the final summary as JSON on stdout')
  .action(async (file: string, opts: { json?: boolean }) => {
    const { runCommand } = await import('./commands/run.ts');
    process.exitCode = await runCommand(file, opts);
  });

const offsets = program.command('offsets').description('Show or reset a task\'s committed source position.');
offsets
  .command('show')
  .description('Print the task\'s committed position.')
  .argument('<task-file>', 'the task file (YAML or JSON)')
  .option('--json', 'print the result as JSON on stdout')
  .action(async (file: string, opts: { json?: boolean }) => {
    const { offsetsCommand } = await import('./commands/offsets.ts');
    process.exitCode = await offsetsCommand('show', file, opts);
  });
offsets
  .command('reset')
  .description('Forget the task\'s committed position, so the next run starts over (after a purged binlog or a lost slot).')
  .argument('<task-file>', 'the task file (YAML or JSON)')
  .option('--yes', 'really do it')
  .option('--json', 'print the result as JSON on stdout')
  .action(async (file: string, opts: { json?: boolean; yes?: boolean }) => {
    const { offsetsCommand } = await import('./commands/offsets.ts');
    process.exitCode = await offsetsCommand('reset', file, opts);
  });

program
  .command('snapshot')
  .description('Re-snapshot tables of a running MySQL/MariaDB task incrementally while it keeps streaming (op \'r\' events with source.snapshot "incremental"), or show their progress.')
  .argument('<task-file>', 'the task file (YAML or JSON) of the running task')
  .option('--table <db.table>', 'a table to re-snapshot (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
  .option('--status', 'list the incremental snapshots of the running task and their progress')
  .option('--json', 'print the result as JSON on stdout')
  .action(async (file: string, opts: { table?: string[]; status?: boolean; json?: boolean }) => {
    const { snapshotCommand } = await import('./commands/snapshot.ts');
    process.exitCode = await snapshotCommand(file, opts);
  });

program
  .command('sink')
  .description('Run sink workers for the task’s targets (every sink type): read its Kafka topics in a consumer group per target and write them (more processes share the partitions).')
  .argument('<task-file>', 'the task file (YAML or JSON)')
  .option('--target <name>', 'only this target (repeatable)', (v: string, a: string[]) => [...a, v], [] as string[])
  .option('--json', 'print the summary as JSON on stdout')
  .action(async (file: string, opts: { json?: boolean; target?: string[] }) => {
    const { sinkCommand } = await import('./commands/sink.ts');
    process.exitCode = await sinkCommand(file, opts);
  });

program
  .command('demo')
  .description('Start the local services, generate a small shop workload in MariaDB, and run it through Ferry to Kafka end to end, reading the events back to prove it (or, with --to postgres, migrate it into PostgreSQL and compare both databases).')
  .option('--rows <n>', 'rows per table in the generated workload', integerFlag(DEMO_ROWS), 1000)
  .option('--no-services', 'do not start the local services (use ones already running)')
  .option('--json', 'print the demo summary as JSON on stdout')
  .addOption(new Option('--to <target>', 'kafka: the CDC pipeline into Kafka; postgres: migrate the workload into PostgreSQL (full-load-and-cdc, direct mode) and compare both databases').choices(['kafka', 'postgres']).default('kafka'))
  .action(async (opts: { rows: number; services: boolean; json?: boolean; to: 'kafka' | 'postgres' }) => {
    const { demoCommand } = await import('./commands/demo.ts');
    process.exitCode = await demoCommand(opts);
  });

registerTaskCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (e: unknown) {
  if (e instanceof CommanderError) {
    // --help and --version exit 0; every usage error prints one line naming what is wrong and exits 2.
    process.exitCode = usageExitCode(e, { program, argv: process.argv.slice(2), printed: printed.message });
  } else {
    process.exitCode = reportError(e, process.argv.includes('--json'));
  }
}
