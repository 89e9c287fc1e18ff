import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_NODE_FLAGS, SINK_NODE_FLAGS, nodeEnvFor, nodeFlagsFor } from '../../../../bin/node-flags.js';

test('the commands that run CDC tasks get the default V8 flags, sink workers their own; short ones get none', () => {
  for (const command of ['run', 'worker', 'serve']) {
    assert.deepEqual(nodeFlagsFor({ args: [command, 'task.yaml'], execArgv: [], env: {} }), DEFAULT_NODE_FLAGS);
  }
  assert.deepEqual(nodeFlagsFor({ args: ['sink', 'task.yaml'], execArgv: [], env: {} }), SINK_NODE_FLAGS);
  for (const args of [['validate', 'task.yaml'], ['offsets', 'show', 'task.yaml'], ['--help'], [], ['tasks', 'list']]) {
    assert.deepEqual(nodeFlagsFor({ args, execArgv: [], env: {} }), [], args.join(' '));
  }
  assert.deepEqual(DEFAULT_NODE_FLAGS, ['--max-semi-space-size=4']);
  assert.deepEqual(SINK_NODE_FLAGS, ['--max-semi-space-size=8']);
});

test('sink: a semi-space size the user set wins, and FERRY_NODE_FLAGS replaces its flags', () => {
  assert.deepEqual(nodeFlagsFor({ args: ['sink', 't.yaml'], execArgv: [], env: { NODE_OPTIONS: '--max-semi-space-size=32' } }), []);
  assert.deepEqual(nodeFlagsFor({ args: ['sink', 't.yaml'], execArgv: [], env: { FERRY_NODE_FLAGS: '' } }), []);
  assert.deepEqual(nodeFlagsFor({ args: ['sink', 't.yaml'], execArgv: [], env: { FERRY_NODE_FLAGS: '--max-semi-space-size=4' } }), ['--max-semi-space-size=4']);
});

test('a flag the user set on node or in NODE_OPTIONS wins, so the re-executed process does not re-execute again', () => {
  assert.deepEqual(nodeFlagsFor({ args: ['run', 't.yaml'], execArgv: ['--max-semi-space-size=16'], env: {} }), []);
  assert.deepEqual(nodeFlagsFor({ args: ['run', 't.yaml'], execArgv: ['--max_semi_space_size=16'], env: {} }), []);
  assert.deepEqual(nodeFlagsFor({ args: ['run', 't.yaml'], execArgv: [], env: { NODE_OPTIONS: '--max-semi-space-size=8 --trace-warnings' } }), []);
  // Other node flags are kept as they are and do not stop the defaults.
  assert.deepEqual(nodeFlagsFor({ args: ['run', 't.yaml'], execArgv: ['--cpu-prof'], env: { NODE_OPTIONS: '--trace-warnings' } }), DEFAULT_NODE_FLAGS);
});

test('FERRY_NODE_FLAGS replaces the defaults; empty means none', () => {
  assert.deepEqual(nodeFlagsFor({ args: ['run', 't.yaml'], execArgv: [], env: { FERRY_NODE_FLAGS: '--max-semi-space-size=16  --max-old-space-size=4096' } }), ['--max-semi-space-size=16', '--max-old-space-size=4096']);
  assert.deepEqual(nodeFlagsFor({ args: ['run', 't.yaml'], execArgv: [], env: { FERRY_NODE_FLAGS: '' } }), []);
  assert.deepEqual(nodeFlagsFor({ args: ['run', 't.yaml'], execArgv: ['--max-old-space-size=2048'], env: { FERRY_NODE_FLAGS: '--max-semi-space-size=2 --max-old-space-size=4096' } }), ['--max-semi-space-size=2']);
});

test('the re-executed process gets glibc\'s fixed mmap threshold unless the user set it or FERRY_NODE_FLAGS', () => {
  assert.deepEqual(nodeEnvFor({ PATH: '/bin' }), { PATH: '/bin', MALLOC_MMAP_THRESHOLD_: '65536' });
  assert.deepEqual(nodeEnvFor({ MALLOC_MMAP_THRESHOLD_: '1048576' }), { MALLOC_MMAP_THRESHOLD_: '1048576' });
  assert.deepEqual(nodeEnvFor({ FERRY_NODE_FLAGS: '--max-semi-space-size=16' }), { FERRY_NODE_FLAGS: '--max-semi-space-size=16' });
});
