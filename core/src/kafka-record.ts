/** A Kafka record as read from a topic: what the sink worker hands to sinks that take raw input (record-sink.ts). */
export interface IncomingRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestampMs: number;
  readonly headers: ReadonlyMap<string, Buffer>;
}
