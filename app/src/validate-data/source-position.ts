/**
 * The source's current log position, in the positions the task's checkpoints use: what the continuous validator
 * waits for the target to pass before it re-checks a pending row (runtime/src/validation/pending-records.ts).
 *
 *   MySQL/MariaDB  the connector's own reader (connectors/mysql-binlog/src/binlog-position.ts currentBinlogPosition:
 *                  the binlog's end with its GTID state), on a connection of its own. The binlog stream checkpoints the
 *                  position after each commit, and after transactions of other tables once a second, so it reaches it.
 *   PostgreSQL     pg_current_wal_insert_lsn(): at or past the end of every committed transaction (the write
 *                  position can lag one). The stream's heartbeats move its checkpoint past it when no table changes.
 */
import type { Connection } from 'mysql2/promise';
import { lsnPosition } from '../../../core/src/position.ts';
import type { Position } from '../../../core/src/types.ts';
import { currentBinlogPosition } from '../../../connectors/mysql-binlog/src/binlog-position.ts';
import { openMySql, type MySqlConnectionConfig } from '../../../connectors/mysql-binlog/src/mysql-connection.ts';
import type { SqlClient } from '../../../runtime/src/validation/model.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';

export class SourcePositions {
  readonly #task: ResolvedTask;
  readonly #sql: SqlClient;
  #mysql: Promise<{ conn: Connection; isMariaDb: boolean }> | null = null;

  /** `sql`: the validator's source client (PostgreSQL positions are read through it). */
  constructor(task: ResolvedTask, sql: SqlClient) {
    this.#task = task;
    this.#sql = sql;
  }

  async now(): Promise<Position> {
    if (this.#sql.engine === 'postgres') return lsnPosition(String((await this.#sql.query('SELECT pg_current_wal_insert_lsn()::text'))[0]?.[0]));
    this.#mysql ??= (async () => {
      const conn = await openMySql(this.#task.source as unknown as MySqlConnectionConfig);
      const [v] = await conn.query('SELECT VERSION() AS v');
      return { conn, isMariaDb: /mariadb/i.test(String((v as { v?: unknown }[])[0]?.v)) };
    })();
    let m: { conn: Connection; isMariaDb: boolean };
    try {
      m = await this.#mysql;
    } catch (e: unknown) {
      this.#mysql = null;
      throw e;
    }
    try {
      return await currentBinlogPosition(m.conn, m.isMariaDb);
    } catch (e: unknown) {
      m.conn.destroy(); // a lost connection: the next call opens another
      this.#mysql = null;
      throw e;
    }
  }

  async close(): Promise<void> {
    const m = await this.#mysql?.catch(() => null);
    m?.conn.destroy();
    this.#mysql = null;
  }
}
