/**
 * settings.cdcStartPosition / cdcStartTime for MySQL and MariaDB (docs/sources/mysql.md "CDC start and stop points"):
 * the binlog position a first `migrationType: cdc` run starts at, checked against what the server still holds.
 *
 *  - "file:position": the file must be listed by SHOW BINARY LOGS and the offset lie inside it; MariaDB adds the GTID
 *    state there (BINLOG_GTID_POS), so the stream can resume by GTID.
 *  - a GTID set (MySQL) / GTID list (MariaDB): the stream asks the server for the transactions after it (the server
 *    refuses a purged one, binlog-errors.ts). Its log-order part is the oldest binlog's start, which precedes any
 *    transaction the stream can return; the first commit read gives the real file and offset.
 *  - a time: the start is the beginning of the newest binlog file begun at or before the time. Each file's start time
 *    is the timestamp of its FORMAT_DESCRIPTION event (the file's first event), read over a replication connection
 *    that reads that one event; the files are binary-searched (SHOW BINARY LOGS order is time order), so the search
 *    costs log2(files) short connections. Transactions committed before the time are then skipped by the stream
 *    (binlog-stream.ts, second resolution: binlog timestamps are whole seconds).
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { Logger, Position } from '../../../core/src/types.ts';
import type { CdcStart } from '../../../runtime/src/config/cdc-window-settings.ts';
import { BinlogClient } from './binlog-client.ts';
import { mariaDbGtidAt, withGtid } from './binlog-position.ts';
import type { MySqlConnectionConfig } from './mysql-connection.ts';

export interface BinlogFile { readonly name: string; readonly size: number }

export interface ResolvedStart {
  readonly position: Position;
  /** Transactions committed before this time (ms) are skipped, up to the first one at or after it; null: none. */
  readonly skipBeforeMs: number | null;
}

