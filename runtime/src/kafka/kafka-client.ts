/**
 * Ferry's one door to Kafka. Everything else in Ferry talks to Kafka through these few functions, so the client
 * library can be swapped without touching sources, sinks or the offset store. The modules behind it
 * (kafka-connection, kafka-producer, kafka-admin, kafka-consumer) are the only ones importing @platformatic/kafka.
 *
 * Client: @platformatic/kafka (pure JS, maintained, works on Node 24 with zstd; chosen by measurement, see
 * docs/dependencies.md and bench/kafka-clients/bench.ts).
 *
 * Producer guarantees: acks=all and the idempotent producer, so a send that resolves is durable on every in-sync
 * replica, and a retried send does not duplicate or reorder records within a partition.
 */
export * from './kafka-connection.ts';
export * from './kafka-producer.ts';
export * from './kafka-admin.ts';
export * from './kafka-consumer.ts';
