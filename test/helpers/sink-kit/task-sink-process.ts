/**
 * `ferry sink` for crash tests as its own process: `node task-sink-process.ts '<task document json>'` runs
 * runTaskSinkWorkers (every target, its `consumers`) until SIGTERM; prints `started` once running.
 */
import { parseTask } from '../../../app/src/task-file/load-task.ts';
import { runTaskSinkWorkers } from '../../../app/src/task/targets.ts';
import { createLogger } from '../../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';

const task = parseTask(JSON.parse(process.argv[2]!));
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
process.stdout.write('started\n');
await runTaskSinkWorkers({ task, log: createLogger({ level: 'warn' }), metrics: new PromMetrics({ collectProcessMetrics: false }) }, stop.signal);
