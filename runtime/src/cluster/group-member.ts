/**
 * One worker's membership in its cluster's Kafka group (group id `ferry-<cluster>`, protocol type "ferry").
 *
 * The broker's group coordinator decides who is in the group, bumps the generation at every change and names the
 * leader; the leader computes the assignment (assignor.ts) from what each member reported when it joined (its
 * worker id, HTTP address, the tasks it runs and their load) and the task list, and sends it with SyncGroup. Every
 * member gets the whole picture (who runs what, the leader's address), so any worker can answer /status and
 * forward to the leader.
 *
 * Tasks keep running across a rebalance (the member reports them when it rejoins; the assignor keeps them where
 * they are or revokes them first): a rebalance stops only what moves. A member that cannot heartbeat for a session
 * timeout stops all its tasks (it has been thrown out, and another worker is taking them over); fencing in Kafka
 * (task-transaction.ts) stops a frozen member that has not noticed yet.
 */
import type { Logger } from '../../../core/src/types.ts';
import { errorMessage } from '../../../core/src/errors.ts';
import { GroupConnection, GroupProtocolError } from '../kafka/kafka-group.ts';
import type { KafkaConnectionOptions } from '../kafka/kafka-connection.ts';
import { assignTasks, type AssignableTask } from './assignor.ts';

export const PROTOCOL_TYPE = 'ferry';
export const PROTOCOL_NAME = 'ferry-sticky-v1';

/** What a member says about itself when it joins. */
export interface MemberReport {
  readonly workerId: string;
  /** Its HTTP address (http://host:port), where the task API and /status answer. */
  readonly url: string;
  readonly owned: readonly string[];
  /** Measured load per owned task (assignor.ts). */
  readonly loads: Readonly<Record<string, number>>;
}

export interface GroupView {
  readonly generation: number;
  readonly memberId: string;
  readonly leader: { readonly workerId: string; readonly url: string };
  readonly isLeader: boolean;
  readonly members: readonly { readonly workerId: string; readonly url: string }[];
  /** Task → worker id; a task in `revoked` or not placed is absent. */
  readonly owners: Readonly<Record<string, string>>;
  readonly revoked: readonly string[];
  /** This member's tasks. */
  readonly tasks: readonly string[];
}

export interface GroupMemberOptions extends KafkaConnectionOptions {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly log: Logger;
  report(): MemberReport;
  /** The leader's list of tasks to place (definitions whose desired state is running). */
  tasks(): readonly AssignableTask[];
  /**
   * A new generation's assignment: stop what is not in view.tasks, start what is. Must return quickly (heartbeats
   * wait for it); call requestRejoin once revoked tasks have stopped.
   */
  onAssigned(view: GroupView): Promise<void>;
  /**
   * Stop every task: membership lost (session expired, removed from the group; nothing may be committed any more),
   * or `graceful` when the worker is shutting down while still a member (the last batches are committed).
   */
  onRevokeAll(reason: string, graceful: boolean): Promise<void>;
}

interface AssignmentMessage {
  readonly v: 1;
  readonly leader: { workerId: string; url: string };
  readonly members: { workerId: string; url: string }[];
  readonly owners: Record<string, string>;
  readonly revoked: string[];
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  if (signal.aborted) return resolve();
  const t = setTimeout(done, ms);
  function done() {
    clearTimeout(t);
    signal.removeEventListener('abort', done);
    resolve();
  }
  signal.addEventListener('abort', done, { once: true });
});

export class GroupMember {
  readonly #o: GroupMemberOptions;
  readonly #conn: GroupConnection;
  #memberId = '';
  #view: GroupView | null = null;
  #rejoin: { reason: string; wake: AbortController } | null = null;
  #wake = new AbortController();
  #lastHeartbeatOk = 0;
  #loopAlive = Date.now();

  constructor(options: GroupMemberOptions) {
    this.#o = options;
    this.#conn = new GroupConnection({ ...options, groupId: options.groupId, sessionTimeoutMs: options.sessionTimeoutMs, rebalanceTimeoutMs: options.rebalanceTimeoutMs });
  }

  /** The current generation's view; null while joining or out of the group. */
  get view(): GroupView | null {
    return this.#view;
  }

