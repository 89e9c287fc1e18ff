/**
 * The only module that talks to the AWS SDK for DynamoDB: a narrow interface with the calls the sink makes, so tests
 * can wrap the real client (fault injection: throttling, unprocessed items) and the SDK is loaded only when used.
 */
import type * as Sdk from '@aws-sdk/client-dynamodb';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import { awsClientTls } from '../../../runtime/src/aws/aws-tls.ts';

export type AttributeValue = Sdk.AttributeValue;
export type Item = Record<string, AttributeValue>;

export interface DynamoApi {
  putItem(input: Sdk.PutItemCommandInput): Promise<Sdk.PutItemCommandOutput>;
  deleteItem(input: Sdk.DeleteItemCommandInput): Promise<Sdk.DeleteItemCommandOutput>;
  batchWriteItem(input: Sdk.BatchWriteItemCommandInput): Promise<Sdk.BatchWriteItemCommandOutput>;
  batchGetItem(input: Sdk.BatchGetItemCommandInput): Promise<Sdk.BatchGetItemCommandOutput>;
  describeTable(input: Sdk.DescribeTableCommandInput): Promise<Sdk.DescribeTableCommandOutput>;
  createTable(input: Sdk.CreateTableCommandInput): Promise<Sdk.CreateTableCommandOutput>;
  updateTimeToLive(input: Sdk.UpdateTimeToLiveCommandInput): Promise<Sdk.UpdateTimeToLiveCommandOutput>;
  scan(input: Sdk.ScanCommandInput): Promise<Sdk.ScanCommandOutput>;
  close(): void;
}

export interface DynamoClientOptions {
  readonly region?: string;
  readonly endpoint?: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly maxAttempts?: number;
}

/** The real client (@aws-sdk/client-dynamodb, loaded lazily). */
export async function openDynamoApi(o: DynamoClientOptions): Promise<DynamoApi> {
  let sdk: typeof Sdk;
  try {
    sdk = await import('@aws-sdk/client-dynamodb');
  } catch (e: unknown) {
    throw new FerryError('FERRY_CONFIG_INVALID', `the DynamoDB sink needs @aws-sdk/client-dynamodb (npm install @aws-sdk/client-dynamodb): ${errorMessage(e)}`, { disposition: 'fatal' });
  }
  const client = new sdk.DynamoDBClient({
    region: o.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.accessKeyId && o.secretAccessKey ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } } : {}),
    maxAttempts: o.maxAttempts ?? 3,
    ...awsClientTls(), // AWS_CA_BUNDLE (runtime/src/aws/aws-tls.ts)
  });
  return {
    putItem: (i) => client.send(new sdk.PutItemCommand(i)),
    deleteItem: (i) => client.send(new sdk.DeleteItemCommand(i)),
    batchWriteItem: (i) => client.send(new sdk.BatchWriteItemCommand(i)),
    batchGetItem: (i) => client.send(new sdk.BatchGetItemCommand(i)),
    describeTable: (i) => client.send(new sdk.DescribeTableCommand(i)),
    createTable: (i) => client.send(new sdk.CreateTableCommand(i)),
    updateTimeToLive: (i) => client.send(new sdk.UpdateTimeToLiveCommand(i)),
    scan: (i) => client.send(new sdk.ScanCommand(i)),
    close: () => client.destroy(),
  };
}

const errName = (e: unknown): string => (e !== null && typeof e === 'object' && 'name' in e ? String((e as { name: unknown }).name) : '');

/** The write lost to a newer change already in the table (its ConditionExpression on _ferry_pos failed). */
export const isConditionFailed = (e: unknown): boolean => errName(e) === 'ConditionalCheckFailedException';

const THROTTLES = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'LimitExceededException', 'ThrottlingError']);
export const isThrottle = (e: unknown): boolean => THROTTLES.has(errName(e));

export const isNotFound = (e: unknown): boolean => errName(e) === 'ResourceNotFoundException';

/** A ValidationException about one item (a value DynamoDB refuses): that change is dead-lettered, the batch goes on. */
export const isItemInvalid = (e: unknown): boolean => errName(e) === 'ValidationException' || errName(e) === 'SerializationException';

/** Credentials or permissions: retrying will not help. */
export const isAccessError = (e: unknown): boolean =>
  ['AccessDeniedException', 'UnrecognizedClientException', 'InvalidSignatureException', 'MissingAuthenticationTokenException'].includes(errName(e));
