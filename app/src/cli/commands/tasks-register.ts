/** Registers `ferry tasks …` and `ferry serve` (the task REST API, docs/api.md) on the command line program. */
import { Option, type Command } from 'commander';
import type { TasksAction, TasksOptions } from './tasks.ts';
import { HISTORY_SAMPLE, integerFlag, REPLICATION_FACTOR, SERVE_PORT } from '../arg-parsers.ts';

export function registerTaskCommands(program: Command): void {
  program
    .command('serve')
    .description('Host the task REST API (docs/api.md) and run the tasks it manages; resumes the tasks that were running. Definitions and status are kept in SQLite under --state-dir, or in a compacted Kafka topic with --kafka-brokers.')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addOption(new Option('--port <port>', 'port to listen on (0: any free port)').argParser(integerFlag(SERVE_PORT)).default(8470))
    .option('--token <ref>', 'the bootstrap admin token (named "bootstrap") as a reference: ${env:NAME} or ${file:path} (default ${env:FERRY_API_TOKEN}); at least 16 characters; may be left out once an admin token was issued (`ferry tokens create`)')
    .option('--state-dir <dir>', 'single-machine mode: the folder of the task store (tasks.db)', '.ferry')
    .option('--kafka-brokers <list>', 'Kafka-backed task store: keep tasks in a compacted Kafka topic at these brokers (comma-separated); one server per topic, no failover')
    .option('--kafka-security <file>', 'TLS and SASL of the --kafka-brokers cluster: a YAML/JSON file with tls and sasl as in a task\'s kafka block (docs/kafka.md)')
    .option('--tasks-topic <topic>', 'the compacted topic of task definitions and status (with --kafka-brokers)', 'ferry.tasks')
    .addOption(new Option('--replication-factor <n>', 'replication factor of the tasks topic').argParser(integerFlag(REPLICATION_FACTOR)).default(1))
    .option('--secrets-dir <dir>', 'the only folder whose files ${file:path} references in API tasks may read (default: none)')
    .option('--secrets-env-prefix <prefix>', 'the prefix of the environment variables ${env:NAME} references in API tasks may read ("" for none)', 'FERRY_SECRET_')
    .option('--secrets-aws-sm-prefix <prefix>', 'the prefix of the AWS Secrets Manager secret names (or ARNs) ${aws-sm:name} references in API tasks may read (default: none)')
    .option('--state-key-file <path>', 'encrypt the task store (tasks.db) with a data key wrapped by this local key file (32 random bytes, raw, hex or base64); fixed when --state-dir is first used (docs/security.md#encryption-at-rest)')
    .option('--state-kms-key <keyId>', 'encrypt the task store with a data key from this AWS KMS key (id, ARN or alias; region and endpoint from AWS_REGION / AWS_ENDPOINT_URL_KMS); fixed when --state-dir is first used')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM, the chain after the server certificate); with --tls-key')
    .option('--tls-key <file>', 'the private key (PEM) of --tls-cert')
    .addOption(new Option('--history-sample-ms <ms>', 'how often each task\'s latency and throughput are sampled for the console\'s charts and GET /tasks/{name}/history (an hour is kept; docs/console.md)').argParser(integerFlag(HISTORY_SAMPLE)).default(5000))
    .option('--json', 'print the listening URL as a JSON line on stdout once ready')
    .action(async (opts: { host: string; port: number; historySampleMs: number; token?: string; tlsCert?: string; tlsKey?: string; stateDir: string; stateKeyFile?: string; stateKmsKey?: string; kafkaBrokers?: string; tasksTopic: string; replicationFactor: number; secretsDir?: string; secretsEnvPrefix: string; secretsAwsSmPrefix?: string; json?: boolean }) => {
      const { serveCommand } = await import('./serve.ts');
      process.exitCode = await serveCommand(opts);
    });

  const tasks = program.command('tasks').description('Manage the tasks of a `ferry serve` through its REST API (--url or FERRY_API_URL, --token or FERRY_API_TOKEN).');
  const common = (c: Command) => c
    .option('--url <url>', 'the server (default $FERRY_API_URL or http://127.0.0.1:8470)')
    .option('--token <token>', 'the API token (default $FERRY_API_TOKEN)')
    .option('--ca <file>', 'for an https:// server: the CA certificate (PEM) that signed its certificate (default $FERRY_API_CA, else the system CAs)')
    .option('--json', 'print the result as JSON on stdout');
  const run = (action: TasksAction) => async (...a: unknown[]) => {
    const cmd = a[a.length - 1] as Command;
    const opts = cmd.opts<TasksOptions>();
    const args = (a.slice(0, -2) as (string | string[])[]).flat();
    const { tasksCommand } = await import('./tasks.ts');
    process.exitCode = await tasksCommand(action, args, opts);
  };
  common(tasks.command('list').description('List the tasks with their status.')).action(run('list'));
  common(tasks.command('create').description('Create a task from a task file (validated by the server: every problem at once). ${env:}/${file:} references are resolved by the server.')
    .argument('<task-file>', 'the task file (YAML or JSON)').option('--start', 'start it right away')).action(run('create'));
  common(tasks.command('show').description('Print a task\'s definition (secrets masked) and status.').argument('<name>')).action(run('show'));
  common(tasks.command('start').description('Start a task, or resume it from its stored offset (no new snapshot).').argument('<name>')).action(run('start'));
  common(tasks.command('stop').description('Stop a running task gracefully (in-flight events flushed and committed).').argument('<name>')).action(run('stop'));
  common(tasks.command('reload-table').description('Re-snapshot tables of a running task while it keeps streaming.').argument('<name>').argument('<table...>', '<schema>.<table>')).action(run('reload-table'));
  common(tasks.command('add-tables').description('Add tables to a task\'s selection; a running task restarts from its offset and copies their rows.').argument('<name>').argument('<table...>', '<schema>.<table>')).action(run('add-tables'));
  common(tasks.command('remove-tables').description('Remove tables from a task\'s selection; a running task restarts from its offset without them.').argument('<name>').argument('<table...>', '<schema>.<table>')).action(run('remove-tables'));
  common(tasks.command('stats').description('Per-table statistics: inserts, updates, deletes, DDLs, full-load rows and times, table state.').argument('<name>')).action(run('stats'));
  common(tasks.command('status').description('Task status: state and reason, full-load progress, CDC latency at source and target.').argument('<name>')).action(run('status'));
  common(tasks.command('delete').description('Stop a task if it runs, forget its stored offset and delete it.').argument('<name>')).action(run('delete'));
}
