/**
 * settings.cdcStartPosition / cdcStartTime for PostgreSQL (docs/sources/postgres.md "CDC start and stop points"): where
 * a first `migrationType: cdc` run starts reading its replication slot.
 *
 * A logical slot only moves forward, and decodes only WAL written after it was created (from its consistent point):
 *  - an LSN L at or after the slot's position (a new slot's consistent point, an existing slot's confirmed_flush_lsn)
 *    starts there: the walsender skips the transactions whose commit record begins before L.
 *  - an LSN before it is refused, naming both: the changes in between are gone from that slot. An existing slot
 *    (source.slotName) created before L and not advanced past it is the way to start that early.
 *  - a time starts at the slot's position, and the stream skips the transactions committed before it (cdc-window.ts).
 *    A new slot refuses a time before its creation (the oldest time it can serve); for an existing slot Ferry cannot
 *    tell when its position was written (pg_replication_slots keeps no time), so the skip starts from there.
 */
import { FerryError } from '../../../core/src/errors.ts';
import { lsnPosition, formatLsnText, parseLsnText } from '../../../core/src/position.ts';
import type { CdcStart } from '../../../runtime/src/config/cdc-window-settings.ts';
import { slotLostError } from './slot.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** The LSN to start at; throws when the slot cannot give the changes from the start point. */
export function startPointOnSlot(start: CdcStart, s: { slot: string; at: bigint; created: number | null; walStatus: string | null }): bigint {
  if (s.walStatus === 'lost') throw slotLostError(s.slot, 'was invalidated (wal_status lost: its WAL was removed)');
  if (start.kind === 'lsn') {
    const lsn = parseLsnText(start.lsn);
    if (lsn >= s.at) return lsn;
    if (s.created !== null) {
      throw new FerryError('FERRY_SOURCE_ERROR',
        `settings.cdcStartPosition ${formatLsnText(lsn)} is before the new replication slot "${s.slot}" starts (${formatLsnText(s.at)}): PostgreSQL decodes only WAL written after a slot exists, so a new slot cannot start earlier. ` +
        `Start at ${formatLsnText(s.at)} or later, or name an existing slot created before ${formatLsnText(lsn)} that has not advanced past it (source.slotName)`,
        { details: { slot: s.slot, slotStart: lsnPosition(s.at), start: lsnPosition(lsn) } });
    }
    throw new FerryError('FERRY_SOURCE_ERROR',
      `replication slot "${s.slot}" has confirmed_flush_lsn ${formatLsnText(s.at)}, later than settings.cdcStartPosition ${formatLsnText(lsn)}: a slot cannot go back, and the changes between the two are no longer available from it. ` +
      `Start at ${formatLsnText(s.at)} or later, or use a slot that has not advanced past ${formatLsnText(lsn)}`,
      { details: { slot: s.slot, confirmedFlush: lsnPosition(s.at), start: lsnPosition(lsn) } });
  }
  if (start.kind === 'time') {
    if (s.created !== null && start.ms < s.created) {
      throw new FerryError('FERRY_SOURCE_ERROR',
        `settings.cdcStartTime ${iso(start.ms)} is older than the new replication slot "${s.slot}", created at ${iso(s.created)}: PostgreSQL cannot decode changes committed before a slot existed, so ${iso(s.created)} is the oldest time it can start at. ` +
        'Start at that time or later, or name an existing slot created before the time (source.slotName)',
        { details: { slot: s.slot, oldestTime: iso(s.created) } });
    }
    return s.at;
  }
  throw new FerryError('FERRY_CONFIG_INVALID', 'a binlog position or GTID set is a MySQL/MariaDB position: a PostgreSQL start is an LSN "X/Y"');
}

