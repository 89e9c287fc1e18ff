/**
 * `ferry top [task-file | --api URL]`: a live, full-screen view of a running task, refreshed in place every
 * --interval seconds (app/src/top/). On a terminal it draws on the alternate screen buffer and restores the terminal
 * on q, Ctrl-C, SIGTERM or exit; when stdout is not a terminal, or with --once/--json, it prints one snapshot (two
 * samples one second apart, so that the rates are known) and exits.
 */
import { errorMessage, FerryError, isFerryError } from '../../../../core/src/errors.ts';
import { loadTaskFileAsync } from '../../task-file/load-task.ts';
import { taskBaseUrl } from '../../cutover/task-endpoint.ts';
import { ApiClient, ApiResponseError } from '../../tasks-api/api-client.ts';
import { readCa } from './api-connection.ts';
import { sampleApi, sampleMetrics, type RawSample, type Sampled } from '../../top/top-snapshot.ts';
import { ANSI, draw, renderLines } from '../../top/top-screen.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { out, outJson, reportError } from '../output.ts';

export interface TopOptions {
  readonly api?: string;
  readonly token?: string;
  /** With --api: the CA (PEM file) of an https:// server. */
  readonly ca?: string;
  readonly task?: string;
  /** Seconds between refreshes. */
  readonly interval: number;
  readonly once?: boolean;
  readonly json?: boolean;
}

type Sampler = (prev?: RawSample) => Promise<Sampled>;

async function sampler(file: string | undefined, options: TopOptions): Promise<Sampler> {
  if (file !== undefined && options.api !== undefined) throw new FerryError('FERRY_USAGE', 'give either a task file or --api URL, not both');
  if (file !== undefined) {
    const task = await loadTaskFileAsync(file);
    const target = { url: taskBaseUrl(task, file), task: task.name, migrationType: task.migrationType, hint: `is task ${task.name} running? Start it with \`ferry run ${file}\` (ferry top reads settings.metrics host:port)` };
    return (prev) => sampleMetrics(target, prev);
  }
  if (options.api === undefined) throw new FerryError('FERRY_USAGE', 'ferry top needs a task file (of a task running with `ferry run`) or --api URL (a `ferry serve`)');
  const token = options.token ?? process.env.FERRY_API_TOKEN;
  if (!token) throw new FerryError('FERRY_USAGE', 'no API token for --api: pass --token or set FERRY_API_TOKEN');
  const url = options.api;
  const ca = readCa(options.ca ?? process.env.FERRY_API_CA);
  const api = new ApiClient({ url, token, timeoutMs: 5000, ...(ca !== undefined ? { ca } : {}) });
  return (prev) => sampleApi({ api, url, ...(options.task ? { task: options.task } : {}) }, prev);
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

/** Full screen until q / Ctrl-C / SIGTERM; the terminal is restored on every way out. */
async function live(sample: Sampler, first: Sampled, intervalSeconds: number): Promise<void> {
  const stdout = process.stdout;
  const stdin = process.stdin;
  const stop = new AbortController();
  let last = first;
  let problem: string | null = null;
  const size = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const redraw = () => {
    let screen = draw(last.snapshot, size(), intervalSeconds);
    if (problem !== null) screen += `\r\n${ANSI.bold}error: ${problem.slice(0, size().columns - 7)} (retrying)${ANSI.reset}${ANSI.clearLine}`;
    stdout.write(screen);
  };
  const onKey = (d: Buffer) => {
    const k = d.toString();
    if (k === 'q' || k === 'Q' || k === '\x03') stop.abort();
  };
  const onSignal = () => stop.abort();
  const restore = () => {
    if (stdin.isTTY) stdin.setRawMode(false);
    stdout.write(ANSI.leave);
  };
  process.once('exit', restore);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGWINCH', redraw);
  stdout.on('resize', redraw);
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.on('data', onKey);
  stdin.resume();
  stdout.write(ANSI.enter);
  try {
    redraw();
    while (!stop.signal.aborted) {
      await sleep(intervalSeconds * 1000, stop.signal);
      if (stop.signal.aborted) break;
      try {
        last = await sample(last.raw);
        problem = null;
      } catch (e: unknown) {
        problem = errorMessage(e);
      }
      redraw();
    }
  } finally {
    process.off('exit', restore);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGWINCH', redraw);
    stdout.off('resize', redraw);
    stdin.off('data', onKey);
    stdin.pause();
    restore();
  }
}

export async function topCommand(file: string | undefined, options: TopOptions): Promise<ExitCode> {
  const json = options.json === true;
  try {
    const sample = await sampler(file, options);
    const first = await sample();
    if (json || options.once === true || !process.stdout.isTTY) {
      await sleep(Math.min(options.interval, 1) * 1000);
      const second = await sample(first.raw);
      if (json) outJson({ ok: true, ...second.snapshot });
      else for (const line of renderLines(second.snapshot, process.stdout.columns || 160, options.interval)) out(line);
      return EXIT.OK;
    }
    await live(sample, first, options.interval);
    return EXIT.OK;
  } catch (e: unknown) {
    if (e instanceof ApiResponseError) {
      const error = new FerryError(e.status === 401 ? 'FERRY_USAGE' : 'FERRY_TASK_NOT_RUNNING', `the task API answered HTTP ${e.status} ${e.code}: ${e.message.split('\n')[0]}`);
      reportError(error, json);
      return e.status === 400 || e.status === 401 ? EXIT.INVALID : EXIT.CHECK_FAILED;
    }
    const code = reportError(e, json);
    if (isFerryError(e) && e.code === 'FERRY_USAGE') return EXIT.INVALID;
    if (isFerryError(e) && (e.code === 'FERRY_TASK_NOT_RUNNING' || e.code === 'FERRY_SOURCE_UNREACHABLE')) return EXIT.CHECK_FAILED;
    return code;
  }
}
