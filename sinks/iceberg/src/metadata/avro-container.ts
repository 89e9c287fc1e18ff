/**
 * Avro object container files (https://avro.apache.org/docs/1.11.1/specification/#object-container-files), written
 * and read with avsc's type codecs. Iceberg's manifests and manifest lists are such files, and their readers need
 * the writer's schema exactly as Iceberg states it (field ids as `field-id` attributes, maps of int keys as arrays
 * with logicalType "map"), so the header carries the schema JSON verbatim and the key/value metadata Iceberg asks for.
 */
import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import avro from 'avsc';

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]);
const metaType = avro.Type.forSchema({ type: 'map', values: 'bytes' });
const longType = avro.Type.forSchema('long');

/** An Avro container file of `records` (plain objects matching `schema`), deflate-compressed, in one block. */
export function writeContainer(schema: object, records: readonly unknown[], metadata: Readonly<Record<string, string>>): Buffer {
  const type = avro.Type.forSchema(schema as avro.Schema, { registry: {} });
  const meta: Record<string, Buffer> = { 'avro.schema': Buffer.from(JSON.stringify(schema)), 'avro.codec': Buffer.from('deflate') };
  for (const [k, v] of Object.entries(metadata)) meta[k] = Buffer.from(v);
  const sync = randomBytes(16);
  const parts: Buffer[] = [MAGIC, metaType.toBuffer(meta), sync];
  if (records.length > 0) {
    const body = deflateRawSync(Buffer.concat(records.map((r) => type.toBuffer(r))));
    parts.push(longType.toBuffer(records.length), longType.toBuffer(body.length), body, sync);
  }
  return Buffer.concat(parts);
}

export interface Container {
  readonly schema: object;
  readonly metadata: Readonly<Record<string, string>>;
  readonly records: unknown[];
}

/** Reads a container file written by anyone (codecs null and deflate), decoding records with the writer's schema. */
export function readContainer(buf: Buffer): Container {
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC)) throw new Error('not an Avro container file (bad magic)');
  const m = metaType.decode(buf, 4) as { value: Record<string, Buffer>; offset: number };
  if (m.offset < 0) throw new Error('truncated Avro header');
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.value)) metadata[k] = v.toString();
  const schema = JSON.parse(metadata['avro.schema'] ?? 'null') as object;
  const codec = metadata['avro.codec'] ?? 'null';
  if (codec !== 'null' && codec !== 'deflate') throw new Error(`Avro codec ${codec} is not supported (null, deflate)`);
  const type = avro.Type.forSchema(schema as avro.Schema, { registry: {} });
  let pos = m.offset + 16;
  const records: unknown[] = [];
  while (pos < buf.length) {
    const n = longType.decode(buf, pos) as { value: number; offset: number };
    const size = longType.decode(buf, n.offset) as { value: number; offset: number };
    let block = buf.subarray(size.offset, size.offset + size.value);
    if (codec === 'deflate') block = inflateRawSync(block);
    let p = 0;
    for (let i = 0; i < n.value; i++) {
      const r = type.decode(block, p) as { value: unknown; offset: number };
      if (r.offset < 0) throw new Error('truncated Avro block');
      records.push(r.value);
      p = r.offset;
    }
    pos = size.offset + size.value + 16;
  }
  return { schema, metadata, records };
}
