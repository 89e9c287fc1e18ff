/**
 * settings.cloudwatch: export of DMS's task metrics (runtime/src/metrics/dms-metrics.ts) to Amazon CloudWatch, with
 * PutMetricData or the embedded metric format in CloudWatch Logs (docs/metrics.md#cloudwatch). The exporter is
 * runtime/src/metrics/cloudwatch-exporter.ts.
 */
import { z } from 'zod';
import { Secret } from './secrets.ts';

// Declared here rather than imported from settings-schema.ts, which imports this file.
const secret = () => z.string().min(1).meta({ secret: true }).transform((s) => new Secret(s));

export const CLOUDWATCH_MODES = ['put-metric-data', 'emf'] as const;

export const cloudwatchSettingsSchema = z.strictObject({
  mode: z.enum(CLOUDWATCH_MODES).default('put-metric-data').meta({ description: 'put-metric-data: CloudWatch PutMetricData calls (up to 1000 values each). emf: one CloudWatch Logs event per interval in the embedded metric format, written to logGroup/logStream (created when missing); CloudWatch extracts the metrics from it.' }),
  namespace: z.string().min(1).max(255).regex(/^[A-Za-z0-9.\-_/#:]+$/, 'expected letters, digits and . - _ / # :').refine((s) => !s.startsWith('AWS/'), 'namespaces starting with "AWS/" are reserved for AWS services: choose your own, e.g. Ferry/DMS').default('Ferry/DMS')
    .meta({ description: 'CloudWatch namespace. DMS publishes to AWS/DMS, which only AWS may write to; Ferry/DMS keeps the DMS metric names under a namespace of their own, so dashboards and alarms carry over by changing the namespace alone.' }),
  replicationTaskIdentifier: z.string().min(1).max(1024).optional().meta({ description: 'Value of the ReplicationTaskIdentifier dimension (DMS: the task). Default: the task name.' }),
  replicationInstanceIdentifier: z.string().min(1).max(1024).optional().meta({ description: 'Value of the ReplicationInstanceIdentifier dimension (DMS: the replication instance; here the machine or deployment running the task). Default: the host name.' }),
  intervalSeconds: z.int().min(1).max(3600).default(60).meta({ description: 'Seconds between two exports. Under 60, PutMetricData sends high-resolution (1 s) values and EMF declares StorageResolution 1.' }),
  region: z.string().min(1).optional().meta({ description: 'AWS region. Default: AWS_REGION, else us-east-1.' }),
  endpoint: z.url().optional().meta({ description: 'CloudWatch (and CloudWatch Logs, for emf) endpoint, e.g. moto or a VPC endpoint.', examples: ['http://127.0.0.1:5000'] }),
  accessKeyId: z.string().min(1).optional().meta({ description: 'Access key id. Default: the AWS SDK’s credential chain.' }),
  secretAccessKey: secret().optional().meta({ description: 'Secret access key (with accessKeyId). Use ${env:NAME} or ${file:path}.', secret: true }),
  logGroup: z.string().min(1).max(512).default('/ferry/metrics').meta({ description: 'emf: the log group the metric events go to.' }),
  logStream: z.string().min(1).max(512).optional().meta({ description: 'emf: the log stream. Default: the task name.' }),
}).optional().meta({ description: 'Export DMS’s task metrics (CDCLatencySource, CDCIncomingChanges, ...) to Amazon CloudWatch every intervalSeconds, with DMS’s dimensions ReplicationInstanceIdentifier and ReplicationTaskIdentifier (docs/metrics.md#cloudwatch). A failed export is logged and retried with backoff; it never slows or stops the task. Absent: no export.' });

export type CloudWatchSettings = NonNullable<z.output<typeof cloudwatchSettingsSchema>>;
