/**
 * The `ferry` command line. Each command has --help, documented exit codes (exit-codes.ts) and, where a script
 * would want it, --json output on stdout. Logs go to stderr.
 */
import { Command, CommanderError, Option } from 'commander';
import { reportError } from './output.ts';
import { registerTaskCommands } from './commands/tasks-register.ts';
import { registerAccessCommands } from './commands/access-register.ts';
import { CUTOVER_LATENCY, CUTOVER_STOP_TIMEOUT, CUTOVER_TIMEOUT, DEMO_ROWS, TOP_INTERVAL, integerFlag, TIMEOUT_MS, VALIDATE_CHUNK, VALIDATE_CONCURRENCY, VALIDATE_RATE } from './arg-parsers.ts';
import { usageExitCode } from './usage-errors.ts';
import { parseAgeFlag } from './age-flag.ts';
import { LOB_SAMPLE_ROWS, ROWS_PER_SECOND } from '../assess/flags.ts';
import { DISCOVER_PORT, DISCOVER_TIMEOUT_MS, SAMPLE_SECONDS } from '../discover/flags.ts';

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
  3  the task file is valid but a connectivity or prerequisite check failed;
     import-dms: some DMS settings were not carried over; top: nothing answers
  4  validate-data: the target's data differs from the source
  5  assess: an error-level finding; run: refused by the premigration assessment
  6  cutover: the task did not catch up and drain (or stop) within the timeout

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
  .command('discover')
  .description('Inventory a MySQL, MariaDB or PostgreSQL server (like DMS Fleet Advisor): databases, schemas and tables with row counts and sizes, the features in use, the write rate over a short sample, and the migration effort per database with a recommended target engine (docs/discovery.md). Read-only.')
  .argument('[connection]', 'a task file (its source block), or a URL without password: mysql://user@host:3306, mariadb://…, postgres://user@host:5432/db')
  .addOption(new Option('--engine <engine>', 'the server\'s engine, as a task\'s source.engine').choices(['mysql', 'mariadb', 'postgres']))
  .option('--host <host>', 'the server\'s host (source.host)')
  .addOption(new Option('--port <n>', 'the server\'s port (default 3306 or 5432)').argParser(integerFlag(DISCOVER_PORT)))
  .option('--user <user>', 'the user to connect as (source.user)')
  .option('--password-env <VAR>', 'read the password from this environment variable')
  .option('--password-file <path>', 'read the password from this file')
  .option('--database <name>', 'only this database (MySQL: schema; PostgreSQL: database; repeatable; default: all)', (v: string, prev: string[] = []) => [...prev, v])
  .option('--exact-counts', 'count rows with COUNT(*) instead of the catalog estimates (reads every table)')
  .addOption(new Option('--sample-seconds <n>', 'length of the write-rate sample (binlog / WAL growth)').argParser(integerFlag(SAMPLE_SECONDS)).default(10))
  .addOption(new Option('--timeout-ms <ms>', 'connection timeout').argParser(integerFlag(DISCOVER_TIMEOUT_MS)))
  .option('--json', 'print the report as JSON on stdout (shape: docs/discovery.md)')
  .option('--html <file>', 'also write the report as a self-contained HTML file')
  .action(async (target: string | undefined, opts: { engine?: string; host?: string; port?: number; user?: string; passwordEnv?: string; passwordFile?: string; database?: string[]; exactCounts?: boolean; sampleSeconds?: number; timeoutMs?: number; json?: boolean; html?: string }) => {
    const { discoverCommand } = await import('../discover/command.ts');
    process.exitCode = await discoverCommand(target, opts);
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
  .command('assess')
  .description('Premigration assessment: checks the source and the targets before a task runs (privileges, binlog/WAL settings, log retention against the estimated full-load time, replication slots, long-running transactions, tables without a key, LOB sizes against the LOB settings, lossy and unsupported types, character sets, existing target tables and free space, rules that select nothing). Each finding has a code, a severity, its objects and the fix (docs/assessment.md). Read-only on the source.')
  .argument('<task-file>', 'the task file (YAML or JSON)')
  .option('--json', 'print the report as JSON on stdout (schema: docs/assessment.md)')
  .option('--html <file>', 'also write the report as a self-contained HTML file')
  .option('--table <schema.table>', 'only this selected table (repeatable; default: every selected table)', (v: string, prev: string[] = []) => [...prev, v])
  .addOption(new Option('--rows-per-second <n>', 'the full-load rate the time estimate assumes').argParser(integerFlag(ROWS_PER_SECOND)).default(50000))
  .addOption(new Option('--lob-sample-rows <n>', 'rows read per table to measure the largest LOB values').argParser(integerFlag(LOB_SAMPLE_ROWS)).default(100000))
  .addOption(new Option('--timeout-ms <ms>', 'per-check network timeout').argParser(integerFlag(TIMEOUT_MS)))
  .action(async (file: string, opts: { json?: boolean; html?: string; table?: string[]; rowsPerSecond?: number; lobSampleRows?: number; timeoutMs?: number }) => {
    const { assessCommand } = await import('../assess/command.ts');
    process.exitCode = await assessCommand(file, opts);
  });

program
  .command('run')
  .description('Run a task in the foreground until it finishes (full-load) or is stopped with SIGINT/SIGTERM (graceful: in-flight events are flushed and their position committed). Refuses to start while the premigration assessment has an error-level finding (docs/assessment.md).')
  .argument('<task-file>', 'the task file (YAML or JSON)')
  .option('--json', 'print the final summary as JSON on stdout')
  .option('--skip-assessment', 'start even when the premigration assessment finds errors (they are still checked at run time where Ferry can)')
  .action(async (file: string, opts: { json?: boolean; skipAssessment?: boolean }) => {
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
  .description('Re-snapshot tables of a running MySQL, MariaDB or PostgreSQL task incrementally while it keeps streaming (op \'r\' events with source.snapshot "incremental"), or show their progress.')
  .argument('<task-file>', 'the task file (YAML or JSON) of the running task')
  .option('--table <db.table>', 'a table to re-snapshot (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
  .option('--status', 'list the incremental snapshots of the running task and their progress')
  .option('--json', 'print the result as JSON on stdout')
  .action(async (file: string, opts: { table?: string[]; status?: boolean; json?: boolean }) => {
    const { snapshotCommand } = await import('./commands/snapshot.ts');
    process.exitCode = await snapshotCommand(file, opts);
  });

program
  .command('cutover')
  .description('Cut over a running MySQL, MariaDB or PostgreSQL task (`ferry run`): wait until its CDCLatencySource is at most --max-latency seconds and it is drained (its committed position has reached the source\'s end of log, read when the drain starts), stop it gracefully through its control API (POST /stop), and print the final committed position. Stop the writers first.')
  .argument('<task-file>', 'the task file (YAML or JSON) of the running task')
  .addOption(new Option('--max-latency <seconds>', 'the CDCLatencySource threshold').argParser(integerFlag(CUTOVER_LATENCY)).default(5))
  .addOption(new Option('--timeout <seconds>', 'how long the latency wait and the drain may take together; on a timeout the task is left running (exit 6)').argParser(integerFlag(CUTOVER_TIMEOUT)).default(600))
  .addOption(new Option('--stop-timeout <seconds>', 'how long the task may take to stop after the stop request (exit 6 after it)').argParser(integerFlag(CUTOVER_STOP_TIMEOUT)).default(120))
  .option('--json', 'print the result as JSON on stdout')
  .action(async (file: string, opts: { json?: boolean; maxLatency: number; timeout: number; stopTimeout: number }) => {
    const { cutoverCommand } = await import('./commands/cutover.ts');
    process.exitCode = await cutoverCommand(file, opts);
  });

program
  .command('top')
  .description('Live view of a running task, refreshed in place like htop: its state, migration type, uptime, events/s, CDCLatencySource/Target, dead letters and retries, and per table the state, rows copied of the estimate with percentage and ETA, events, events/s and errors. Reads the task\'s metrics server (settings.metrics) or, with --api, a `ferry serve`. q or Ctrl-C quits and restores the terminal. When stdout is not a terminal, or with --once/--json, prints one snapshot and exits.')
  .argument('[task-file]', 'the task file (YAML or JSON) of a task running with `ferry run`')
  .option('--api <url>', 'read a `ferry serve` task REST API at this URL instead of a task\'s metrics')
  .option('--token <token>', 'with --api: the API token (default $FERRY_API_TOKEN)')
  .option('--ca <file>', 'with --api at an https:// URL: the CA certificate (PEM) that signed the server\'s certificate (default $FERRY_API_CA)')
  .option('--task <name>', 'with --api: the task to show (default: the server\'s only task, or its only running one)')
  .addOption(new Option('--interval <seconds>', 'seconds between refreshes').argParser(integerFlag(TOP_INTERVAL)).default(2))
  .option('--once', 'print one snapshot and exit')
  .option('--json', 'print one snapshot as JSON on stdout and exit')
  .action(async (file: string | undefined, opts: { api?: string; token?: string; ca?: string; task?: string; interval: number; once?: boolean; json?: boolean }) => {
    const { topCommand } = await import('./commands/top.ts');
    process.exitCode = await topCommand(file, opts);
  });

program
  .command('sink')
  .description('Run sink workers for the task’s targets of every type (parquet, csv, redshift, kinesis, dynamodb, kafka, postgres, mysql, iceberg): read its Kafka topics in a consumer group per target and write them (more processes share the partitions).')
  .argument('<task-file>', 'the task file (YAML or JSON)')
  .option('--target <name>', 'only this target (repeatable)', (v: string, a: string[]) => [...a, v], [] as string[])
  .option('--json', 'print the summary as JSON on stdout')
  .action(async (file: string, opts: { json?: boolean; target?: string[] }) => {
    const { sinkCommand } = await import('./commands/sink.ts');
    process.exitCode = await sinkCommand(file, opts);
  });

program
  .command('worker')
  .description('Join a Ferry cluster (docs/cluster.md): run the tasks its leader assigns, take over those of a worker that fails, serve the task API, /status, /readyz and /metrics. Kafka is the only coordinator (topics ferry-<cluster>-config, -status, -offsets, -state; group ferry-<cluster>).')
  .option('--cluster <name>', 'the cluster to join (or FERRY_CLUSTER)')
  .option('--bootstrap <list>', 'the cluster\'s Kafka brokers, host:port comma-separated (or FERRY_KAFKA_BOOTSTRAP)')
  .option('--http <host:port>', 'where to serve the task API, /healthz, /readyz, /status and /metrics (port 0: any free port)', '127.0.0.1:8083')
  .option('--worker-id <id>', 'this worker\'s name in the cluster (or FERRY_WORKER_ID; default <hostname>-<pid>)')
  .option('--state-dir <dir>', 'local scratch space for the tasks\' state folders, refilled from the cluster\'s topics at every task start (default .ferry-worker/<worker-id>)')
  .option('--kafka-security <file>', 'TLS and SASL of the cluster\'s Kafka: a YAML/JSON file with tls and sasl as in a task\'s kafka block (docs/kafka.md)')
  .addOption(new Option('--session-timeout-ms <ms>', 'how long a silent worker keeps its tasks before the group moves them (the broker allows 6000 and up by default)').argParser(integerFlag({ flag: '--session-timeout-ms', min: 1000, max: 300000, unit: 'milliseconds' })).default(6000))
  .addOption(new Option('--heartbeat-ms <ms>', 'how often the worker tells the group it is alive').argParser(integerFlag({ flag: '--heartbeat-ms', min: 100, max: 60000, unit: 'milliseconds' })).default(1000))
  .option('--json', 'print the worker\'s address as a JSON line on stdout once it joined')
  .action(async (opts: { cluster?: string; bootstrap?: string; http: string; workerId?: string; stateDir?: string; kafkaSecurity?: string; sessionTimeoutMs: number; heartbeatMs: number; json?: boolean }) => {
    const { workerCommand } = await import('./commands/worker.ts');
    process.exitCode = await workerCommand(opts);
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

program
  .command('import-dms')
  .description('Import an AWS DMS task: reads the JSON of aws dms describe-replication-tasks and describe-endpoints (or a task\'s table mappings and settings as files), writes a Ferry task file (YAML), and reports for every DMS setting, endpoint setting and extra connection attribute the Ferry setting it became or why it was not carried over (docs/from-dms.md). Passwords become ${env:…} references. Exit 3 when something was not carried over.')
  .option('--task <file>', 'output of aws dms describe-replication-tasks (or create-replication-task)')
  .option('--endpoints <file>', 'output of aws dms describe-endpoints (the task\'s source and target endpoints)')
  .option('--table-mappings <file>', 'a table-mapping document (replaces the task\'s TableMappings; without --task, the task\'s mappings)')
  .option('--task-settings <file>', 'a task-settings document (replaces the task\'s ReplicationTaskSettings)')
  .option('--task-id <id>', 'the task to import when --task lists several (identifier or ARN)')
  .addOption(new Option('--migration-type <type>', 'without --task: the migration type').choices(['full-load', 'cdc', 'full-load-and-cdc']))
  .option('--name <name>', 'without --task: the task name')
  .option('--out <file>', 'where to write the task file (default: <task name>.yaml)')
  .option('--json', 'print the report as JSON on stdout')
  .action(async (opts: { task?: string; endpoints?: string; tableMappings?: string; taskSettings?: string; taskId?: string; migrationType?: string; name?: string; out?: string; json?: boolean }) => {
    const { importDmsCommand } = await import('../import-dms/command.ts');
    process.exitCode = await importDmsCommand(opts);
  });

const lake = program.command('lake').description('Data-lake tables: maintenance of the task\'s Iceberg targets.');
lake
  .command('maintain')
  .description('Maintain the Iceberg tables of the task\'s iceberg targets through their catalog: compact small data files and delete files, expire old snapshots (then delete the files only they referenced) and remove orphan files (unreferenced and older than a safety age). Safe while the task keeps committing (docs/sinks/iceberg.md#maintenance).')
  .argument('<task-file>', 'the task file (YAML or JSON)')
  .option('--target <name>', 'only this iceberg target (repeatable)', (v: string, a: string[]) => [...a, v], [] as string[])
  .option('--compact', 'rewrite each partition\'s small data files, with the delete files that apply to them, into one data file (a replace snapshot)')
  .option('--table <namespace.table>', 'only this table (repeatable); default: every table of the target\'s namespace, or of the schemas the table mapping selects by name', (v: string, a: string[]) => [...a, v], [] as string[])
  .addOption(new Option('--expire-older-than <age>', 'expire snapshots older than this age (7d, 12h, 30m, 90s, 0s)').argParser((v: string) => parseAgeFlag('--expire-older-than', v)))
  .addOption(new Option('--retain-last <n>', 'with --expire-older-than: always keep the n newest snapshots of main').argParser(integerFlag({ flag: '--retain-last', min: 1, max: 1_000_000 })))
  .option('--remove-orphans', 'delete files under each table\'s location that no snapshot or metadata file references')
  .addOption(new Option('--orphan-older-than <age>', 'with --remove-orphans: only files last modified longer ago than this (default 3d)').argParser((v: string) => parseAgeFlag('--orphan-older-than', v)))
  .option('--dry-run', 'say what would be expired and deleted; change nothing')
  .option('--json', 'print the report as JSON on stdout')
  .action(async (file: string, opts: { compact?: boolean; target?: string[]; table?: string[]; expireOlderThan?: number; retainLast?: number; removeOrphans?: boolean; orphanOlderThan?: number; dryRun?: boolean; json?: boolean }) => {
    const { lakeMaintainCommand } = await import('./commands/lake.ts');
    process.exitCode = await lakeMaintainCommand(file, opts);
  });

registerTaskCommands(program);
registerAccessCommands(program);

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
