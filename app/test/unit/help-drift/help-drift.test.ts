/**
 * The drift guard (issue #26): runs `ferry --help` and every command's `--help` through bin/ferry.js, and checks them
 * and the docs against the plugin registry (app/src/plugins.ts: every sink type and source engine the task schema
 * accepts) with the rules of checker.ts. The fixtures prove the guard fails when the registry gains a type, an engine
 * or a command that the help and docs do not name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SINK_PLUGINS, SINK_TYPES, SOURCE_ENGINES, SOURCE_PLUGINS } from '../../../src/plugins.ts';
import { z } from 'zod';
import { sourceSchema, TARGET_TYPES, targetSchema } from '../../../src/task-file/task-schema.ts';
import { driftProblems, listedCommands, type CommandHelp, type DriftInput } from './checker.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const run = promisify(execFile);
const ENGINE_NAMES: Record<string, string> = { mysql: 'MySQL', mariadb: 'MariaDB', postgres: 'PostgreSQL' };

async function help(args: readonly string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(root, 'bin', 'ferry.js'), ...args, '--help'], { cwd: root, env: { ...process.env, COLUMNS: '200' } });
  return stdout;
}

/** Every command's help: the top level's commands, and the subcommands of those that have some. */
async function allHelps(): Promise<CommandHelp[]> {
  const top = await help([]);
  const names = listedCommands(top);
  const helps = await Promise.all(names.map(async (n) => ({ path: [n], help: await help([n]) })));
  const subs = await Promise.all(helps.flatMap((h) => listedCommands(h.help).map(async (s) => ({ path: [h.path[0]!, s], help: await help([h.path[0]!, s]) }))));
  return [...helps, ...subs];
}

const read = (path: string): string | undefined => (existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : undefined);

function realInput(commands: readonly CommandHelp[]): DriftInput {
  const paths = ['docs/cli.md', 'docs/sinks/worker.md', 'docs/configuration.md', 'README.md', ...SINK_PLUGINS.map((p) => p.docs), ...SOURCE_PLUGINS.map((p) => p.docs)];
  return {
    commands,
    sinkPlugins: SINK_PLUGINS.map((p) => ({ types: p.types, docs: p.docs })),
    sourcePlugins: SOURCE_PLUGINS.map((p) => ({ engines: p.engines, docs: p.docs })),
    engineNames: ENGINE_NAMES,
    files: Object.fromEntries(paths.map((p) => [p, read(p)])),
  };
}

let helps: Promise<CommandHelp[]> | undefined;
const commands = () => (helps ??= allHelps());

test('the task schema accepts exactly the registry\'s types and engines, so checking the registry checks the schema', () => {
  assert.deepEqual([...TARGET_TYPES].sort(), [...SINK_TYPES].sort(), 'every targets[].type has a sink plugin (and so a docs page)');
  for (const t of SINK_TYPES) assert.equal(targetSchema.safeParse({ type: t }).success, true, `target type ${t}`);
  assert.equal(targetSchema.safeParse({ type: 'no-such-sink' }).success, false);
  const engines = (z.toJSONSchema(sourceSchema, { io: 'input' }) as unknown as { properties: { engine: { enum: string[] } } }).properties.engine.enum;
  assert.deepEqual([...engines].sort(), [...SOURCE_ENGINES].sort());
  for (const e of SOURCE_ENGINES) assert.ok(ENGINE_NAMES[e], `a display name for engine ${e} in this test`);
});

test('every command, sink type and source engine is named in the help and the docs', { timeout: 60000 }, async () => {
  const cmds = await commands();
  assert.ok(cmds.length >= 20, `found ${cmds.length} commands`);
  for (const c of ['validate', 'run', 'sink', 'snapshot', 'serve', 'tasks', 'offsets']) assert.ok(cmds.some((x) => x.path[0] === c), c);
  assert.deepEqual(driftProblems(realInput(cmds)), []);
});

test('fixture: a target type added to the schema without help or docs is reported everywhere it is missing', { timeout: 60000 }, async () => {
  const input = realInput(await commands());
  const withNew = { ...input, sinkPlugins: [...input.sinkPlugins, { types: ['teradata'], docs: 'docs/sinks/teradata.md' }] };
  assert.deepEqual(driftProblems(withNew), [
    'the docs page docs/sinks/teradata.md of sink type(s) teradata does not exist',
    'sink type "teradata" is missing from `ferry sink --help`',
    'sink type "teradata" is missing from the `ferry sink` section of docs/cli.md',
    'sink type "teradata" is missing from docs/sinks/worker.md',
    'sink type "teradata" is missing from docs/configuration.md',
    'sink type "teradata" is missing from README.md',
  ]);
});

test('fixture: a new engine, a new command, and a help that names only some sources are reported', { timeout: 60000 }, async () => {
  const input = realInput(await commands());
  const snapshotHelp = 'Usage: ferry snapshot [options] <task-file>\n\nRe-snapshot tables of a running MySQL/MariaDB task.\n\nOptions:\n  --json\n';
  const changed: DriftInput = {
    ...input,
    sourcePlugins: [...input.sourcePlugins, { engines: ['oracle'], docs: 'docs/sources/oracle.md' }],
    engineNames: { ...input.engineNames },
    commands: [...input.commands.filter((c) => c.path[0] !== 'snapshot'), { path: ['snapshot'], help: snapshotHelp }, { path: ['replay'], help: 'Usage: ferry replay' }, { path: ['offsets', 'rewind'], help: 'Usage: ferry offsets rewind' }],
  };
  assert.deepEqual(driftProblems(changed), [
    'command "ferry replay" has no section in docs/cli.md',
    'command "ferry offsets rewind" is not named in a docs/cli.md heading of "ferry offsets"',
    'the docs page docs/sources/oracle.md of source engine(s) oracle does not exist',
    'source engine "oracle" is missing from docs/configuration.md',
    'source engine "oracle" is missing from the README\'s task example (engine: …)',
    '`ferry snapshot --help` names MySQL, MariaDB but not PostgreSQL, though it runs with any source',
  ]);
});

test('listedCommands reads commander\'s Commands section', () => {
  const text = 'Usage: ferry offsets [options] [command]\n\nShow.\n\nOptions:\n  -h, --help   display help\n\nCommands:\n  show [options] <task-file>   Print.\n  reset [options] <task-file>  Forget the\n                               position.\n  help [command]               display help for command\n';
  assert.deepEqual(listedCommands(text), ['show', 'reset']);
});
