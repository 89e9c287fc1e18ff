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
