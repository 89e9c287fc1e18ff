/** The stored form of an offset: JSON with a format version, shared by every offset store. */
import { FerryError } from '../../../core/src/errors.ts';
import type { Position, StoredOffset } from '../../../core/src/types.ts';

export const OFFSET_FORMAT_VERSION = 1;

export function encodeOffset(o: StoredOffset): string {
  return JSON.stringify({ formatVersion: OFFSET_FORMAT_VERSION, position: o.position, snapshotDone: o.snapshotDone, ...(o.state ? { state: o.state } : {}) });
}

export function decodeOffset(text: string, what: string): StoredOffset {
  let v: { formatVersion?: unknown; position?: unknown; snapshotDone?: unknown; state?: unknown };
  try {
    v = JSON.parse(text) as typeof v;
  } catch (e: unknown) {
    throw new FerryError('FERRY_OFFSET_STORE', `${what} is not valid JSON; it was written by something else or is damaged`, { cause: e, disposition: 'fatal' });
  }
  if (v.formatVersion !== OFFSET_FORMAT_VERSION || typeof v.position !== 'string' || typeof v.snapshotDone !== 'boolean') {
    throw new FerryError('FERRY_OFFSET_STORE', `${what} has an unknown format (formatVersion ${String(v.formatVersion)}); this Ferry reads version ${OFFSET_FORMAT_VERSION}`, { disposition: 'fatal' });
  }
  return {
    formatVersion: OFFSET_FORMAT_VERSION, position: v.position as Position, snapshotDone: v.snapshotDone,
    ...(v.state && typeof v.state === 'object' ? { state: v.state as Record<string, unknown> } : {}),
  };
}
