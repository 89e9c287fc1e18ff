/**
 * Column buffers for the lake's columnar path: values are written into plain typed arrays (one per column, the
 * DuckDB vector's own layout) and copied into a DuckDB data chunk with one native call per column per 2048 rows,
 * instead of a JS object and a native call per value.
 *
 * Strings and blobs: each value is a 16-byte duckdb_string_t (the C API's public layout: uint32 length, then the
 * bytes inline when ≤ 12, else a 4-byte prefix and a pointer). The long values of a chunk are concatenated into one
 * heap, assigned to the vector as ONE string (DuckDB copies it into the vector's string heap and validates it as
 * UTF-8 — a concatenation of valid UTF-8 strings is valid UTF-8), and every long entry then points into that copy.
 */
import { createRequire } from 'node:module';
import type { DuckDBDataChunk } from '@duckdb/node-api';
import type { ColumnCodec, WritableVector } from '../../../runtime/src/columnar/column-types.ts';

/** The few @duckdb/node-bindings calls used here (the bindings of @duckdb/node-api, resolved from it). */
interface Bindings {
  data_chunk_get_vector(chunk: unknown, column: number): unknown;
  vector_get_data(vector: unknown, byteCount: number): Uint8Array;
  vector_ensure_validity_writable(vector: unknown): void;
  vector_assign_string_element_len(vector: unknown, index: number, data: Uint8Array): void;
  copy_data_to_vector(vector: unknown, targetOffset: number, source: ArrayBufferLike, sourceOffset: number, count: number): void;
  copy_data_to_vector_validity(vector: unknown, targetOffset: number, source: ArrayBufferLike, sourceOffset: number, count: number): void;
}

const require = createRequire(createRequire(import.meta.url).resolve('@duckdb/node-api'));
export const duck = require('@duckdb/node-bindings') as Bindings;

export const CHUNK = 2048;
const TWO32 = 4294967296;

/** fixed: a fixed-width value (width bytes); str: VARCHAR/BLOB; generic: a JS value written with the codec into a node-api vector. */
export type ColKind = 'fixed' | 'str' | 'generic';

export class Col {
  readonly kind: ColKind;
  readonly width: number;
  readonly bytes: Uint8Array;
  readonly i8: Int8Array;
  readonly i16: Int16Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly valid = new Uint8Array(CHUNK / 8);
  hasNull = false;
  /** str: the 16-byte entries as uint32s. */
  readonly st32: Uint32Array;
  heap: Buffer;
  hl = 0;
  /** generic: the codec and the node-api vector of the current chunk. */
  readonly codec: ColumnCodec | null;
  vec: WritableVector | null = null;

  constructor(kind: ColKind, width: number, codec: ColumnCodec | null = null) {
    this.kind = kind;
    this.width = kind === 'str' ? 16 : kind === 'fixed' ? width : 0;
    const buf = new ArrayBuffer(CHUNK * Math.max(8, this.width));
    this.bytes = new Uint8Array(buf);
    this.i8 = new Int8Array(buf);
    this.i16 = new Int16Array(buf);
    this.i32 = new Int32Array(buf);
    this.f64 = new Float64Array(buf);
    this.st32 = new Uint32Array(buf);
    this.heap = Buffer.allocUnsafeSlow(kind === 'str' ? 64 * 1024 : 0);
    this.codec = codec;
  }

  valid1(n: number): void {
    this.valid[n >> 3]! |= 1 << (n & 7);
  }

  setNull(n: number): void {
    this.valid[n >> 3]! &= ~(1 << (n & 7));
    this.hasNull = true;
    if (this.kind === 'str') this.st32[n * 4] = 0;
    else if (this.kind === 'generic') this.vec!.setItem(n, null);
  }

  /** A 64-bit integer given as a safe-integer number. */
  putI64(n: number, v: number): void {
    const hi = Math.floor(v / TWO32);
    this.i32[n * 2] = (v - hi * TWO32) | 0;
    this.i32[n * 2 + 1] = hi;
    this.valid1(n);
  }

  putI64Big(n: number, v: bigint): void {
    this.i32[n * 2] = Number(BigInt.asIntN(32, v));
    this.i32[n * 2 + 1] = Number(BigInt.asIntN(32, v >> 32n));
    this.valid1(n);
  }

  #room(len: number): void {
    if (this.hl + len <= this.heap.length) return;
    const h = Buffer.allocUnsafeSlow(Math.max(this.heap.length * 2, this.hl + len));
    this.heap.copy(h, 0, 0, this.hl);
    this.heap = h;
  }

  /** A string or blob value: `len` bytes of `src` at `start`. */
  putBytes(n: number, src: Uint8Array, start: number, len: number): void {
    const st = this.st32;
    const e = n * 4;
    st[e] = len;
    if (len <= 12) {
      st[e + 1] = 0;
      st[e + 2] = 0;
      st[e + 3] = 0;
      const b = this.bytes;
      const o = n * 16 + 4;
      for (let i = 0; i < len; i++) b[o + i] = src[start + i]!;
    } else {
      this.#room(len);
      const h = this.heap;
      let o = this.hl;
      if (len < 64) for (let i = 0; i < len; i++) h[o + i] = src[start + i]!;
      else h.set(src.subarray(start, start + len), o);
      const b = this.bytes;
      const p = n * 16 + 4;
      b[p] = src[start]!;
      b[p + 1] = src[start + 1]!;
      b[p + 2] = src[start + 2]!;
      b[p + 3] = src[start + 3]!;
      st[e + 2] = o;
      st[e + 3] = 0;
      o += len;
      this.hl = o;
    }
    this.valid1(n);
  }

  /** A JS string value. */
  putString(n: number, s: string): void {
    this.#room(s.length * 3);
    const start = this.hl;
    const len = this.heap.write(s, start);
    this.hl += len;
    // The bytes are where putBytes would copy them to: move them into place (inline, or the heap's end).
    this.hl = start;
    this.putBytes(n, this.heap, start, len);
  }

  /** Copies rows [0, n) into the chunk's column `index`. */
  flush(chunk: DuckDBDataChunk, index: number, n: number): void {
    if (this.kind === 'generic') {
      this.vec!.flush();
      this.vec = null;
      return;
    }
    const vec = duck.data_chunk_get_vector(chunk.chunk, index);
    if (this.kind === 'str' && this.hl > 0) {
      // One string holding every long value; its copy's address, read back from the entry at 0, rebases the others.
      duck.vector_assign_string_element_len(vec, 0, this.heap.subarray(0, this.hl));
      const d = duck.vector_get_data(vec, 16);
      const dv = new DataView(d.buffer, d.byteOffset, 16);
      const lo = dv.getUint32(8, true);
      const hi = dv.getUint32(12, true);
      const st = this.st32;
      for (let i = 0; i < n; i++) {
        const e = i * 4;
        if (st[e]! > 12 && this.#isValid(i)) {
          const p = st[e + 2]! + lo;
          st[e + 2] = p >>> 0;
          st[e + 3] = hi + (p >= TWO32 ? 1 : 0);
        }
      }
      this.hl = 0;
    }
    duck.copy_data_to_vector(vec, 0, this.bytes.buffer, 0, n * this.width);
    if (this.hasNull) {
      duck.vector_ensure_validity_writable(vec);
      duck.copy_data_to_vector_validity(vec, 0, this.valid.buffer, 0, Math.ceil(n / 8));
      this.hasNull = false;
    }
  }

  #isValid(i: number): boolean {
    return (this.valid[i >> 3]! & (1 << (i & 7))) !== 0;
  }
}
