/**
 * MySQL GTID events (libbinlogevents control_events.h, Gtid_event).
 *
 * GTID_LOG_EVENT (type 33): Ferry reads only the GTID, flags (1) then source UUID (16) and GNO (8, little-endian)
 * at the start of the post-header (binlog-events.ts parseMySqlGtid); the logical clock, the commit timestamps,
 * transaction_length and the server versions that MySQL 8.0 adds after it are not needed and skipped.
 *
 * GTID_TAGGED_LOG_EVENT (type 42, MySQL 8.4 with `SET gtid_next='AUTOMATIC:<tag>'` or a tagged GTID) is written
 * in the mysql::serialization format instead; Ferry does not decode it and stops with a coded error rather
 * than lose the GTID (see parseTaggedGtidEvent).
 */
import { FerryError } from '../../../../core/src/errors.ts';

/**
 * GTID_TAGGED_LOG_EVENT (MySQL 8.4): not decoded. Skipping it would leave the transaction's GTID out of the
 * checkpoint's GTID set, and a resume by GTID would then re-read or mis-order transactions; so it is an error
 * naming the fix.
 */
export function parseTaggedGtidEvent(_b: Buffer, _off: number, _end: number, where: string): never {
  throw new FerryError('FERRY_SOURCE_PREREQUISITE',
    `the binlog holds a tagged GTID (GTID_TAGGED_LOG_EVENT, MySQL 8.4) at ${where}, which Ferry cannot decode yet. ` +
    "Stop assigning tagged GTIDs on the source (SET gtid_next='AUTOMATIC:<tag>' or 'uuid:tag:n' in sessions or by replication), " +
    'then start the task again from a position after these transactions (`ferry offsets reset` and full-load-and-cdc)',
    { details: { position: where } });
}
