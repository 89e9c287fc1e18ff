/**
 * Kafka's classic group protocol (JoinGroup v9, SyncGroup v5, Heartbeat v4, LeaveGroup v5, FindCoordinator v6)
 * for groups that are not consumer groups: Ferry's worker cluster joins with protocol type "ferry", and the
 * metadata and assignments are Ferry's own bytes (runtime/src/cluster). The broker runs the membership (session
 * timeouts, generations, leader choice); this module only speaks the requests, through @platformatic/kafka's
 * protocol APIs on its connection pool (the client has no public group API for a non-consumer protocol).
 */
import { ConnectionPool, findCoordinatorV6, heartbeatV4, joinGroupV9, leaveGroupV5, syncGroupV5, type Connection } from '@platformatic/kafka';
import { securityOf, wrap, type KafkaConnectionOptions } from './kafka-connection.ts';

/** Why the coordinator refused a request: the protocol error names that matter to a member. */
export type GroupRefusal = 'MEMBER_ID_REQUIRED' | 'UNKNOWN_MEMBER_ID' | 'ILLEGAL_GENERATION' | 'REBALANCE_IN_PROGRESS' | 'NOT_COORDINATOR' | 'COORDINATOR_NOT_AVAILABLE' | 'COORDINATOR_LOAD_IN_PROGRESS' | 'FENCED_INSTANCE_ID';

export class GroupProtocolError extends Error {
  readonly refusal: GroupRefusal | string;
  readonly memberId: string | undefined;
  constructor(refusal: GroupRefusal | string, memberId: string | undefined, message: string) {
    super(message);
    this.refusal = refusal;
    this.memberId = memberId;
    this.name = 'GroupProtocolError';
  }
}

export interface JoinedGroup {
  readonly generation: number;
  readonly memberId: string;
  readonly leader: string;
  readonly protocolName: string;
  /** Every member's metadata; empty unless this member is the leader. */
  readonly members: readonly { readonly memberId: string; readonly metadata: Buffer }[];
}

export interface GroupConnectionOptions extends KafkaConnectionOptions {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
}

/** A connection to a group's coordinator, found again when the coordinator moves. */
export class GroupConnection {
  readonly #o: GroupConnectionOptions;
  readonly #pool: ConnectionPool;
  #coordinator: Connection | undefined;

  constructor(options: GroupConnectionOptions) {
    this.#o = options;
    // JoinGroup waits for the whole rebalance: the request timeout must exceed the rebalance timeout.
    this.#pool = new ConnectionPool(options.clientId, { ...securityOf(options), connectTimeout: 5000, requestTimeout: options.rebalanceTimeoutMs + 5000 } as never);
  }

  async #connection(): Promise<Connection> {
    if (this.#coordinator) return this.#coordinator;
    const brokers = this.#o.brokers.map((b) => {
      const i = b.lastIndexOf(':');
      return { host: b.slice(0, i), port: Number(b.slice(i + 1)) };
    });
    try {
      const boot = await this.#pool.getFirstAvailable(brokers);
      const found = await findCoordinatorV6.api.async(boot, 0, [this.#o.groupId]);
      const c = found.coordinators[0];
      if (!c || c.errorCode !== 0) throw new GroupProtocolError('COORDINATOR_NOT_AVAILABLE', undefined, `no coordinator for group ${this.#o.groupId} yet (error ${c?.errorCode})`);
      this.#coordinator = await this.#pool.get({ host: c.host, port: c.port });
      return this.#coordinator;
    } catch (e: unknown) {
      throw refusalOf(e) ?? wrap(e, `find the coordinator of group ${this.#o.groupId}`, this.#o);
    }
  }

  async #call<T>(what: string, fn: (c: Connection) => Promise<T>): Promise<T> {
    const c = await this.#connection();
    try {
      return await fn(c);
    } catch (e: unknown) {
      const r = refusalOf(e);
      if (!r || r.refusal === 'NOT_COORDINATOR' || r.refusal === 'COORDINATOR_NOT_AVAILABLE') this.#coordinator = undefined;
      throw r ?? wrap(e, `${what} (group ${this.#o.groupId})`, this.#o);
    }
  }

  /** JoinGroup: resolves when the rebalance completes. A first join (memberId '') is refused with MEMBER_ID_REQUIRED carrying the id to join with. */
  async join(memberId: string, protocolType: string, protocols: readonly { name: string; metadata: Buffer }[], reason: string | null): Promise<JoinedGroup> {
    const r = await this.#call('join', (c) => joinGroupV9.api.async(c, this.#o.groupId, this.#o.sessionTimeoutMs, this.#o.rebalanceTimeoutMs, memberId, null, protocolType, [...protocols], reason));
    return { generation: r.generationId, memberId: r.memberId, leader: r.leader, protocolName: r.protocolName ?? '', members: r.members.map((m) => ({ memberId: m.memberId, metadata: m.metadata })) };
  }

  /** SyncGroup: the leader sends every member's assignment; every member gets its own. */
  async sync(generation: number, memberId: string, protocolType: string, protocolName: string, assignments: readonly { memberId: string; assignment: Buffer }[]): Promise<Buffer> {
    const r = await this.#call('sync', (c) => syncGroupV5.api.async(c, this.#o.groupId, generation, memberId, null, protocolType, protocolName, [...assignments]));
    return r.assignment;
  }

  async heartbeat(generation: number, memberId: string): Promise<void> {
    await this.#call('heartbeat', (c) => heartbeatV4.api.async(c, this.#o.groupId, generation, memberId, null));
  }

  async leave(memberId: string, reason: string): Promise<void> {
    await this.#call('leave', (c) => leaveGroupV5.api.async(c, this.#o.groupId, [{ memberId, groupInstanceId: null, reason }]));
  }

  /** Forgets the coordinator connection (after a network failure). */
  reset(): void {
    this.#coordinator = undefined;
  }

  async close(): Promise<void> {
    await this.#pool.close().catch(() => undefined);
  }
}

/** The group refusal in a client error (a ResponseError with ProtocolErrors inside), or undefined. */
function refusalOf(e: unknown): GroupProtocolError | undefined {
  if (e instanceof GroupProtocolError) return e;
  const any = e as { errors?: { apiId?: string }[]; response?: { memberId?: string }; apiId?: string };
  const id = any.apiId ?? any.errors?.find((x) => typeof x.apiId === 'string')?.apiId;
  if (typeof id !== 'string') return undefined;
  return new GroupProtocolError(id, any.response?.memberId || undefined, `the group coordinator answered ${id}`);
}
