/** Kafka mode: the source position from the source block, in Ferry's Position format (binlog file/pos or LSN). */
import { binlogPosition, lsnPosition } from '../../../core/src/position.ts';

const filePrefixes = new Map<string, { readonly head: string; readonly tail: string } | null>();

/** binlogPosition() of a binlog file, split around the 12-digit byte position (cached per file); null when `file` is not a binlog file name. */
export function binlogParts(file: string): { readonly head: string; readonly tail: string } | null {
  let parts = filePrefixes.get(file);
  if (parts === undefined) {
    try {
      const sample = binlogPosition({ file, pos: 0 });
      const i = sample.indexOf(':000000000000:');
      parts = { head: sample.slice(0, i + 1), tail: sample.slice(i + 13) };
    } catch {
      parts = null;
    }
    if (filePrefixes.size > 1000) filePrefixes.clear();
    filePrefixes.set(file, parts);
  }
  return parts;
}

export function positionFromSource(src: Readonly<Record<string, unknown>>): string | null {
  if (src.lsn !== undefined && src.lsn !== null) return lsnPosition(BigInt(src.lsn as number));
  const file = src.file;
  const pos = src.pos;
  if (typeof file !== 'string' || file === '' || pos === undefined || pos === null) return null;
  const parts = binlogParts(file);
  const p = String(pos);
  return parts === null ? `${file}:${p}` : `${parts.head}${p.padStart(12, '0')}${parts.tail}`;
}
