/**
 * Options of the Iceberg REST catalog client (`catalog: { type: rest, … }` of an `iceberg` target, and
 * `ferry lake maintain`). Declared once with zod: validation, defaults and docs/configuration.md come from here.
 */
import { z } from 'zod';

export const restAuthSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('none').meta({ description: 'No Authorization header (a catalog on a trusted network).' }),
  }),
  z.strictObject({
    type: z.literal('bearer'),
    token: z.string().min(1).meta({ description: 'The bearer token, sent as `Authorization: Bearer <token>`; use a ${env:…} or ${file:…} reference.', secret: true }),
  }),
  z.strictObject({
    type: z.literal('oauth2'),
    clientId: z.string().min(1).meta({ description: 'OAuth2 client id (client-credentials grant).' }),
    clientSecret: z.string().min(1).meta({ description: 'OAuth2 client secret; use a ${env:…} or ${file:…} reference.', secret: true }),
    scope: z.string().min(1).default('catalog').meta({ description: 'The `scope` of the token request (Iceberg\'s default `catalog`; Polaris wants PRINCIPAL_ROLE:ALL).' }),
    tokenUri: z.string().url().optional().meta({ description: 'Token endpoint; default `<uri>/v1/oauth/tokens` (the REST spec\'s endpoint; Lakekeeper and Nessie use an external IdP: give its token URL).' }),
  }),
  z.strictObject({
    type: z.literal('sigv4'),
    region: z.string().min(1).meta({ description: 'AWS region of the endpoint, e.g. us-east-1.' }),
    service: z.enum(['glue', 's3tables']).default('glue').meta({ description: 'Signing name: `glue` for https://glue.<region>.amazonaws.com/iceberg, `s3tables` for https://s3tables.<region>.amazonaws.com/iceberg.' }),
    accessKeyId: z.string().min(1).optional().meta({ description: 'Access key; default the AWS default credential chain (environment, profile, web identity, instance role).' }),
    secretAccessKey: z.string().min(1).optional().meta({ description: 'Secret key (with accessKeyId); use a ${env:…} reference.', secret: true }),
    sessionToken: z.string().min(1).optional().meta({ description: 'Session token of temporary credentials.', secret: true }),
    profile: z.string().min(1).optional().meta({ description: 'Shared-config profile for the default chain.' }),
  }),
]).meta({ description: 'How Ferry authenticates to the catalog.' });

export const restCatalogSchema = z.strictObject({
  type: z.literal('rest'),
  uri: z.string().url().meta({ description: 'The catalog\'s base URL, before `/v1`.', examples: ['http://127.0.0.1:8181', 'https://glue.us-east-1.amazonaws.com/iceberg', 'http://polaris:8181/api/catalog'] }),
  warehouse: z.string().min(1).optional().meta({ description: 'Sent as `?warehouse=` to GET /v1/config: the catalog name in Polaris, the account id in Glue, the table bucket ARN in S3 Tables.' }),
  prefix: z.string().optional().meta({ description: 'Path prefix after /v1; default the `prefix` the catalog\'s /v1/config returns (none when it returns none).' }),
  auth: restAuthSchema.prefault({ type: 'none' }),
  headers: z.record(z.string(), z.string()).default({}).meta({ description: 'Extra HTTP headers on every request (e.g. X-Iceberg-Access-Delegation: vended-credentials).' }),
  timeoutMs: z.int().min(100).max(600_000).default(30_000).meta({ description: 'Timeout of one HTTP request. A commit that times out has an unknown outcome: see docs/sinks/iceberg.md#rest-catalog.' }),
  retries: z.int().min(0).max(20).default(4).meta({ description: 'Retries of a request that failed with a network error, 429 or 5xx, with exponential backoff; commits are retried only when the catalog surely did not apply them (connection refused, 429, 503).' }),
  retryBaseMs: z.int().min(1).max(60_000).default(200).meta({ description: 'First backoff delay; doubled at every retry, with jitter.' }),
});

export type RestCatalogConfigInput = z.input<typeof restCatalogSchema>;
export type RestCatalogConfig = z.output<typeof restCatalogSchema>;
export type RestAuthConfig = z.output<typeof restAuthSchema>;
