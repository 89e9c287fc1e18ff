/**
 * Which tables a task captures: the selection rules of its DMS table mapping, compiled by the engine
 * (runtime/src/mapping/table-selection.ts). Sources take it to decide what to snapshot and stream.
 */
import type { TableId } from './types.ts';

export interface TableSelector {
  /** Whether the table is captured. */
  includes(id: TableId): boolean;
  /** Schemas (MySQL databases) any include rule could match, for catalog queries; '%' patterns give null = all. */
  schemaPatterns(): readonly string[];
  /** The DMS load-order of a table (higher loads first); 0 when unset. */
  loadOrder(id: TableId): number;
}
