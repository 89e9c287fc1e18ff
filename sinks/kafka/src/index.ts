/** The Kafka/MSK target sink (task targets of type `kafka`): Ferry's topics forwarded to another Kafka cluster. */
export { KafkaTargetSink, type KafkaTargetSinkOptions } from './KafkaTargetSink.ts';
export { kafkaTargetSchema, tlsSchema, saslSchema, type KafkaTargetConfig, type KafkaTargetConfigInput } from './config.ts';
export { TopicRouter, applyTemplate, partsOf, isLegalTopic } from './routing.ts';
export { mskIamToken, mskIamTokenProvider, presignMskConnectUrl, decodeMskToken, credentialProvider, type AwsCredentials } from './msk-iam.ts';
export { connectionOf, explainTargetError, describeSecurity } from './security.ts';
export { readStoredOffsets, offsetsGroupId } from './offsets.ts';
