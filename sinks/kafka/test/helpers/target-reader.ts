/**
 * An independent reader of the target cluster for tests: @platformatic/kafka's consumer used directly (not Ferry's
 * kafka-client or the sink's code), isolation.level=read_committed, from the earliest offset. Reads until `expect`
 * records arrived (or the timeout), then keeps reading for `quietMs` so that extra (duplicate) records show up too.
 */
import { Consumer, type Message } from '@platformatic/kafka';

export interface TargetRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Map<string, string>;
  readonly timestampMs: number;
}

export async function readTarget(o: { brokers: string[]; topics: string[]; expect: number; timeoutMs?: number; quietMs?: number }): Promise<TargetRecord[]> {
  const consumer = new Consumer({
    clientId: 'ferry-test-target-reader', groupId: `ferry-test-target-reader-${process.pid}-${Date.now()}`, bootstrapBrokers: o.brokers,
    isolationLevel: 1, timeout: 30000,
  });
  const out: TargetRecord[] = [];
  try {
    const stream = await consumer.consume({ topics: o.topics, mode: 'earliest', autocommit: false, maxWaitTime: 200 });
    const deadline = Date.now() + (o.timeoutMs ?? 120000);
    let quietUntil = Infinity;
    await new Promise<void>((resolve, reject) => {
      const tick = setInterval(() => {
        if (Date.now() > deadline || Date.now() > quietUntil) finish();
      }, 100);
      const finish = () => {
        clearInterval(tick);
        stream.removeAllListeners('data');
        resolve();
      };
      stream.on('error', (e) => {
        clearInterval(tick);
        reject(e);
      });
      stream.on('data', (m: Message) => {
        const headers = new Map<string, string>();
        for (const [k, v] of m.headers) headers.set(k.toString(), v.toString());
        out.push({ topic: m.topic, partition: m.partition, offset: m.offset, key: m.key ?? null, value: m.value && m.value.length > 0 ? m.value : null, headers, timestampMs: Number(m.timestamp) });
        if (out.length >= o.expect && quietUntil === Infinity) quietUntil = Date.now() + (o.quietMs ?? 1500);
      });
    });
    await stream.close().catch(() => {});
  } finally {
    await consumer.close(true).catch(() => {});
  }
  return out;
}

/**
 * The same with Apache Kafka's Java consumer (JavaReader.java, kafka-clients from infra/kafka/lib), whose
 * read_committed filtering is the reference; used where exactly-once is judged.
 */
export async function readTargetJava(o: { brokers: string[]; topics: string[] }): Promise<TargetRecord[]> {
  const { execFile } = await import('node:child_process');
  const { join, resolve } = await import('node:path');
  const root = resolve(import.meta.dirname, '../../../..');
  const stdout = await new Promise<string>((res, rej) => {
    execFile(process.env.FERRY_JAVA ?? 'java', ['-Xmx256m', `-Dlog4j2.configurationFile=${join(root, 'infra/kafka/log4j2.properties')}`, '-cp', `${join(root, 'infra/kafka/lib')}/*`, join(import.meta.dirname, 'JavaReader.java'), o.brokers.join(','), ...o.topics],
      { maxBuffer: 1024 * 1024 * 1024 }, (e, out, err) => (e ? rej(new Error(`${e.message}: ${err.slice(-2000)}`)) : res(out)));
  });
  const buf = (h: string) => (h === '-' ? null : Buffer.from(h, 'hex'));
  return stdout.split('\n').filter((l) => l.length > 0 && !l.startsWith('[')).map((l) => {
    const [topic, partition, offset, ts, key, value, headers] = l.split(' ') as [string, string, string, string, string, string, string];
    const hs = new Map<string, string>();
    if (headers !== '-') for (const kv of headers.split(',')) { const i = kv.indexOf('='); hs.set(kv.slice(0, i), Buffer.from(kv.slice(i + 1), 'hex').toString()); }
    return { topic, partition: Number(partition), offset: BigInt(offset), key: buf(key), value: buf(value), headers: hs, timestampMs: Number(ts) };
  });
}