  /** When the membership loop last made progress (ms since epoch), for /healthz. */
  get loopAlive(): number {
    return this.#loopAlive;
  }

  /** Asks for a rebalance (the leader after a task change; a member that gave up revoked tasks). */
  requestRejoin(reason: string): void {
    this.#rejoin ??= { reason, wake: this.#wake };
    this.#wake.abort();
  }

  /** Runs until `signal` aborts; then stops every task and leaves the group. */
  async run(signal: AbortSignal): Promise<void> {
    const log = this.#o.log;
    try {
      while (!signal.aborted) {
        this.#loopAlive = Date.now();
        const reason = this.#rejoin?.reason ?? null;
        this.#rejoin = null;
        this.#wake = new AbortController();
        let joined;
        try {
          const report = this.#o.report();
          joined = await this.#conn.join(this.#memberId, PROTOCOL_TYPE, [{ name: PROTOCOL_NAME, metadata: Buffer.from(JSON.stringify(report)) }], reason);
        } catch (e: unknown) {
          if (await this.#refused(e, 'join', signal)) continue;
          continue;
        }
        this.#memberId = joined.memberId;
        const isLeader = joined.leader === joined.memberId;
        let assignments: { memberId: string; assignment: Buffer }[] = [];
        if (isLeader) assignments = this.#assign(joined.members);
        let bytes: Buffer;
        try {
          bytes = await this.#conn.sync(joined.generation, joined.memberId, PROTOCOL_TYPE, joined.protocolName || PROTOCOL_NAME, assignments);
        } catch (e: unknown) {
          await this.#refused(e, 'sync', signal);
          continue;
        }
        this.#lastHeartbeatOk = Date.now();
        const msg = JSON.parse(bytes.toString()) as AssignmentMessage;
        const me = this.#o.report().workerId;
        const view: GroupView = {
          generation: joined.generation, memberId: joined.memberId, leader: msg.leader, isLeader, members: msg.members,
          owners: msg.owners, revoked: msg.revoked, tasks: Object.entries(msg.owners).filter(([, w]) => w === me).map(([t]) => t).sort(),
        };
        this.#view = view;
        log.info({ generation: view.generation, leader: view.leader.workerId, members: view.members.map((m) => m.workerId), tasks: view.tasks, revoked: view.revoked }, `cluster generation ${view.generation}: ${view.members.length} members, leader ${view.leader.workerId}, this worker runs ${view.tasks.length} task(s)`);
        // Starts and stops run in the background (heartbeats go on meanwhile); a member that gives up revoked tasks
        // calls requestRejoin once they stopped, so the next generation can place them.
        await this.#o.onAssigned(view);
        await this.#heartbeats(signal);
      }
    } finally {
      // Still a member until LeaveGroup: the tasks stop gracefully, their last batches committed.
      await this.#o.onRevokeAll('the worker is stopping', true).catch((e: unknown) => log.warn({ err: e }, `stopping tasks failed: ${errorMessage(e)}`));
      this.#view = null;
      if (this.#memberId) await this.#conn.leave(this.#memberId, 'worker stopping').catch(() => undefined);
      await this.#conn.close();
    }
  }

  /** Heartbeats until a rebalance, a rejoin request, or `signal`. */
  async #heartbeats(signal: AbortSignal): Promise<void> {
    const view = this.#view!;
    while (!signal.aborted && this.#rejoin === null) {
      this.#loopAlive = Date.now();
      await sleep(this.#o.heartbeatIntervalMs, AbortSignal.any([signal, this.#wake.signal]));
      if (signal.aborted || this.#rejoin !== null) return;
      try {
        await withTimeout(this.#conn.heartbeat(view.generation, view.memberId), this.#o.heartbeatIntervalMs * 2);
        this.#lastHeartbeatOk = Date.now();
      } catch (e: unknown) {
        if (e instanceof GroupProtocolError && e.refusal === 'REBALANCE_IN_PROGRESS') return; // rejoin, tasks keep running
        if (e instanceof GroupProtocolError && (e.refusal === 'UNKNOWN_MEMBER_ID' || e.refusal === 'ILLEGAL_GENERATION' || e.refusal === 'FENCED_INSTANCE_ID')) {
          await this.#lost(`the group coordinator answered ${e.refusal}: this worker was removed from generation ${view.generation} (its tasks moved)`);
          if (e.refusal === 'UNKNOWN_MEMBER_ID') this.#memberId = '';
          return;
        }
        this.#conn.reset();
        if (Date.now() - this.#lastHeartbeatOk >= this.#o.sessionTimeoutMs) {
          await this.#lost(`no heartbeat reached the group coordinator for ${this.#o.sessionTimeoutMs} ms (${errorMessage(e)}): the session has expired and the tasks are moving to other workers`);
          this.#memberId = '';
          return;
        }
        this.#o.log.warn({ err: e }, `heartbeat failed: ${errorMessage(e)}`);
      }
    }
  }

  async #lost(reason: string): Promise<void> {
    this.#view = null;
    this.#o.log.warn(`left the cluster: ${reason}; stopping every task`);
    await this.#o.onRevokeAll(reason, false);
  }

  /** Handles a refused join or sync; true when the loop should retry at once. */
  async #refused(e: unknown, what: string, signal: AbortSignal): Promise<boolean> {
    if (e instanceof GroupProtocolError) {
      if (e.refusal === 'MEMBER_ID_REQUIRED' && e.memberId) {
        this.#memberId = e.memberId;
        return true;
      }
      if (e.refusal === 'UNKNOWN_MEMBER_ID' || e.refusal === 'ILLEGAL_GENERATION') {
        if (this.#view !== null || this.#o.report().owned.length > 0) await this.#lost(`the group coordinator answered ${e.refusal} to ${what}`);
        if (e.refusal === 'UNKNOWN_MEMBER_ID') this.#memberId = '';
        return true;
      }
      if (e.refusal === 'REBALANCE_IN_PROGRESS') return true;
    }
    this.#conn.reset();
    this.#o.log.warn({ err: e }, `cluster ${what} failed: ${errorMessage(e)}; retrying`);
    if (this.#o.report().owned.length > 0 && Date.now() - this.#lastHeartbeatOk >= this.#o.sessionTimeoutMs) {
      await this.#lost(`the group coordinator has not been reachable for ${this.#o.sessionTimeoutMs} ms`);
    }
    await sleep(1000, signal);
    return false;
  }

  /** The leader's assignment for every member. */
  #assign(members: readonly { memberId: string; metadata: Buffer }[]): { memberId: string; assignment: Buffer }[] {
    const reports = new Map<string, MemberReport>();
    for (const m of members) {
      try {
        reports.set(m.memberId, JSON.parse(m.metadata.toString()) as MemberReport);
      } catch {
        this.#o.log.warn({ member: m.memberId }, 'a member sent metadata that is not JSON; it gets no tasks');
      }
    }
    const byWorker = new Map<string, string>();
    for (const [memberId, r] of reports) byWorker.set(memberId, r.workerId);
    const loads = new Map<string, number>();
    for (const r of reports.values()) for (const [t, l] of Object.entries(r.loads ?? {})) loads.set(t, l);
    const tasks = this.#o.tasks().map((t) => ({ name: t.name, load: loads.get(t.name) ?? t.load ?? 1 }));
    const result = assignTasks([...reports].map(([memberId, r]) => ({ id: memberId, owned: r.owned ?? [] })), tasks);
    const owners: Record<string, string> = {};
    for (const [memberId, list] of result.tasks) for (const t of list) owners[t] = byWorker.get(memberId)!;
    const me = reports.get(this.#memberId);
    const msg: AssignmentMessage = {
      v: 1,
      leader: { workerId: me?.workerId ?? '?', url: me?.url ?? '' },
      members: [...reports.values()].map((r) => ({ workerId: r.workerId, url: r.url })).sort((a, b) => (a.workerId < b.workerId ? -1 : 1)),
      owners, revoked: [...result.revoked],
    };
    const bytes = Buffer.from(JSON.stringify(msg));
    return members.map((m) => ({ memberId: m.memberId, assignment: bytes }));
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); })]);
  } finally {
    clearTimeout(t);
  }
}
