/**
 * Run data validation when a task's full load ends: receives the task's webhook notifications (settings.notifications,
 * category `full-load-completed`: sent once the last full-load batch is durable in every sink and its position
 * committed), checks their signature, and runs `ferry validate-data <task-file> --json` for that task. The report goes
 * to REPORT_DIR/<task>-validation.json; the exit code of validate-data is logged (0 equal, 4 mismatches: they are
 * also recorded in the target's ferry_validation_failures table, docs/validation.md).
 *
 *   FERRY_WEBHOOK_SECRET=... scripts/node examples/orchestration/validate-on-full-load.ts shop=tasks/shop.yaml [...]
 *
 * Arguments: <task name>=<task file>, one per task to validate. Env: FERRY_WEBHOOK_SECRET, PORT (default 8788; 0 = any
 * free port), HOST, REPORT_DIR (default .), FERRY (the ferry command, default "npx ferry"). Prints "listening on <url>".
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ferryCommand, requiredEnv, startReceiver, type FerryCloudEvent } from './webhook-receiver.ts';

const secret = requiredEnv('FERRY_WEBHOOK_SECRET', 'the HMAC secret of the task\'s webhook subscription');
const tasks = new Map(process.argv.slice(2).map((a) => a.split('=', 2) as [string, string]));
if (tasks.size === 0 || [...tasks.values()].some((f) => !f)) {
  process.stderr.write('usage: validate-on-full-load.ts <task name>=<task file> [...]\n');
  process.exit(2);
}
const reportDir = process.env.REPORT_DIR ?? '.';

function validate(event: FerryCloudEvent): Promise<void> {
  const file = tasks.get(event.data.task);
  if (file === undefined) return Promise.resolve();
  const [cmd, ...args] = ferryCommand();
  return new Promise((resolve) => {
    const child = spawn(cmd!, [...args, 'validate-data', file, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('exit', (code) => {
      const report = join(reportDir, `${event.data.task}-validation.json`);
      writeFileSync(report, out);
      process.stderr.write(`validate-data ${event.data.task}: exit ${code} (${code === 0 ? 'the targets match' : code === 4 ? 'MISMATCHES' : 'failed'}); report in ${report}\n`);
      resolve();
    });
  });
}

const receiver = await startReceiver({
  secret, port: Number(process.env.PORT ?? 8788), host: process.env.HOST ?? '127.0.0.1',
  onEvent: (event) => (event.type === 'io.ferry.task.full-load-completed' ? validate(event) : undefined),
});
process.stdout.write(`listening on http://${process.env.HOST ?? '127.0.0.1'}:${receiver.port}/\n`);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { void receiver.close().then(() => process.exit(0)); });
