#!/usr/bin/env node
// Launcher for the `ferry` CLI. It runs on any Node version: when the current Node is older than 24, it re-runs
// itself with the project's Node 24 from .tools/node (installed by `npm run setup`), so `npx ferry` always runs on 24.
import { spawn } from 'node:child_process';
import module from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeEnvFor, nodeFlagsFor } from './node-flags.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);
// Long-running commands (run, worker, serve, sink) start with Ferry's V8 memory flags (node-flags.js).
const nodeFlags = nodeFlagsFor({ args: process.argv.slice(2), execArgv: process.execArgv, env: process.env });

if (major >= 24 && nodeFlags.length > 0 && typeof process.execve === 'function') {
  // Replace this process by Node with the flags: same PID (signals, kill -9 and PID files keep working), same
  // stdio, the environment plus node-flags.js's defaults; it costs one more Node start-up (about 0.1 s) before any of
  // Ferry's modules load.
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...nodeFlags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], nodeEnvFor(process.env));
} else if (major >= 24) {
  // V8's compiled code for Ferry's modules is kept on disk (NODE_COMPILE_CACHE, else Node's folder under the OS temp
  // folder) and reused while a file is unchanged: start-up (`ferry --help`) drops from about 0.4 s to 0.2 s.
  // NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  module.enableCompileCache?.();
  await import('../app/src/cli/main.ts');
} else {
  const node24 = join(root, '.tools', 'node', 'bin', 'node');
  if (!existsSync(node24)) {
    process.stderr.write(`ferry needs Node.js 24 or newer (this is ${process.version}). Run "npm run setup" in ${root} to fetch it.\n`);
    process.exit(2);
  }
  const child = spawn(node24, [...nodeFlags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env: nodeFlags.length > 0 ? nodeEnvFor(process.env) : process.env });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
