/**
 * The periodic checks behind two event categories (docs/notifications.md), every `intervalMs` while the task runs:
 *
 *   low-storage        the file system of the task's state folder has less than lowStorageFreeMb free
 *                      (fs.statfs: blocks available to the user);
 *   retention-at-risk  PostgreSQL: a replication slot holds back more than slotLagBytesAtRisk bytes of WAL (the
 *                      source's pg_slot_lag_bytes gauge); MySQL/MariaDB: the task's source lag (source_lag_ms)
 *                      passed binlogRetentionAtRiskPercent of the server's binlog_expire_logs_seconds, so the binlog
 *                      it still needs may be purged before it gets there.
 *
 * Each condition is emitted once when it starts (key: the condition and the hour it began, so a restart within the
 * hour does not repeat it) and again only after it cleared (below 90% of the threshold). The checks read gauges
 * through `readGauge` and never touch the pipeline.
 */
import { statfs } from 'node:fs/promises';
import type { Logger } from '../../../core/src/types.ts';
import { errorMessage } from '../../../core/src/errors.ts';
import type { TaskEventEmitter } from './task-events.ts';

export interface GaugeValue {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

export interface TaskWatchOptions {
  readonly events: TaskEventEmitter;
  readonly stateDir: string;
  readonly intervalMs: number;
  /** 0 = off. */
  readonly lowStorageFreeMb: number;
  /** 0 = off. */
  readonly slotLagBytesAtRisk: number;
  /** The MySQL/MariaDB server's binlog retention in seconds (0 or absent: none, or not MySQL). */
  readonly binlogExpireSeconds?: number | undefined;
  /** 0 = off. */
  readonly binlogRetentionAtRiskPercent: number;
  /** The values of a gauge by its name without the ferry_ prefix (pg_slot_lag_bytes, source_lag_ms); [] if none. */
  readonly readGauge: (name: string) => Promise<readonly GaugeValue[]>;
  readonly log: Logger;
}

export class TaskWatch {
  readonly #o: TaskWatchOptions;
  readonly #active = new Set<string>();
  readonly #timer: NodeJS.Timeout;
  #running: Promise<void> | null = null;

  constructor(o: TaskWatchOptions) {
    this.#o = o;
    this.#timer = setInterval(() => { this.#running ??= this.check().finally(() => { this.#running = null; }); }, o.intervalMs);
    this.#timer.unref();
  }

  /** One round of checks (also called by tests). */
  async check(): Promise<void> {
    const o = this.#o;
    try {
      if (o.lowStorageFreeMb > 0) {
        const s = await statfs(o.stateDir);
        const freeMb = Math.floor((Number(s.bavail) * Number(s.bsize)) / 1048576);
        this.#edge('low-storage', freeMb < o.lowStorageFreeMb, freeMb > o.lowStorageFreeMb / 0.9, () => ({
          category: 'low-storage', message: `low storage: ${freeMb} MB free on the file system of the state folder (settings.notifications.lowStorageFreeMb: ${o.lowStorageFreeMb})`,
          details: { freeMb, thresholdMb: o.lowStorageFreeMb, path: o.stateDir },
        }));
      }
      if (o.slotLagBytesAtRisk > 0) {
        for (const g of await o.readGauge('pg_slot_lag_bytes')) {
          const slot = String(g.labels['slot'] ?? '');
          this.#edge(`slot:${slot}`, g.value > o.slotLagBytesAtRisk, g.value < o.slotLagBytesAtRisk * 0.9, () => ({
            category: 'retention-at-risk', message: `replication slot ${slot} holds back ${g.value} bytes of WAL (over ${o.slotLagBytesAtRisk}): the server keeps that WAL for it, and invalidates the slot past max_slot_wal_keep_size`,
            details: { kind: 'postgres-slot', slot, lagBytes: g.value, thresholdBytes: o.slotLagBytesAtRisk },
          }));
        }
      }
      const expire = o.binlogExpireSeconds ?? 0;
      if (expire > 0 && o.binlogRetentionAtRiskPercent > 0) {
        const lagMs = Math.max(0, ...(await o.readGauge('source_lag_ms')).map((g) => g.value));
        const limitMs = expire * 1000 * (o.binlogRetentionAtRiskPercent / 100);
        this.#edge('binlog', lagMs > limitMs, lagMs < limitMs * 0.9, () => ({
          category: 'retention-at-risk', message: `the task is ${Math.round(lagMs / 1000)} s behind the source, over ${o.binlogRetentionAtRiskPercent}% of binlog_expire_logs_seconds (${expire}): the binlog it still needs may be purged before it is read`,
          details: { kind: 'mysql-binlog', lagSeconds: Math.round(lagMs / 1000), binlogExpireSeconds: expire, thresholdPercent: o.binlogRetentionAtRiskPercent },
        }));
      }
    } catch (e: unknown) {
      o.log.debug({ err: e }, `task watch: a check failed (${errorMessage(e)})`);
    }
  }

  #edge(condition: string, risen: boolean, cleared: boolean, event: () => Parameters<TaskEventEmitter['emit']>[0]): void {
    if (risen && !this.#active.has(condition)) {
      this.#active.add(condition);
      const e = event();
      this.#o.events.emit({ ...e, key: `${condition}@${new Date().toISOString().slice(0, 13)}` });
    } else if (cleared) this.#active.delete(condition);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
