/**
 * The source's current log position, in the positions the task's checkpoints use: what the continuous validator
 * waits for the target to pass before it re-checks a pending row (runtime/src/validation/pending-records.ts).
 *
 *   MySQL/MariaDB  SHOW MASTER STATUS (SHOW BINARY LOG STATUS on MySQL 8.4), with the GTID state there: the binlog's
 *                  end, which every committed transaction precedes. The binlog stream checkpoints the position after
 *                  each commit, and after transactions of other tables once a second, so it reaches it.
 *   PostgreSQL     pg_current_wal_insert_lsn(): at or past the end of every committed transaction (the write
 *                  position can lag one). The stream's heartbeats move its checkpoint past it when no table changes.
 */
import { FerryError } from '../../../core/src/errors.ts';
import { lsnPosition } from '../../../core/src/position.ts';
import type { Position } from '../../../core/src/types.ts';
import { withGtid } from '../../../connectors/mysql-binlog/src/binlog-position.ts';
import type { SqlClient } from '../../../runtime/src/validation/model.ts';

export async function currentSourcePosition(source: SqlClient): Promise<Position> {
  if (source.engine === 'postgres') {
    const rows = await source.query('SELECT pg_current_wal_insert_lsn()::text');
    return lsnPosition(String(rows[0]?.[0]));
  }
  let status: readonly (string | null)[] | undefined;
  try {
    status = (await source.query('SHOW MASTER STATUS'))[0];
  } catch (e: unknown) {
    if ((e as { errno?: number }).errno !== 1064) throw e;
    status = (await source.query('SHOW BINARY LOG STATUS'))[0]; // MySQL 8.4 removed SHOW MASTER STATUS
  }
  const file = status?.[0];
  if (!status || !file) throw new FerryError('FERRY_SOURCE_PREREQUISITE', 'binary logging is off on the source (SHOW MASTER STATUS is empty): validation during CDC waits on binlog positions');
  const pos = Number(status[1]);
  const version = String((await source.query('SELECT VERSION()'))[0]?.[0] ?? '');
  if (/mariadb/i.test(version)) {
    const g = (await source.query(`SELECT BINLOG_GTID_POS('${file.replace(/\\/g, '\\\\').replace(/'/g, "''")}', ${pos})`))[0]?.[0];
    return withGtid({ file, pos }, typeof g === 'string' && g.trim() !== '' ? g.trim() : undefined);
  }
  const executed = typeof status[4] === 'string' ? status[4].replace(/\s/g, '') : '';
  return withGtid({ file, pos }, executed || undefined);
}
