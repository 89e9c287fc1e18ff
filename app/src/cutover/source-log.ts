/**
 * The source's current log position for `ferry cutover`'s drain, and the order of two positions.
 *
 *   MySQL/MariaDB  the binlog's end (SHOW MASTER STATUS, with its GTID state: connectors/mysql-binlog/src/binlog-position.ts).
 *                  The binlog stream checkpoints the position after each commit of a captured table, and after other
 *                  tables' transactions once a second, so a running task's committed position reaches it.
 *   PostgreSQL     pg_current_wal_insert_lsn(): at or past the end of every committed transaction. The stream's
 *                  checkpoint passes it at the next commit of a published table or the next heartbeat
 *                  (settings.heartbeatIntervalMs, default 10 s): a drain on an idle database takes up to that long.
 *
 * Order: MySQL positions by binlog file and offset (the GTID state part is not ordered as text), PostgreSQL by LSN.
 */
import { comparePositions } from '../../../core/src/position.ts';
import type { Position } from '../../../core/src/types.ts';
import { compareLogOrder, currentBinlogPosition } from '../../../connectors/mysql-binlog/src/binlog-position.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';

/** Negative when `a` is earlier in the log than `b`, 0 when at the same place, positive when later. */
export function compareLog(a: Position, b: Position): number {
  return a.startsWith('mysql:') && b.startsWith('mysql:') ? compareLogOrder(a, b) : comparePositions(a, b);
}

/** The source's current end of log, read on a session of its own (closed before returning). */
export async function currentSourcePosition(task: ResolvedTask): Promise<Position> {
  if (task.source.engine === 'postgres') {
    const { openSession } = await import('../../../connectors/postgres-logical/src/pg-connection.ts');
    const { lsnPosition } = await import('../../../core/src/position.ts');
    const client = await openSession(task.source as never, { applicationName: 'ferry-cutover' });
    try {
      const r = await client.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      return lsnPosition(r.rows[0]!.lsn);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const { openMySql } = await import('../../../connectors/mysql-binlog/src/mysql-connection.ts');
  const conn = await openMySql(task.source as never);
  conn.on('error', () => undefined);
  try {
    const [v] = await conn.query('SELECT VERSION() AS v');
    const isMariaDb = /mariadb/i.test(String((v as { v?: unknown }[])[0]?.v));
    return await currentBinlogPosition(conn, isMariaDb);
  } finally {
    await conn.end().catch(() => undefined);
  }
}
