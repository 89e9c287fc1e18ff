/**
 * The S3 client options every S3-writing sink shares (the lake, Redshift's staging, DynamoDB's LOB offload): declared
 * once here so that each sink's own declaration nests the same block and the reference docs show it once.
 */
import { z } from 'zod';

export const s3Schema = z.strictObject({
  region: z.string().min(1).optional().meta({ description: 'AWS region. Default: AWS_REGION, else us-east-1.' }),
  endpoint: z.url().optional().meta({ description: 'S3-compatible endpoint (moto, MinIO); path-style addressing is used with it.', examples: ['http://127.0.0.1:5000'] }),
  forcePathStyle: z.boolean().optional().meta({ description: 'Path-style bucket addressing. Default: true when endpoint is set.' }),
  accessKeyId: z.string().min(1).optional().meta({ description: 'Access key id. Default: the AWS SDK’s credential chain (environment, profile, instance role).' }),
  secretAccessKey: z.string().min(1).optional().meta({ description: 'Secret access key (with accessKeyId).', secret: true }),
}).prefault({});
