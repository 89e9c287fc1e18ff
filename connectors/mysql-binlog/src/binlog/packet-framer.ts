/**
 * MySQL client/server packet framing over a byte stream, as a pure state machine: socket chunks in, whole
 * payloads out. Each packet is a 3-byte little-endian payload length, a 1-byte sequence id, then the payload; a
 * payload of 16 MiB - 1 bytes or more is split into 0xffffff-byte packets followed by a shorter one (possibly
 * empty), which `next()` joins back into one payload.
 *
 * A payload that lies within one chunk is returned as a view of that chunk (no copy): whoever keeps bytes of it
 * beyond the current call must copy them.
 */

const MAX_PACKET = 0xffffff;
/** releaseChunks() copies at most this many unread bytes. */
const COPY_TAIL_BYTES = 16 * 1024;

export class PacketFramer {
  #chunks: Buffer[] = [];
  #first = 0; // index of the first unread chunk (read chunks are dropped in groups)
  #head = 0; // read offset in #chunks[#first]
  #buffered = 0; // unread bytes over all chunks
  #parts: Buffer[] = []; // pieces of a payload split over 0xffffff-byte packets

  /** Bytes received and not yet returned as payloads. */
  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** The next whole payload, or null when more bytes are needed. */
  next(): Buffer | null {
    for (;;) {
      if (this.#buffered < 4) return null;
      const len = this.#peekLength();
      if (this.#buffered < 4 + len) return null;
      this.#skip(4);
      const payload = this.#take(len);
      if (len === MAX_PACKET) {
        this.#parts.push(Buffer.from(payload)); // copied: the chunk it lies in may be released before the last part
        continue;
      }
      if (this.#parts.length === 0) return payload;
      this.#parts.push(payload);
      const whole = Buffer.concat(this.#parts);
      this.#parts = [];
      return whole;
    }
  }

  /**
   * Lets go of the socket chunks when what is left unread of them is a small part of a packet: that part is copied
   * and the chunks are dropped. Called when next() has returned null. Otherwise a 64 KiB chunk stays referenced until
   * the rest of its last packet arrives, which under backpressure is long enough for V8 to promote it, and each one is
   * then resident until the next full collection (docs/performance.md, "Memory"). Whether the framer now holds none
   * of the chunks pushed so far.
   */
  releaseChunks(): boolean {
    const n = this.#buffered;
    if (n === 0) return true; // every chunk was read to its end, and dropped
    const count = this.#chunks.length - this.#first;
    if (n > COPY_TAIL_BYTES || count > 4) return false;
    let held = 0;
    for (let i = this.#first; i < this.#chunks.length; i++) held += this.#chunks[i]!.length;
    if (held < 4 * n) return false; // the chunks are little more than the tail: nothing to gain
    const tail = Buffer.from(this.#take(n));
    this.#chunks = [tail];
    this.#first = 0;
    this.#head = 0;
    this.#buffered = n;
    return true;
  }

  #peekLength(): number {
    const first = this.#chunks[this.#first]!;
    if (first.length - this.#head >= 3) return first[this.#head]! | (first[this.#head + 1]! << 8) | (first[this.#head + 2]! << 16);
    let v = 0;
    let shift = 0;
    let ci = this.#first;
    let off = this.#head;
    while (shift < 24) {
      const c = this.#chunks[ci]!;
      if (off >= c.length) { ci++; off = 0; continue; }
      v |= c[off++]! << shift;
      shift += 8;
    }
    return v;
  }

  #skip(n: number): void {
    while (n > 0) {
      const c = this.#chunks[this.#first]!;
      const avail = c.length - this.#head;
      if (avail > n) { this.#head += n; this.#buffered -= n; return; }
      n -= avail;
      this.#buffered -= avail;
      this.#head = 0;
      if (++this.#first === this.#chunks.length) { this.#chunks = []; this.#first = 0; }
      else if (this.#first >= 64) { this.#chunks = this.#chunks.slice(this.#first); this.#first = 0; }
    }
  }

  #take(n: number): Buffer {
    const c = this.#chunks[this.#first];
    if (n === 0) return Buffer.alloc(0);
    if (c && c.length - this.#head >= n) {
      const out = c.subarray(this.#head, this.#head + n);
      this.#skip(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const cur = this.#chunks[this.#first]!;
      const k = Math.min(cur.length - this.#head, n - filled);
      cur.copy(out, filled, this.#head, this.#head + k);
      filled += k;
      this.#skip(k);
    }
    return out;
  }
}

/** One packet (header + payload) as the client sends it; `seq` is the sequence id (0 for a new command). */
export function framePacket(payload: Buffer, seq = 0): Buffer {
  if (payload.length >= MAX_PACKET) throw new Error(`a client packet of ${payload.length} bytes is larger than Ferry sends`);
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUIntLE(payload.length, 0, 3);
  out[3] = seq;
  payload.copy(out, 4);
  return out;
}
