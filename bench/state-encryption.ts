/**
 * Micro-benchmark of settings.stateEncryption on the spill path (connectors/postgres-logical/src/spill-file.ts): a
 * large transaction of 1 KiB changes appended to a spill file and replayed, with and without encryption (AES-256-GCM
 * per 1 MiB chunk). Prints MB/s and CPU-s for each, and the overhead. No services needed.
 * `scripts/node bench/state-encryption.ts [MiB, default 1024] [rounds, default 2]`.
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpillFile } from '../connectors/postgres-logical/src/spill-file.ts';
import { RecordCipher } from '../runtime/src/encryption/record-cipher.ts';

const MIB = Number(process.argv[2] ?? 1024);
const ROUNDS = Number(process.argv[3] ?? 2);
const RECORD = 1024;
const records = Math.floor((MIB * 1024 * 1024) / (RECORD + 12));
const payload = randomBytes(RECORD);

interface Result { writeMBs: number; readMBs: number; writeCpu: number; readCpu: number; fileMiB: number }

async function once(cipher: RecordCipher | null): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-spill-'));
  try {
    const spill = new SpillFile(dir, 1, cipher);
    const mb = (records * (RECORD + 12)) / 1e6;
    let cpu = process.cpuUsage();
    let t = performance.now();
    for (let i = 0; i < records; i++) await spill.append(BigInt(i), 1, payload);
    await spill.flush();
    const writeS = (performance.now() - t) / 1000;
    const w = process.cpuUsage(cpu);
    const { size } = await import('node:fs/promises').then((m) => m.stat(spill.path));
    cpu = process.cpuUsage();
    t = performance.now();
    let n = 0;
    for await (const r of spill.replay()) n += r.data.length > 0 ? 1 : 0;
    const readS = (performance.now() - t) / 1000;
    const r = process.cpuUsage(cpu);
    if (n !== records) throw new Error(`replayed ${n} of ${records}`);
    await spill.discard();
    return { writeMBs: mb / writeS, readMBs: mb / readS, writeCpu: (w.user + w.system) / 1e6, readCpu: (r.user + r.system) / 1e6, fileMiB: size / 2 ** 20 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cipher = new RecordCipher(randomBytes(16), createSecretKey(randomBytes(32)));
const best = (rs: Result[]): Result => rs.reduce((a, b) => (b.writeMBs + b.readMBs > a.writeMBs + a.readMBs ? b : a));
const plain: Result[] = [];
const sealed: Result[] = [];
for (let i = 0; i < ROUNDS; i++) {
  plain.push(await once(null));
  sealed.push(await once(cipher));
}
const p = best(plain);
const s = best(sealed);
const f = (x: number) => x.toFixed(0).padStart(6);
const c = (x: number) => x.toFixed(2).padStart(6);
console.log(`spill of ${records} changes of ${RECORD} B (${MIB} MiB), best of ${ROUNDS}, node ${process.version}`);
console.log('              write MB/s  write CPU-s   replay MB/s  replay CPU-s   file MiB');
console.log(`plain         ${f(p.writeMBs)}      ${c(p.writeCpu)}        ${f(p.readMBs)}      ${c(p.readCpu)}       ${p.fileMiB.toFixed(1)}`);
console.log(`encrypted     ${f(s.writeMBs)}      ${c(s.writeCpu)}        ${f(s.readMBs)}      ${c(s.readCpu)}       ${s.fileMiB.toFixed(1)}`);
console.log(`CPU overhead: write +${(((s.writeCpu - p.writeCpu) / p.writeCpu) * 100).toFixed(0)}%, replay +${(((s.readCpu - p.readCpu) / p.readCpu) * 100).toFixed(0)}%; size +${(((s.fileMiB - p.fileMiB) / p.fileMiB) * 100).toFixed(3)}%`);
