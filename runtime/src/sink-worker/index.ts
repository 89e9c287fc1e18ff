/** The sink worker runtime: the record-sink contract, the Kafka worker, the direct-mode adapter and their helpers. */
export * from '../../../core/src/record-sink.ts';
export { runSinkWorker, dataTopicsOf, DEFAULT_BATCH_POLICY, type SinkWorkerOptions, type SinkWorkerResult, type ConsumerTuning } from './SinkWorker.ts';
export { DirectSinkAdapter, type DirectSinkAdapterOptions } from './DirectSinkAdapter.ts';
export { RecordDecoder, type DecodeOutcome } from './record-decoder.ts';
export { sinkTableFromAvro, envelopeReaderSchema, envelopeValueRecord, decimalOf } from './avro-table.ts';
export { kafkaStream, directStream, padOffset, recordSeq, runName, sameChange, stableKey } from './record-identity.ts';
export { kafkaDeadLetterQueue, fileDeadLetterQueue, DLQ_HEADERS, type DeadLetter, type DeadLetterQueue } from './dead-letter.ts';
export { SinkMetrics, tableName } from './sink-metrics.ts';
