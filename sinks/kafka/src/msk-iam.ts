/** AWS MSK IAM signing: shared with the task's own cluster, so it lives in runtime/src/kafka/msk-iam.ts. */
export * from '../../../runtime/src/kafka/msk-iam.ts';
