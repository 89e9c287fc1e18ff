/**
 * The cluster leader's assignment of tasks to workers (`ferry worker --cluster`, docs/cluster.md#assignment).
 * A pure function of what the members reported when they joined, so every leader computes the same answer:
 *
 *   1. Sticky: a task stays with the member that reports running it, while that member's load stays within the
 *      fair share (total load / members, rounded up, at least the heaviest task). A task claimed by two members
 *      (a worker that was cut off and came back) stays with the lowest member id of the two.
 *   2. Revoke before move: a task its live owner must give up (over its share) is assigned to nobody in this
 *      generation; its owner stops it and rejoins, and the next generation places it. So a task never has two
 *      owners at once, even between two generations.
 *   3. Balanced: the remaining tasks, heaviest first (then by name), go to the member with the least load (then the
 *      fewest tasks, then the lowest id). Greedy longest-processing-time: the loads end within one task's load of
 *      each other.
 *
 * A task's load is a figure its owner measures and reports (1 + events per second / 1000: every task costs a
 * worker something, a busy one more); a task nobody runs yet counts 1.
 */

export interface AssignableTask {
  readonly name: string;
  /** Relative cost; default 1. */
  readonly load?: number;
}

export interface AssignMember {
  readonly id: string;
  /** The tasks this member runs now (its own report when it joined). */
  readonly owned: readonly string[];
}

export interface Assignment {
  /** Member id → the task names it must run, sorted. Every member has an entry. */
  readonly tasks: ReadonlyMap<string, readonly string[]>;
  /** Tasks left unassigned in this generation because their live owner must give them up first. */
  readonly revoked: readonly string[];
}

export function assignTasks(members: readonly AssignMember[], tasks: readonly AssignableTask[]): Assignment {
  const ids = [...new Set(members.map((m) => m.id))].sort();
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return { tasks: out, revoked: [] };
  const loadOf = (t: AssignableTask) => (t.load !== undefined && Number.isFinite(t.load) && t.load > 0 ? t.load : 1);
  const sorted = [...new Map(tasks.map((t) => [t.name, t])).values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const total = sorted.reduce((s, t) => s + loadOf(t), 0);
  const heaviest = sorted.reduce((m, t) => Math.max(m, loadOf(t)), 0);
  const share = Math.max(Math.ceil(total / ids.length - 1e-9), heaviest);
  const load = new Map<string, number>(ids.map((id) => [id, 0]));
  // Who claims each task: the lowest member id among those reporting it.
  const claim = new Map<string, string>();
  for (const id of ids) {
    for (const name of members.filter((m) => m.id === id).flatMap((m) => m.owned)) if (!claim.has(name)) claim.set(name, id);
  }
  const free: AssignableTask[] = [];
  const revoked: string[] = [];
  // Sticky pass: heaviest first, so a member keeps its big tasks and gives up small ones when over its share.
  const byWeight = (a: AssignableTask, b: AssignableTask) => loadOf(b) - loadOf(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  for (const t of [...sorted].sort(byWeight)) {
    const owner = claim.get(t.name);
    if (owner === undefined) {
      free.push(t);
    } else if (load.get(owner)! + loadOf(t) <= share + 1e-9) {
      out.get(owner)!.push(t.name);
      load.set(owner, load.get(owner)! + loadOf(t));
    } else {
      revoked.push(t.name);
    }
  }
  for (const t of free.sort(byWeight)) {
    let best = ids[0]!;
    for (const id of ids) {
      const d = load.get(id)! - load.get(best)!;
      if (d < -1e-9 || (Math.abs(d) <= 1e-9 && out.get(id)!.length < out.get(best)!.length)) best = id;
    }
    out.get(best)!.push(t.name);
    load.set(best, load.get(best)! + loadOf(t));
  }
  for (const list of out.values()) list.sort();
  return { tasks: out, revoked: revoked.sort() };
}
