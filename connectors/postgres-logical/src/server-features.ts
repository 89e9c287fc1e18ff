/**
 * What the PostgreSQL server's version gives the source (server_version_num), in one place. docs/sources/postgres.md
 * "PostgreSQL versions" lists the same. Ferry supports 12 and later; the test suite runs on 13 and 17 besides 15
 * (infra/pg-versions.sh).
 *
 *   13   pgoutput protocol 1 only: no `messages` (logical decoding messages are not sent: no outbox messages, and
 *        the heartbeat is not seen, so idle checkpoints come from the walsender's keepalives instead), no `streaming`
 *        (a large transaction is decoded by the server, spilling to its own disk, and sent after it commits)
 *   14   protocol 2: `streaming` of in-progress transactions (Ferry spills them, spill-file.ts) and `messages`;
 *        TID range scans for keyless snapshot chunks; numeric Infinity
 *   15   protocol 3 (two-phase, not used: Ferry sees prepared transactions when they commit), row filters and
 *        column lists in publications
 *   16   protocol 4 (parallel apply, not used: one reader), logical decoding on a standby
 *   17   failover slots (CREATE_REPLICATION_SLOT … (FAILOVER), synchronized to standbys by sync_replication_slots)
 */
import { FerryError } from '../../../core/src/errors.ts';

export interface PgFeatures {
  readonly versionNum: number;
  /** The pgoutput protocol Ferry asks for: 2 where the server has it (14+), else 1. */
  readonly protoVersion: 1 | 2;
  /** pgoutput `streaming 'on'`: in-progress transactions larger than logical_decoding_work_mem (14+). */
  readonly streaming: boolean;
  /** pgoutput `messages 'true'`: logical decoding messages, the outbox's and the heartbeat's (14+). */
  readonly messages: boolean;
  /** Checkpoints at keepalive positions while idle (where the heartbeat message is not seen: 13, or a standby). */
  readonly keepalivePositions: boolean;
  /** The server is a hot standby (pg_is_in_recovery()): nothing can be written there, heartbeats included. */
  readonly standby: boolean;
  /** The slot monitor writes heartbeat messages (pg_logical_emit_message): not on a standby. */
  readonly heartbeatMessages: boolean;
  /** Logical decoding (a slot and a walsender) on a hot standby (16+). */
  readonly standbyDecoding: boolean;
  /** Failover slots: the FAILOVER option of CREATE_REPLICATION_SLOT (17+). */
  readonly failoverSlots: boolean;
}

export function pgFeatures(versionNum: number, options: { readonly standby?: boolean } = {}): PgFeatures {
  const v14 = versionNum >= 140000;
  const standby = options.standby === true;
  return {
    versionNum, protoVersion: v14 ? 2 : 1, streaming: v14, messages: v14, keepalivePositions: !v14 || standby,
    standby, heartbeatMessages: !standby, standbyDecoding: versionNum >= 160000, failoverSlots: versionNum >= 170000,
  };
}

/** "13.23" from 130023, "9.6.24" style is not needed (12+). */
export function versionText(versionNum: number): string {
  return `${Math.floor(versionNum / 10000)}.${versionNum % 10000}`;
}

/** What a task asks for that the server cannot give, as one refusal naming the option and the fix; null when none. */
export function unsupportedFeature(f: PgFeatures, asked: { readonly messagePrefixes: readonly string[]; readonly failoverSlot: boolean; readonly managedPublication: boolean }): FerryError | null {
  const v = versionText(f.versionNum);
  if (f.standby && !f.standbyDecoding) {
    return new FerryError('FERRY_UNSUPPORTED', `this server is a standby (in recovery) running PostgreSQL ${v}: logical decoding on a standby needs PostgreSQL 16 or later. Point source.host/port at the primary, or upgrade`, { disposition: 'fatal' });
  }
  if (f.standby && asked.managedPublication) {
    return new FerryError('FERRY_CONFIG_INVALID', 'this server is a standby (in recovery), where Ferry cannot create its publication: create it on the primary (CREATE PUBLICATION <name> FOR TABLE …, the selected tables) and name it in source.publicationName', { disposition: 'fatal' });
  }
  if (f.standby && asked.failoverSlot) {
    return new FerryError('FERRY_UNSUPPORTED', 'source.failoverSlot is for a slot on the primary (a standby\'s slot cannot be a failover slot): remove it, or point the task at the primary', { disposition: 'fatal' });
  }
  if (asked.messagePrefixes.length > 0 && !f.messages) {
    return new FerryError('FERRY_UNSUPPORTED',
      `settings.outbox messagePrefix (${asked.messagePrefixes.map((p) => `"${p}"`).join(', ')}) needs PostgreSQL 14 or later: PostgreSQL ${v}'s pgoutput does not send logical decoding messages (pg_logical_emit_message). ` +
      'Use an outbox table instead (settings.outbox table: insert the outbox rows into a captured table), or upgrade the server', { disposition: 'fatal' });
  }
  if (asked.failoverSlot && !f.failoverSlots) {
    return new FerryError('FERRY_UNSUPPORTED',
      `source.failoverSlot needs PostgreSQL 17 or later (failover slots, synchronized to standbys); this server is PostgreSQL ${v}. ` +
      'Remove source.failoverSlot (after a failover the slot is then gone and the task needs a new snapshot), or upgrade the server', { disposition: 'fatal' });
  }
  return null;
}
