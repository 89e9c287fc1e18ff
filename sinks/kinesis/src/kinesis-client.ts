/**
 * The narrow interface every Kinesis call of the sink goes through (compare redshift/src/sql-executor.ts), so tests
 * can wrap the real SDK client with fault injection. The AWS SDK is loaded lazily: tasks without a Kinesis target
 * never load it.
 */
import { http } from '../../../core/src/node-http.ts';
import { Agent as HttpsAgent } from 'node:https';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type * as KinesisSdk from '@aws-sdk/client-kinesis';
import type { KinesisConfig } from './config.ts';
import { awsHttpsAgent } from '../../../runtime/src/aws/aws-tls.ts';

export interface PutEntry {
  readonly data: Uint8Array;
  readonly partitionKey: string;
}

/** One request entry's outcome, in request order (as PutRecords answers). */
export type PutResult =
  | { readonly ok: true; readonly shardId: string; readonly sequenceNumber: string }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

export interface KinesisPutClient {
  /** One PutRecords call. Throws when the whole call fails (throttled, network, access denied...). */
  putRecords(stream: string, entries: readonly PutEntry[], signal?: AbortSignal): Promise<readonly PutResult[]>;
  close(): Promise<void>;
}

/** Whole-call errors that mean "slow down" (adaptive backoff, then retry the same records). */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException', 'LimitExceededException', 'ThrottlingException', 'KMSThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException',
]);
/** Whole-call errors retrying cannot fix. */
const FATAL = new Set([
  'ResourceNotFoundException', 'AccessDeniedException', 'UnrecognizedClientException', 'InvalidArgumentException', 'ValidationException',
  'KMSAccessDeniedException', 'KMSDisabledException', 'KMSNotFoundException', 'KMSInvalidStateException', 'InvalidSignatureException',
]);

export type CallErrorKind = 'throttled' | 'fatal' | 'transient';

export function classifyCallError(e: unknown): CallErrorKind {
  const name = (e as { name?: string }).name ?? '';
  if (THROTTLING.has(name)) return 'throttled';
  if (FATAL.has(name)) return 'fatal';
  return 'transient';
}

export function callError(e: unknown, stream: string): FerryError {
  const kind = classifyCallError(e);
  const name = (e as { name?: string }).name;
  return new FerryError('FERRY_SINK_ERROR', `Kinesis PutRecords to ${stream} failed${name ? ` (${name})` : ''}: ${errorMessage(e)}`, {
    cause: e, disposition: kind === 'fatal' ? 'fatal' : 'retry',
  });
}

/** Per-record error codes that are throttling (the rest, InternalFailure and such, are retried without slowing down as much). */
export function isThrottleCode(code: string): boolean {
  return code === 'ProvisionedThroughputExceededException' || code.startsWith('KMSThrottling');
}

type Sdk = typeof KinesisSdk;

/** The real AWS SDK v3 client. */
export class SdkKinesisClient implements KinesisPutClient {
  readonly #config: KinesisConfig['client'];
  #sdk: Sdk | undefined;
  #client: InstanceType<Sdk['KinesisClient']> | undefined;

  constructor(config: KinesisConfig['client']) {
    this.#config = config;
  }

  /** The SDK client itself (tests and tools read streams with it). */
  async sdk(): Promise<{ sdk: Sdk; client: InstanceType<Sdk['KinesisClient']> }> {
    if (!this.#client) {
      let sdk: Sdk;
      try {
        sdk = await import('@aws-sdk/client-kinesis');
      } catch (e: unknown) {
        throw new FerryError('FERRY_CONFIG_INVALID', `the Kinesis sink needs @aws-sdk/client-kinesis (npm install @aws-sdk/client-kinesis): ${errorMessage(e)}`, { cause: e, disposition: 'fatal' });
      }
      const c = this.#config;
      // HTTP/1.1 with keep-alive (the client's default for Kinesis is HTTP/2, which plain-http endpoints such as
      // moto do not speak; PutRecords gains nothing from it). @smithy/node-http-handler comes with the SDK.
      const { NodeHttpHandler } = await import('@smithy/node-http-handler');
      this.#sdk = sdk;
      this.#client = new sdk.KinesisClient({
        region: c.region ?? process.env.AWS_REGION ?? 'us-east-1',
        ...(c.endpoint ? { endpoint: c.endpoint } : {}),
        ...(c.accessKeyId && c.secretAccessKey ? { credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) } } : {}),
        // The sink does its own adaptive backoff per record; one SDK attempt per call keeps that in control.
        maxAttempts: 1,
        requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }), httpsAgent: awsHttpsAgent({ keepAlive: true, maxSockets: 64 }) ?? new HttpsAgent({ keepAlive: true, maxSockets: 64 }), requestTimeout: 30_000 }),
      });
    }
    return { sdk: this.#sdk!, client: this.#client };
  }

  async putRecords(stream: string, entries: readonly PutEntry[], signal?: AbortSignal): Promise<readonly PutResult[]> {
    const { sdk, client } = await this.sdk();
    const target = stream.startsWith('arn:') ? { StreamARN: stream } : { StreamName: stream };
    const out = await client.send(new sdk.PutRecordsCommand({
      ...target, Records: entries.map((e) => ({ Data: e.data, PartitionKey: e.partitionKey })),
    }), signal ? { abortSignal: signal } : {});
    const records = out.Records ?? [];
    if (records.length !== entries.length) {
      throw new FerryError('FERRY_SINK_ERROR', `Kinesis PutRecords answered ${records.length} results for ${entries.length} records`, { disposition: 'retry' });
    }
    return records.map((r): PutResult => (r.ErrorCode
      ? { ok: false, errorCode: r.ErrorCode, errorMessage: r.ErrorMessage ?? '' }
      : { ok: true, shardId: r.ShardId ?? '', sequenceNumber: r.SequenceNumber ?? '' }));
  }

  async close(): Promise<void> {
    this.#client?.destroy();
    this.#client = undefined;
  }
}
