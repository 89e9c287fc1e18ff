import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignTasks, type AssignMember, type AssignableTask } from '../../../src/cluster/assignor.ts';

const plain = (a: ReturnType<typeof assignTasks>) => ({ tasks: Object.fromEntries(a.tasks), revoked: a.revoked });
const tasks = (...names: string[]): AssignableTask[] => names.map((name) => ({ name }));

test('balanced: six equal tasks over three new workers, two each, by name and member id', () => {
  const members: AssignMember[] = [{ id: 'w-c', owned: [] }, { id: 'w-a', owned: [] }, { id: 'w-b', owned: [] }];
  assert.deepEqual(plain(assignTasks(members, tasks('t6', 't5', 't4', 't3', 't2', 't1'))), {
    tasks: { 'w-a': ['t1', 't4'], 'w-b': ['t2', 't5'], 'w-c': ['t3', 't6'] },
    revoked: [],
  });
});

test('deterministic: the same reports in any order give the same assignment', () => {
  const m: AssignMember[] = [{ id: 'a', owned: ['x'] }, { id: 'b', owned: [] }, { id: 'c', owned: ['y', 'z'] }];
  const t = tasks('x', 'y', 'z', 'w', 'v');
  const first = plain(assignTasks(m, t));
  assert.deepEqual(plain(assignTasks([...m].reverse(), [...t].reverse())), first);
  assert.deepEqual(first, { tasks: { a: ['w', 'x'], b: ['v'], c: ['y', 'z'] }, revoked: [] });
});

test('sticky: a member that left gives its tasks to the survivors, the others keep theirs', () => {
  // Before: a [t1 t4], b [t2 t5], c [t3 t6]; c dies.
  const after = assignTasks([{ id: 'a', owned: ['t1', 't4'] }, { id: 'b', owned: ['t2', 't5'] }], tasks('t1', 't2', 't3', 't4', 't5', 't6'));
  assert.deepEqual(plain(after), { tasks: { a: ['t1', 't3', 't4'], b: ['t2', 't5', 't6'] }, revoked: [] });
});

test('revoke before move: a joining member gets tasks only after their owner gave them up', () => {
  const tx = tasks('t1', 't2', 't3', 't4');
  const first = assignTasks([{ id: 'a', owned: ['t1', 't2', 't3', 't4'] }, { id: 'b', owned: [] }], tx);
  assert.deepEqual(plain(first), { tasks: { a: ['t1', 't2'], b: [] }, revoked: ['t3', 't4'] });
  // a stopped t3 and t4 and rejoined: the next generation places them on b.
  const second = assignTasks([{ id: 'a', owned: ['t1', 't2'] }, { id: 'b', owned: [] }], tx);
  assert.deepEqual(plain(second), { tasks: { a: ['t1', 't2'], b: ['t3', 't4'] }, revoked: [] });
});

test('a task claimed by two members stays with the lowest id; deleted tasks disappear', () => {
  const a = assignTasks([{ id: 'b', owned: ['t1', 'gone'] }, { id: 'a', owned: ['t1'] }], tasks('t1', 't2'));
  assert.deepEqual(plain(a), { tasks: { a: ['t1'], b: ['t2'] }, revoked: [] });
});

test('balanced by load: a heavy task alone on one worker, the light ones on the other', () => {
  const a = assignTasks([{ id: 'a', owned: [] }, { id: 'b', owned: [] }], [{ name: 'big', load: 4 }, { name: 's1', load: 1 }, { name: 's2', load: 1 }, { name: 's3', load: 1 }]);
  assert.deepEqual(plain(a), { tasks: { a: ['big'], b: ['s1', 's2', 's3'] }, revoked: [] });
  // A bad figure counts as 1.
  const b = assignTasks([{ id: 'a', owned: [] }], [{ name: 'x', load: Number.NaN }, { name: 'y', load: -3 }]);
  assert.deepEqual(plain(b), { tasks: { a: ['x', 'y'] }, revoked: [] });
  assert.deepEqual(plain(assignTasks([], tasks('x'))), { tasks: {}, revoked: [] });
});
