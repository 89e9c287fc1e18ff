/** The DynamoDB sink (task targets of type `dynamodb`): one table per source table, conditional writes on the source position. */
export { DynamoDbSink, itemPosition, sourcePosition, type DynamoDbSinkOptions } from './DynamoDbSink.ts';
export { dynamoSchema, type DynamoConfig, type DynamoConfigInput } from './config.ts';
export { openDynamoApi, type DynamoApi, type DynamoClientOptions, type AttributeValue, type Item } from './dynamo-api.ts';
export { keySchemaOf, targetTableName, COMPOSITE_KEY, POS_ATTR, DELETED_ATTR, EXPIRES_ATTR } from './tables.ts';
export { TRUNCATED_ATTR, OFFLOADED_ATTR } from './lob.ts';
