/**
 * Independent readers and expectations for the format round trips (test/e2e/output-formats-*.test.ts, docs/formats.md):
 * fixture values as Kafka Connect's JsonConverter and Google's MessageToDict print them, the registry's stored schemas
 * fetched over plain HTTP, and the Python protobuf reader (test/helpers/protobuf_reader.py).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { services } from './services.ts';

/** The fixture values as Kafka Connect's JsonConverter writes them: bytes base64, NaN/±Infinity as strings, -0 as 0. */
export function connectJson(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v === 0 ? 0 : v;
  if (Array.isArray(v)) return v.map(connectJson);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, connectJson(x)]));
  return v;
}

/** JSON text must carry int64 values beyond 2^53 exactly (JSON.parse rounds them). */
export function assertExactInt64(text: string, values: readonly bigint[] = [9223372036854775807n, -9223372036854775808n, 9007199254740993n]): void {
  for (const v of values) assert.ok(text.includes(String(v)), `int64 ${v} written as exact digits`);
}

export async function registrySchema(id: number): Promise<{ schema: string; schemaType?: string }> {
  const res = await fetch(`${services.registryUrl}/schemas/ids/${id}`);
  assert.equal(res.status, 200, `registry has schema id ${id}`);
  return (await res.json()) as { schema: string; schemaType?: string };
}

/** The fixture values as Google's MessageToDict prints them: integers as strings (int64) or numbers (normalized to strings here), bytes base64, unset optional fields absent, arrays of {value} wrappers. */
export function protoJson(v: unknown, key = ''): unknown {
  if (v === null || v === undefined) return undefined;
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : Number.isInteger(v) ? String(v === 0 ? 0 : v) : v;
  if (Array.isArray(v)) return { values: v.map((x) => { const y = protoJson(x); return y === undefined ? {} : { value: y }; }) };
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const y = key === 'extensions' ? { value: protoJson(x) } : protoJson(x, k);
      if (y !== undefined) out[k] = y;
    }
    return key === 'extensions' ? { entries: out } : out;
  }
  return v;
}

/** Python's JSON: integers of int32 fields come back as numbers, of int64 fields as strings; compare as strings. */
export function normProto(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v;
  if (Array.isArray(v)) return v.map(normProto);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normProto(x)]));
  return v;
}

/**
 * A Python with grpcio-tools (protoc and Google's protobuf runtime): FERRY_PROTOBUF_PYTHON, else .tools/protobuf-venv,
 * created on first use (pip install of pinned grpcio-tools and protobuf from PyPI) in a temporary folder and renamed into place, so two test
 * files starting at once do not install into the same folder.
 */
export function protobufPython(): string {
  if (process.env.FERRY_PROTOBUF_PYTHON) return process.env.FERRY_PROTOBUF_PYTHON;
  const venv = join(process.cwd(), '.tools/protobuf-venv');
  const py = join(venv, 'bin/python');
  if (!existsSync(py)) {
    const tmp = `${venv}.${process.pid}`;
    execFileSync('python3', ['-m', 'venv', tmp]);
    execFileSync(join(tmp, 'bin/pip'), ['install', '-q', 'grpcio-tools==1.85.4', 'protobuf==7.36.2'], { stdio: 'inherit' });
    try {
      renameSync(tmp, venv);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another test file installed it first
    }
  }
  return py;
}

/** avsc reads longs as bigints; compare values. */
export function assertRow(got: Record<string, unknown>, want: Record<string, unknown>, what: string): void {
  const norm = (v: unknown): unknown => {
    if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return v;
    if (Array.isArray(v)) return v.map(norm);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
  };
  assert.deepStrictEqual(norm(got), norm(want), what);
}

/** Decodes Confluent-framed Protobuf payloads with Python's google.protobuf and the .proto text; one JSON object each. */
export function readProtobuf(protoText: string, message: string, payloads: readonly Buffer[]): { schemaId: number; indexes: number[]; value: Record<string, unknown> }[] {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-proto-'));
  writeFileSync(join(dir, 'schema.proto'), protoText);
  const run = spawnSync(protobufPython(), [join(process.cwd(), 'test/helpers/protobuf_reader.py'), dir, message], { input: payloads.map((p) => p.toString('hex')).join('\n'), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { schemaId: number; indexes: number[]; value: Record<string, unknown> });
}
