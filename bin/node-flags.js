// The V8 flags that Ferry's long-running commands start Node with (bin/ferry.js re-executes itself with them).
// Plain JavaScript: it runs before Node 24 is known to be there, and without type stripping.
//
// Why: V8 sizes its young generation by the machine's memory. On a 24 GiB box each of the two semi-spaces grows to
// 32 MB, so a task that streams 1k rows/s keeps 64 MB of young generation committed for about 5 MB of short-lived
// objects, and a bulk load holds that much garbage on top of its batches. A 4 MB semi-space caps that at 8 MB; see
// docs/performance.md ("Memory") for the measured RSS and CPU.

/**
 * Commands that run change-data-capture tasks until stopped: these get DEFAULT_NODE_FLAGS (`sink` gets
 * SINK_NODE_FLAGS, below). Short commands (`validate`, `plan`, ...) start once and exit, with Node's own sizing.
 */
export const LONG_RUNNING_COMMANDS = new Set(['run', 'worker', 'serve']);

/** The default flags; FERRY_NODE_FLAGS replaces them (an empty value: none). */
export const DEFAULT_NODE_FLAGS = ['--max-semi-space-size=4'];

/**
 * `ferry sink`'s flags: its workers are bulk consumers, and a 4 MB semi-space costs them more CPU per row than an
 * 8 MB one for the same memory. bench/sink-parquet.ts (alternated, load 12–15): peak RSS 338–375 MB with 4, 364–388
 * with 8, 523–560 without; CPU-s per 1M rows 10.2–10.5, 9.5–10.6, 8.9–9.5 (docs/performance.md, "Memory";
 * bench/RESULTS.md, "Parquet sink memory, round three (issue 24)"). FERRY_NODE_FLAGS replaces them too.
 */
export const SINK_NODE_FLAGS = ['--max-semi-space-size=8'];

/**
 * Environment defaults that go with the default flags. MALLOC_MMAP_THRESHOLD_ (glibc; ignored elsewhere): every
 * allocation of 64 KiB and more gets its own mapping, returned to the system when freed. Without it glibc raises the
 * threshold after the first large free, and large Buffers (socket reads, produce requests) then fragment the malloc
 * arenas, which never shrink: 11–17 MB less steady RSS at 1k tx/s, same CPU (docs/performance.md, "Memory").
 */
export const DEFAULT_NODE_ENV = { MALLOC_MMAP_THRESHOLD_: '65536' };
// Measured and not set (docs/performance.md, "Memory"): MALLOC_ARENA_MAX=1|2 (the main arena grows by what the
// threads' arenas lose, 7–10 MB either way), UV_THREADPOOL_SIZE=1, --v8-pool-size=1, --max-opt=2,
// --flush-baseline-code with --bytecode-old-age=3, --optimize-for-size (43–135 % more CPU), a 2 MB semi-space.

/** `--max-semi-space-size=4` → `max-semi-space-size` (V8 accepts `_` for `-`). */
function flagName(flag) {
  return flag.replace(/^--?/, '').split('=')[0].replaceAll('_', '-');
}

/**
 * The flags to re-execute with: for a long-running command or `sink`, its defaults (or FERRY_NODE_FLAGS) minus those the user
 * already set, on the command line of node (execArgv) or in NODE_OPTIONS. An empty list means: do not re-execute.
 * Since the re-executed process has the flags in its execArgv, it never re-executes again.
 *
 * @param {{ args: readonly string[], execArgv: readonly string[], env: Record<string, string | undefined> }} options
 *   args: the CLI arguments after the script (process.argv.slice(2))
 * @returns {string[]}
 */
export function nodeFlagsFor({ args, execArgv, env }) {
  const command = args.find((a) => !a.startsWith('-'));
  const defaults = command === 'sink' ? SINK_NODE_FLAGS : command !== undefined && LONG_RUNNING_COMMANDS.has(command) ? DEFAULT_NODE_FLAGS : null;
  if (defaults === null) return [];
  const wanted = env.FERRY_NODE_FLAGS !== undefined ? env.FERRY_NODE_FLAGS.split(/\s+/).filter(Boolean) : defaults;
  const given = new Set([...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].filter((a) => a.startsWith('-')).map(flagName));
  return wanted.filter((flag) => !given.has(flagName(flag)));
}

/**
 * The environment for the re-executed process: `env` plus DEFAULT_NODE_ENV's variables that are not set, unless
 * FERRY_NODE_FLAGS is set (whoever sets it chooses the memory configuration).
 *
 * @param {Record<string, string | undefined>} env
 * @returns {Record<string, string | undefined>}
 */
export function nodeEnvFor(env) {
  if (env.FERRY_NODE_FLAGS !== undefined) return env;
  const added = Object.fromEntries(Object.entries(DEFAULT_NODE_ENV).filter(([k]) => env[k] === undefined));
  return { ...env, ...added };
}
