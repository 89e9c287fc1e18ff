/**
 * The lock-free snapshot scenario of issue #25 (test/e2e/lockfree-snapshot.test.ts, bench/lockfree-chaos.ts): a user
 * without RELOAD (as on RDS), two keyed tables (one with a composite key), three writer connections that insert, update
 * and delete the same keys during the load, and the task file (full-load-and-cdc, default settings.snapshotLocking).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { services } from './services.ts';
import { PG_TARGET, mariadbRoot, selectSchema, writeTask, type FerryChild } from './migration-kit/run.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LockFreeScenario {
  /** The CDC user: SELECT, REPLICATION SLAVE, BINLOG MONITOR (REPLICATION CLIENT) — no RELOAD. */
  readonly user = `lockfree_u_${randomBytes(3).toString('hex')}`;
  readonly items: number;
  readonly pairs: number;
  root!: mysql.Connection;

  constructor(o: { readonly items: number; readonly pairs: number }) {
    this.items = o.items;
    this.pairs = o.pairs;
  }

  async setup(): Promise<void> {
    this.root = await mariadbRoot();
    for (const host of ['127.0.0.1', 'localhost']) {
      await this.root.query(`CREATE USER '${this.user}'@'${host}' IDENTIFIED BY 'pw'`);
      await this.root.query(`GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '${this.user}'@'${host}'`);
    }
  }

  async teardown(): Promise<void> {
    for (const host of ['127.0.0.1', 'localhost']) await this.root.query(`DROP USER IF EXISTS '${this.user}'@'${host}'`);
    await this.root.end();
  }

  async createTables(db: string): Promise<void> {
    await this.root.query(`CREATE DATABASE \`${db}\``);
    await this.root.query(`USE \`${db}\``); // the seq_1_to_N tables of the sequence engine resolve in the current database
    await this.root.query(`CREATE TABLE \`${db}\`.items (id INT PRIMARY KEY, v BIGINT NOT NULL, s VARCHAR(64), d DECIMAL(12,2) NOT NULL)`);
    await this.root.query(`INSERT INTO \`${db}\`.items SELECT seq, seq * 3, CONCAT('row ', seq), (seq % 10000) / 100 FROM seq_1_to_${this.items}`);
    await this.root.query(`CREATE TABLE \`${db}\`.pairs (a INT NOT NULL, b VARCHAR(8) NOT NULL, n INT NOT NULL, PRIMARY KEY (a, b))`);
    await this.root.query(`INSERT INTO \`${db}\`.pairs SELECT seq DIV 4, CONCAT('k', seq % 4), seq FROM seq_0_to_${this.pairs - 1}`);
  }

  /** Three writer connections on the same keys (a hot set every writer hits, and random ones), until stopped. */
  async startWriters(db: string): Promise<{ count: () => number; stop: () => Promise<number> }> {
    const conns = await Promise.all([0, 1, 2].map(async () => {
      const c = await mariadbRoot();
      await c.query(`USE \`${db}\``);
      return c;
    }));
    let running = true;
    let n = 0;
    const key = () => (Math.random() < 0.3 ? 1 + Math.floor(Math.random() * 40) : 1 + Math.floor(Math.random() * (this.items + 3000)));
    const loops = conns.map(async (c, w) => {
      let i = 0;
      while (running) {
        const r = Math.random();
        const id = key();
        try {
          if (r < 0.3) await c.query('INSERT INTO items VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v), s = VALUES(s), d = VALUES(d)', [id, n, `w${w} ins ${i}`, (i % 1000) / 10]);
          else if (r < 0.6) await c.query('UPDATE items SET v = v + 1, s = ?, d = d + 0.01 WHERE id = ?', [`w${w} upd ${i}`, id]);
          else if (r < 0.75) await c.query('DELETE FROM items WHERE id = ?', [id]);
          else if (r < 0.9) {
            await c.beginTransaction();
            await c.query('UPDATE items SET v = v * 2 WHERE id = ?', [id]);
            await c.query('DELETE FROM items WHERE id = ?', [key()]);
            await c.query('INSERT INTO items VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE v = -v', [key(), i, `w${w} tx ${i}`, 1.5]);
            await c.commit();
          } else {
            const a = Math.floor(Math.random() * (this.pairs / 4 + 50));
            if (Math.random() < 0.7) await c.query('INSERT INTO pairs VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE n = n + 1', [a, `k${i % 5}`, i]);
            else await c.query('DELETE FROM pairs WHERE a = ?', [a]);
          }
          n++;
        } catch (e: unknown) {
          await c.rollback().catch(() => undefined); // a deadlock between writers: the transaction is undone, the loop goes on
          if (!/Deadlock|Lock wait/.test(String(e))) throw e;
        }
        if (++i % 5 === 0) await sleep(10);
      }
    });
    return {
      count: () => n,
      stop: async () => {
        running = false;
        await Promise.all(loops);
        for (const c of conns) await c.end();
        return n;
      },
    };
  }

  task(db: string, dir: string, kafka: boolean, chunkSize = 1000): string {
    return writeTask(dir, {
      name: db, migrationType: 'full-load-and-cdc', tableMappings: selectSchema(db),
      source: { engine: 'mariadb', ...services.mariadb, user: this.user, password: 'pw' },
      ...(kafka ? { kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db, partitions: 3 } } : {}),
      targets: [{ name: 'db', type: 'postgres', ...PG_TARGET, stateSchema: db, tablePreparation: 'drop-and-create', maxBatchDelayMs: 200 }],
      settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), snapshot: { chunkSize }, batch: { maxEvents: 1000, maxDelayMs: 50 } },
    });
  }
}

/** Waits until `re` shows in the child's output (true), or `ms` pass (false); throws if it exits. */
export async function until(child: FerryChild, re: RegExp, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (re.test(child.output())) return true;
    const f = child.failed();
    if (f) throw new Error(f);
    await sleep(25);
  }
  return false;
}

export const STARTED = /lock-free snapshot of 2 tables from \S+, read in key chunks/;
export const FINISHED = /snapshot finished: \d+ rows in [\d.]+ s \(lock-free\)/;
export const AUTO = /snapshotLocking auto: the user lockfree_u_\w+@\S+ has no RELOAD privilege \(as on RDS, Aurora, Cloud SQL and Azure\), so the initial snapshot is lock-free/;
