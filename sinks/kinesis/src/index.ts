/** The Kinesis sink (task targets of type `kinesis`): PutRecords within the API limits, DMS partition keys, per-key order, KPL aggregation. */
export { KinesisSink, type KinesisSinkOptions } from './KinesisSink.ts';
export { kinesisSchema, parseKinesisConfig, KINESIS_LIMITS, type KinesisConfig, type KinesisConfigInput } from './config.ts';
export { SdkKinesisClient, classifyCallError, type KinesisPutClient, type PutEntry, type PutResult } from './kinesis-client.ts';
export { encodeAggregate, KPL_MAGIC } from './aggregation.ts';
export { dmsJson, partitionKey, transactionId } from './payload.ts';