export async function listBinaryLogs(conn: Connection): Promise<BinlogFile[]> {
  const [rows] = await conn.query<RowDataPacket[]>('SHOW BINARY LOGS');
  return rows.map((r) => ({ name: String(r.Log_name), size: Number(r.File_size) }));
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function resolveBinlogStart(o: {
  control: Connection; cfg: MySqlConnectionConfig; serverId: number; isMariaDb: boolean; start: CdcStart; log: Logger; signal: AbortSignal;
}): Promise<ResolvedStart> {
  const { control, isMariaDb, start } = o;
  const files = await listBinaryLogs(control);
  if (files.length === 0) throw new FerryError('FERRY_SOURCE_PREREQUISITE', 'binary logging is off on the source (SHOW BINARY LOGS is empty): a CDC start point needs the binlog');
  const gtidAt = async (file: string, pos: number) => (isMariaDb ? mariaDbGtidAt(control, file, pos) : undefined);
  switch (start.kind) {
    case 'binlog': {
      const f = files.find((x) => x.name === start.file);
      if (!f) {
        throw new FerryError('FERRY_SOURCE_ERROR',
          `settings.cdcStartPosition ${start.file}:${start.pos}: binlog file ${start.file} is not on the server (it holds ${files[0]!.name} to ${files[files.length - 1]!.name}): it was purged (binlog_expire_logs_seconds / expire_logs_days) or never existed. ` +
          `Start at a position in a file the server still has, or copy the tables again with migrationType full-load-and-cdc; keep binlogs longer than the longest planned outage`, { details: { file: start.file, oldest: files[0]!.name } });
      }
      if (start.pos < 4 || start.pos > f.size) {
        throw new FerryError('FERRY_CONFIG_INVALID', `settings.cdcStartPosition ${start.file}:${start.pos}: the offset is outside the file (4 to ${f.size} bytes); use a position SHOW MASTER STATUS or a binlog event listing printed`);
      }
      return { position: withGtid({ file: f.name, pos: start.pos }, await gtidAt(f.name, start.pos)), skipBeforeMs: null };
    }
    case 'gtid': {
      if (!isMariaDb) {
        const [rows] = await control.query<RowDataPacket[]>('SELECT GTID_SUBSET(@@GLOBAL.gtid_purged, ?) AS ok, @@GLOBAL.gtid_purged AS purged', [start.gtidSet]);
        if (Number(rows[0]?.ok) !== 1) {
          throw new FerryError('FERRY_SOURCE_ERROR', `settings.cdcStartPosition ${start.gtidSet}: the server purged transactions that GTID set does not include (gtid_purged ${String(rows[0]?.purged)}), so the changes after it are no longer all in the binlog. Start at a later GTID set, or copy the tables again with migrationType full-load-and-cdc`);
        }
      }
      return { position: withGtid({ file: files[0]!.name, pos: 4 }, start.gtidSet), skipBeforeMs: null };
    }
    case 'time': {
      const startOf = (f: BinlogFile) => fileStartTime(o.cfg, o.serverId, isMariaDb, f.name, o.signal);
      const oldest = await startOf(files[0]!);
      if (start.ms < oldest) {
        throw new FerryError('FERRY_SOURCE_ERROR',
          `settings.cdcStartTime ${iso(start.ms)} is older than the oldest binlog on the server: ${files[0]!.name} begins at ${iso(oldest)}, and the changes before that were purged. ` +
          `Start at ${iso(oldest)} or later, or copy the tables again with migrationType full-load-and-cdc`, { details: { oldestFile: files[0]!.name, oldestTime: iso(oldest) } });
      }
      // The newest file begun at or before the time (files[lo]); file starts ascend with the file sequence.
      let lo = 0;
      let hi = files.length - 1;
      let probes = 1;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        probes++;
        if ((await startOf(files[mid]!)) <= start.ms) lo = mid; else hi = mid - 1;
      }
      const f = files[lo]!;
      o.log.info({ file: f.name, probes, files: files.length }, `cdcStartTime ${iso(start.ms)}: starting in ${f.name} (the newest binlog begun at or before it; ${probes} file start(s) read), skipping the transactions committed before the time`);
      return { position: withGtid({ file: f.name, pos: 4 }, await gtidAt(f.name, 4)), skipBeforeMs: start.ms };
    }
    case 'lsn':
      throw new FerryError('FERRY_CONFIG_INVALID', 'an LSN is a PostgreSQL position: a MySQL/MariaDB start is "file:position" or a GTID set');
  }
}

/** When the server began a binlog file: its FORMAT_DESCRIPTION event's timestamp (ms), read over a replication connection. */
export function fileStartTime(cfg: MySqlConnectionConfig, serverId: number, isMariaDb: boolean, file: string, signal: AbortSignal): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let done = false;
    const finish = (f: () => void) => { if (done) return; done = true; clearTimeout(timer); signal.removeEventListener('abort', onAbort); client.stop(); f(); };
    const onAbort = () => finish(() => reject(new FerryError('FERRY_ABORTED', 'stopped while searching the binlog for cdcStartTime')));
    const timer = setTimeout(() => finish(() => reject(new FerryError('FERRY_SOURCE_ERROR', `reading the start of binlog ${file} took over 30 s`))), 30000);
    // A server id of its own (random in the upper half, away from the task's): the server disconnects a replica when
    // another one registers with its id.
    const probeId = 0x80000000 + ((serverId * 2654435761 + Math.floor(Math.random() * 0x7fffffff)) % 0x7fffffff);
    const client: BinlogClient = new BinlogClient({
      cfg, serverId: probeId, isMariaDb, start: { filename: file, position: 4 },
      handler: {
        captured: () => false,
        codecFor: () => { throw new Error('no table is captured'); },
        onEvent: (ev) => { if (ev.type === 'format' && ev.timestamp > 0) finish(() => resolve(ev.timestamp)); },
        onError: (e) => finish(() => reject(new FerryError('FERRY_SOURCE_ERROR', `reading the start of binlog ${file} failed: ${errorMessage(e)}`, { cause: e }))),
      },
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
