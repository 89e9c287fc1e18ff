/** Addresses of the local services (infra/services.sh), overridable with the same FERRY_*_PORT variables. */
export const services = {
  mariadb: { host: '127.0.0.1', port: Number(process.env.FERRY_MARIADB_PORT ?? 3306) },
  postgres: { host: '127.0.0.1', port: Number(process.env.FERRY_POSTGRES_PORT ?? 5432) },
  brokers: [`127.0.0.1:${process.env.FERRY_KAFKA_PORT ?? 9092}`],
  registryUrl: `http://127.0.0.1:${process.env.FERRY_REGISTRY_PORT ?? 8081}/apis/ccompat/v7`,
  motoUrl: `http://127.0.0.1:${process.env.FERRY_MOTO_PORT ?? 5000}`,
} as const;

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/**
 * The throwaway test CA and certificates that infra/services.sh `up` makes (infra/common.sh ensure_tls_certs):
 * FERRY_TLS_DIR, else FERRY_RUN_DIR/tls, else <repo>/.run/tls. MariaDB, PostgreSQL and Kafka's SSL listener
 * (FERRY_KAFKA_TLS_PORT, default 9094) present server.pem (SAN localhost and 127.0.0.1).
 */
export function servicesTlsDir(): string {
  if (process.env.FERRY_TLS_DIR) return process.env.FERRY_TLS_DIR;
  const run = process.env.FERRY_RUN_DIR ?? new URL('../../.run', import.meta.url).pathname;
  return `${run.replace(/\/$/, '')}/tls`;
}

/** The CA certificate (PEM file) that signed the local services' server certificates. */
export function servicesCaFile(): string {
  return `${servicesTlsDir()}/ca.pem`;
}

/** A client certificate and key signed by the same CA (CN ferry-tls-client), for mutual-TLS tests. */
export function servicesClientCert(): { readonly cert: string; readonly key: string } {
  return { cert: `${servicesTlsDir()}/client.pem`, key: `${servicesTlsDir()}/client.key` };
}

/** Kafka's SSL listener (infra/kafka.sh), same CA. */
export const kafkaTlsBroker = `127.0.0.1:${process.env.FERRY_KAFKA_TLS_PORT ?? 9094}`;

/** A TCP port free on 127.0.0.1 right now (the OS picks it; a caller binds it soon after). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
