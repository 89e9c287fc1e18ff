/**
 * The changes of one streamed (still uncommitted) transaction, spilled to a file so that memory stays bounded
 * and nothing reaches the sink before the transaction commits (protocol 2 streaming sends changes of large
 * in-progress transactions; an abort must leave no trace downstream).
 *
 * Records: [u32 length][u64 LSN][pgoutput message], appended through a 1 MiB write buffer. Relation and Type
 * messages are kept in memory (there are few), tagged with the number of data records before them, so that a
 * replay interleaves them exactly where they arrived.
 *
 * A subtransaction abort (Stream Abort with subxid ≠ xid) cuts the file back to the first change of that
 * subtransaction, as PostgreSQL's own apply worker does: subtransactions are nested and sequential, so every
 * change after that point belongs to the aborted subtransaction or to its children.
 */
import { mkdirSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

const HEADER = 12;
const WRITE_BUFFER = 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

export interface SpilledRecord {
  readonly lsn: bigint;
  readonly data: Buffer;
}

export class SpillFile {
  readonly path: string;
  #fh: FileHandle | null = null;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes written to the file. */
  #flushed = 0;
  /** Data records so far. */
  #count = 0;
  /** First record index and byte offset of each subtransaction, in order of first change. */
  #subxacts: { xid: number; offset: number; index: number }[] = [];
  #seen = new Set<number>();
  /** Relation/Type messages with the number of data records before them. */
  #schema: { index: number; lsn: bigint; data: Buffer }[] = [];

  constructor(dir: string, xid: number) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `xid-${xid}.spill`);
  }

  get records(): number {
    return this.#count;
  }

  get bytes(): number {
    return this.#flushed + this.#pendingBytes;
  }

  async #file(): Promise<FileHandle> {
    this.#fh ??= await open(this.path, 'w+');
    return this.#fh;
  }

  /** A Relation or Type message of this transaction. */
  addSchema(lsn: bigint, data: Buffer): void {
    this.#schema.push({ index: this.#count, lsn, data: Buffer.from(data) });
  }

  /** A change (Insert/Update/Delete/Truncate/Message) of (sub)transaction `xid`. */
  async append(lsn: bigint, xid: number, data: Buffer): Promise<void> {
    if (!this.#seen.has(xid)) {
      this.#seen.add(xid);
      this.#subxacts.push({ xid, offset: this.bytes, index: this.#count });
    }
    const h = Buffer.allocUnsafe(HEADER);
    h.writeUInt32BE(data.length, 0);
    h.writeBigUInt64BE(lsn, 4);
    this.#pending.push(h, data);
    this.#pendingBytes += HEADER + data.length;
    this.#count++;
    if (this.#pendingBytes >= WRITE_BUFFER) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const buf = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    const fh = await this.#file();
    await fh.write(buf, 0, buf.length, this.#flushed);
    this.#flushed += buf.length;
  }

  /** Forgets the changes of subtransaction `subxid` (and of everything after its first change). */
  async abortSubtransaction(subxid: number): Promise<void> {
    const i = this.#subxacts.findIndex((s) => s.xid === subxid);
    if (i < 0) return;
    const { offset, index } = this.#subxacts[i]!;
    for (const s of this.#subxacts.slice(i)) this.#seen.delete(s.xid);
    this.#subxacts.length = i;
    await this.flush();
    const fh = await this.#file();
    await fh.truncate(offset);
    this.#flushed = offset;
    this.#count = index;
    for (const s of this.#schema) if (s.index > index) s.index = index;
  }

  /** The transaction's messages in arrival order: schema messages interleaved with the spilled changes. */
  async *replay(): AsyncGenerator<SpilledRecord> {
    await this.flush();
    let schemaAt = 0;
    const schema = this.#schema;
    let index = 0;
    const fh = this.#fh;
    let carry = Buffer.alloc(0);
    let position = 0;
    for (;;) {
      while (schemaAt < schema.length && schema[schemaAt]!.index <= index) yield schema[schemaAt++]!;
      if (fh === null || position >= this.#flushed) {
        if (carry.length === 0) break;
      }
      let chunk = carry;
      if (fh !== null && position < this.#flushed) {
        const want = Math.min(READ_CHUNK, this.#flushed - position);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, position);
        position += bytesRead;
        chunk = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      }
      let p = 0;
      while (p + HEADER <= chunk.length) {
        const len = chunk.readUInt32BE(p);
        if (p + HEADER + len > chunk.length) break;
        while (schemaAt < schema.length && schema[schemaAt]!.index <= index) yield schema[schemaAt++]!;
        yield { lsn: chunk.readBigUInt64BE(p + 4), data: chunk.subarray(p + HEADER, p + HEADER + len) };
        index++;
        p += HEADER + len;
      }
      carry = Buffer.from(chunk.subarray(p));
      if (position >= this.#flushed && p === 0 && carry.length > 0) throw new Error(`spill file ${this.path} ends in a partial record`);
    }
    while (schemaAt < schema.length) yield schema[schemaAt++]!;
  }

  async discard(): Promise<void> {
    const fh = this.#fh;
    this.#fh = null;
    this.#pending = [];
    this.#pendingBytes = 0;
    await fh?.close().catch(() => undefined);
    await rm(this.path, { force: true });
  }
}

/** Removes spill files a previous run left behind (their transactions are re-sent from the slot). */
export async function clearSpillDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}
