/**
 * CDC start and stop points (DMS CdcStartPosition, CdcStartTime, CdcStopPosition), declared once here as three
 * settings keys: settings.cdcStartPosition, settings.cdcStartTime, settings.cdcStopPosition (names kept stable: the
 * DMS importer maps onto them). Parsing into a CdcWindow is parseCdcWindow(); the sources apply it
 * (docs/sources/mysql.md and docs/sources/postgres.md, "CDC start and stop points").
 */
import { z } from 'zod';
import { FerryError } from '../../../core/src/errors.ts';

/** Native start positions: MySQL/MariaDB "file:pos", a MySQL GTID set, a MariaDB GTID list; PostgreSQL "X/Y". */
const BINLOG_FILE_POS = /^([^\s:]+\.\d+):(\d+)$/;
const LSN = /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/;
const MARIADB_GTID_LIST = /^\d+-\d+-\d+(,\s*\d+-\d+-\d+)*$/;
const MYSQL_GTID_SET = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(:\d+(-\d+)?)+(,\s*[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(:\d+(-\d+)?)+)*$/;
const ISO_OR_EPOCH = /^(\d{1,12}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)$/;
const STOP_TIME = /^(server_time|commit_time):(.+)$/;

export const cdcWindowShape = {
  cdcStartPosition: z.string().trim().min(1).optional().meta({
    description: 'DMS CdcStartPosition: where a first run of a `migrationType: cdc` task starts reading, instead of the current position. MySQL/MariaDB: a binlog "file:position" (mysql-bin.000042:1234), a MySQL GTID set (uuid:1-42) or a MariaDB GTID list (0-1-42); the transactions it names as executed are skipped. PostgreSQL: an LSN "X/Y" (16/B374D848), which the replication slot must still hold. A stored offset wins (the task resumes). Refused with full-load and full-load-and-cdc (they start at their snapshot). See docs/sources/*.md "CDC start and stop points".',
    examples: ['mysql-bin.000042:1234', '0-1-42', '16/B374D848'],
  }),
  cdcStartTime: z.string().trim().regex(ISO_OR_EPOCH, 'expected an ISO 8601 time (2026-12-06T19:00:00Z; no zone = UTC) or epoch seconds').optional().meta({
    description: 'DMS CdcStartTime: a first run of a `migrationType: cdc` task emits only the transactions committed at or after this time (ISO 8601, no zone = UTC, or epoch seconds). MySQL/MariaDB: the binlog file to start in is found from the files\' start times, then transactions committed earlier are skipped (second resolution). PostgreSQL: the slot cannot rewind, so transactions committed before the time are skipped from the slot\'s position on. A time older than the oldest retained binlog is an error. Not with cdcStartPosition.',
    examples: ['2026-12-06T19:00:00Z', '1796583600'],
  }),
  cdcStopPosition: z.string().trim().min(1).optional().meta({
    description: 'DMS CdcStopPosition: the task stops by itself once it has committed every transaction before this point, and exits 0 (a restart ends at once). server_time:<ISO time> or commit_time:<ISO time> (no zone = UTC): transactions committed at or before the time are in, the first one committed after it is not; or a native position (MySQL/MariaDB "file:position", PostgreSQL LSN "X/Y"): transactions committed before it are in. Any task that streams (cdc, full-load-and-cdc).',
    examples: ['server_time:2026-12-06T19:30:00', 'commit_time:2026-12-06T19:30:00Z', 'mysql-bin.000042:1234', '16/B374D848'],
  }),
};

export type CdcStart =
  | { readonly kind: 'binlog'; readonly file: string; readonly pos: number }
  | { readonly kind: 'gtid'; readonly gtidSet: string }
  | { readonly kind: 'lsn'; readonly lsn: string }
  | { readonly kind: 'time'; readonly ms: number };

export type CdcStop =
  | { readonly kind: 'time'; readonly ms: number; readonly text: string }
  | { readonly kind: 'binlog'; readonly file: string; readonly pos: number; readonly text: string }
  | { readonly kind: 'lsn'; readonly lsn: string; readonly text: string };

export interface CdcWindow {
  readonly start: CdcStart | null;
  readonly stop: CdcStop | null;
}

/** ISO 8601 (no zone = UTC) or epoch seconds → ms since the epoch. */
export function parseCdcTime(text: string, what: string): number {
  const t = text.trim();
  if (!ISO_OR_EPOCH.test(t)) throw new FerryError('FERRY_CONFIG_INVALID', `${what} "${text}" is not a time: expected ISO 8601 (2026-12-06T19:00:00Z; no zone = UTC) or epoch seconds`);
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(t) ? t : `${t}Z`;
  const ms = Date.parse(zoned);
  if (!Number.isFinite(ms)) throw new FerryError('FERRY_CONFIG_INVALID', `${what} "${text}" is not a valid time`);
  return ms;
}

/** The start and stop points of settings, for a source engine ('mysql' covers MariaDB). Throws FERRY_CONFIG_INVALID. */
export function parseCdcWindow(s: CdcWindowSettings, engine: 'mysql' | 'mariadb' | 'postgres'): CdcWindow {
  const pg = engine === 'postgres';
  let start: CdcStart | null = null;
  if (s.cdcStartPosition !== undefined) {
    const t = s.cdcStartPosition.trim();
    const fp = BINLOG_FILE_POS.exec(t);
    if (pg) {
      if (!LSN.test(t)) throw new FerryError('FERRY_CONFIG_INVALID', `settings.cdcStartPosition "${t}" is not a PostgreSQL LSN: expected "X/Y" in hex, as pg_current_wal_lsn() prints it (16/B374D848)`);
      start = { kind: 'lsn', lsn: t.toUpperCase() };
    } else if (fp) start = { kind: 'binlog', file: fp[1]!, pos: Number(fp[2]) };
    else if (MARIADB_GTID_LIST.test(t) || MYSQL_GTID_SET.test(t)) start = { kind: 'gtid', gtidSet: t.replace(/\s/g, '') };
    else throw new FerryError('FERRY_CONFIG_INVALID', `settings.cdcStartPosition "${t}" is not a binlog position: expected "file:position" (mysql-bin.000042:1234), a MySQL GTID set (uuid:1-42) or a MariaDB GTID list (0-1-42)`);
  }
  if (s.cdcStartTime !== undefined) start = { kind: 'time', ms: parseCdcTime(s.cdcStartTime, 'settings.cdcStartTime') };
  let stop: CdcStop | null = null;
  if (s.cdcStopPosition !== undefined) {
    const text = s.cdcStopPosition.trim();
    const tm = STOP_TIME.exec(text);
    const fp = BINLOG_FILE_POS.exec(text);
    if (tm) stop = { kind: 'time', ms: parseCdcTime(tm[2]!, `settings.cdcStopPosition ${tm[1]}`), text };
    else if (pg && LSN.test(text)) stop = { kind: 'lsn', lsn: text.toUpperCase(), text };
    else if (!pg && fp) stop = { kind: 'binlog', file: fp[1]!, pos: Number(fp[2]), text };
    else throw new FerryError('FERRY_CONFIG_INVALID', `settings.cdcStopPosition "${text}" is not a stop point: expected server_time:<ISO time>, commit_time:<ISO time>, or ${pg ? 'an LSN "X/Y" (16/B374D848)' : 'a binlog "file:position" (mysql-bin.000042:1234)'}`);
  }
  return { start, stop };
}

export interface CdcWindowSettings {
  readonly cdcStartPosition?: string | undefined;
  readonly cdcStartTime?: string | undefined;
  readonly cdcStopPosition?: string | undefined;
}

/** Task-level checks (app/src/task-file/task-schema.ts): start points need migrationType cdc; stop points a streaming task. */
export function cdcWindowProblems(t: { readonly migrationType: string; readonly settings: CdcWindowSettings }): { path: readonly (string | number)[]; message: string }[] {
  const out: { path: readonly (string | number)[]; message: string }[] = [];
  const s = t.settings;
  for (const key of ['cdcStartPosition', 'cdcStartTime'] as const) {
    if (s[key] !== undefined && t.migrationType !== 'cdc') {
      out.push({ path: ['settings', key], message: `${key} needs migrationType cdc: a ${t.migrationType} task starts its stream at its snapshot's position (anything else would leave a gap or duplicates between the copy and the stream)` });
    }
  }
  if (s.cdcStartPosition !== undefined && s.cdcStartTime !== undefined) out.push({ path: ['settings', 'cdcStartTime'], message: 'give cdcStartPosition or cdcStartTime, not both' });
  if (s.cdcStopPosition !== undefined && t.migrationType === 'full-load') out.push({ path: ['settings', 'cdcStopPosition'], message: 'cdcStopPosition stops change capture, and a full-load task has none' });
  for (const key of ['cdcStopPosition', 'cdcStartTime'] as const) {
    const v = s[key];
    if (v === undefined) continue;
    const m = STOP_TIME.exec(v.trim());
    const text = key === 'cdcStopPosition' ? (m ? m[2]! : null) : v;
    if (text !== null) {
      try { parseCdcTime(text, key); } catch (e: unknown) { out.push({ path: ['settings', key], message: (e as Error).message }); }
    }
  }
  return out;
}

/** The "CDC start and stop points" section of docs/configuration.md (app/src/task-file/config-docs.ts). */
export const CDC_WINDOW_DOC: readonly string[] = [
  '## CDC start and stop points',
  '',
  'AWS DMS\'s `CdcStartPosition`, `CdcStartTime` and `CdcStopPosition` are `settings.cdcStartPosition`, `settings.cdcStartTime`',
  'and `settings.cdcStopPosition` (the DMS importer maps them onto these).',
  '',
  '| setting | forms | applies to | meaning |',
  '|---|---|---|---|',
  '| `cdcStartPosition` | MySQL/MariaDB `file:position` (`mysql-bin.000042:1234`), MySQL GTID set (`uuid:1-42`), MariaDB GTID list (`0-1-42`); PostgreSQL LSN `X/Y` | `migrationType: cdc`, first run | start reading there instead of at the current position |',
  '| `cdcStartTime` | ISO 8601 (no zone = UTC) or epoch seconds | `migrationType: cdc`, first run | emit the transactions committed at or after the time |',
  '| `cdcStopPosition` | `server_time:<ISO time>`, `commit_time:<ISO time>`, or a native position as above (not a GTID set) | `cdc`, `full-load-and-cdc` | commit everything before the point, then end the task (exit 0) |',
  '',
  '- A start point is refused with `full-load` and `full-load-and-cdc`: those start streaming at their snapshot\'s position, and',
  '  any other start would leave a gap or duplicates between the copy and the stream. `cdcStartPosition` and `cdcStartTime` exclude each other.',
  '- A stored offset wins over a start point: the task resumes, and logs that it ignored the start point.',
  '- Which side of a stop point is in (DMS\'s documentation does not say; Ferry\'s rule): a transaction committed at or before a stop',
  '  time is in, the first one committed after it is out; with a native position, a transaction whose commit lies before the position is in. The task',
  '  commits the last position before the first transaction left out, records the stop in the offset (`ferry offsets show`',
  '  says so), logs it, and exits 0. A run whose stored offset records the same stop point ends at once; change or remove',
  '  `cdcStopPosition` to stream on from there.',
  '- `server_time` and `commit_time` both compare the source\'s commit time. (DMS\'s server_time is the replication server\'s clock.)',
  '  Either also ends the task once the clock passed the time and the stream has read everything the source held then, so an idle',
  '  source stops too; a source whose clock is off from Ferry\'s shifts that by the difference, never what is in.',
  '- How each source finds the points, their resolution and their errors: docs/sources/mysql.md and docs/sources/postgres.md,',
  '  "CDC start and stop points".',
  '',
];
