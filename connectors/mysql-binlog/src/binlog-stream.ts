import type { Connection } from 'mysql2/promise';
import type { ChangeBatch, Logger, MetricsRegistry, Position } from '../../../runtime/src/core/types.ts';
import type { TableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import type { MySqlConnectionConfig } from './mysql-connection.ts';
import type { SchemaHistory } from './schema-history.ts';

export interface StreamInput {
  readonly cfg: MySqlConnectionConfig;
  readonly serverId: number;
  readonly connector: 'mysql' | 'mariadb';
  readonly isMariaDb: boolean;
  readonly topicPrefix: string;
  readonly selector: TableSelector;
  readonly start: Position;
  readonly history: SchemaHistory;
  readonly control: Connection;
  readonly maxEvents: number;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly signal: AbortSignal;
  readonly onClose: (f: () => Promise<void>) => () => void;
}

// eslint-disable-next-line require-yield
export async function* streamBinlog(_input: StreamInput): AsyncGenerator<ChangeBatch> {
  return;
}
