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
 *
 * The file is a sequence of chunks, one per flush of the write buffer, each holding whole records. With
 * settings.stateEncryption each chunk is sealed (AES-256-GCM, runtime/src/encryption/record-cipher.ts) and framed
 * as [u32 length][sealed record], bound to the file and the chunk's index; without it a chunk is the records as
 * they are. Cutting back inside a chunk rewrites that chunk's kept part as a new chunk (with a fresh nonce).
 */
import { mkdirSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { frameChunk, openChunk, type RecordCipher } from '../../../runtime/src/encryption/record-cipher.ts';

const HEADER = 12;
const WRITE_BUFFER = 1024 * 1024;

export interface SpilledRecord {
  readonly lsn: bigint;
  readonly data: Buffer;
}

export class SpillFile {
  readonly path: string;
  readonly #cipher: RecordCipher | null;
  readonly #context: string;
  #fh: FileHandle | null = null;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Record bytes in the file (before encryption). */
  #flushed = 0;
  /** Bytes of the file (with the chunks' framing and tags). */
  #fileBytes = 0;
  /** The chunks in the file: where each starts in record bytes and in the file, and its record bytes. */
  #chunks: { plainStart: number; fileStart: number; plainLength: number; fileLength: number }[] = [];
  /** Data records so far. */
  #count = 0;
  /** First record index and byte offset (in record bytes) of each subtransaction, in order of first change. */
  #subxacts: { xid: number; offset: number; index: number }[] = [];
  #seen = new Set<number>();
  /** Relation/Type messages with the number of data records before them. */
  #schema: { index: number; lsn: bigint; data: Buffer }[] = [];

  /** `cipher`: the state directory's (settings.stateEncryption), or null to write the records as they are. */
  constructor(dir: string, xid: number, cipher: RecordCipher | null = null) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `xid-${xid}.spill`);
    this.#cipher = cipher;
    this.#context = `pg-spill/xid-${xid}`;
  }

  get records(): number {
    return this.#count;
  }

  /** Record bytes spilled (before encryption). */
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
    const plain = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    await this.#writeChunk(plain);
  }

  async #writeChunk(plain: Buffer): Promise<void> {
    const stored = this.#cipher ? frameChunk(this.#cipher, plain, this.#context, this.#chunks.length) : plain;
    const fh = await this.#file();
    await fh.write(stored, 0, stored.length, this.#fileBytes);
    this.#chunks.push({ plainStart: this.#flushed, fileStart: this.#fileBytes, plainLength: plain.length, fileLength: stored.length });
    this.#flushed += plain.length;
    this.#fileBytes += stored.length;
  }

  async #readChunk(i: number): Promise<Buffer> {
    const c = this.#chunks[i]!;
    const buf = Buffer.allocUnsafe(c.fileLength);
    const { bytesRead } = await this.#fh!.read(buf, 0, c.fileLength, c.fileStart);
    if (bytesRead !== c.fileLength) throw new Error(`spill file ${this.path} is shorter than written (chunk ${i}: ${bytesRead} of ${c.fileLength} bytes)`);
    const plain = this.#cipher ? openChunk(this.#cipher, buf, this.#context, i, `spill file ${this.path}`) : buf;
    if (plain.length !== c.plainLength) throw new Error(`spill file ${this.path}: chunk ${i} holds ${plain.length} bytes, ${c.plainLength} were written`);
    return plain;
  }

  /** Forgets the changes of subtransaction `subxid` (and of everything after its first change). */
  async abortSubtransaction(subxid: number): Promise<void> {
    const i = this.#subxacts.findIndex((s) => s.xid === subxid);
    if (i < 0) return;
    const { offset, index } = this.#subxacts[i]!;
    for (const s of this.#subxacts.slice(i)) this.#seen.delete(s.xid);
    this.#subxacts.length = i;
    await this.flush();
    // The chunk the cut falls in: its part before the cut is written again as a new last chunk.
    const at = this.#chunks.findIndex((c) => c.plainStart + c.plainLength > offset);
    if (at >= 0) {
      const c = this.#chunks[at]!;
      const keep = offset > c.plainStart ? Buffer.from((await this.#readChunk(at)).subarray(0, offset - c.plainStart)) : null;
      const fh = await this.#file();
      await fh.truncate(c.fileStart);
      this.#chunks.length = at;
      this.#flushed = c.plainStart;
      this.#fileBytes = c.fileStart;
      if (keep) await this.#writeChunk(keep);
    }
    this.#count = index;
    for (const s of this.#schema) if (s.index > index) s.index = index;
  }

  /** The transaction's messages in arrival order: schema messages interleaved with the spilled changes. */
  async *replay(): AsyncGenerator<SpilledRecord> {
    await this.flush();
    let schemaAt = 0;
    const schema = this.#schema;
    let index = 0;
    for (let i = 0; i < this.#chunks.length; i++) {
      const chunk = await this.#readChunk(i);
      let p = 0;
      while (p < chunk.length) {
        if (p + HEADER > chunk.length || p + HEADER + chunk.readUInt32BE(p) > chunk.length) throw new Error(`spill file ${this.path}: chunk ${i} ends in a partial record`);
        const len = chunk.readUInt32BE(p);
        while (schemaAt < schema.length && schema[schemaAt]!.index <= index) yield schema[schemaAt++]!;
        yield { lsn: chunk.readBigUInt64BE(p + 4), data: chunk.subarray(p + HEADER, p + HEADER + len) };
        index++;
        p += HEADER + len;
      }
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
