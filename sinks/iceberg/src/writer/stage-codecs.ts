/** Codecs of the writer's own staging columns (sequence, flags). */
import { BOOLEAN, INTEGER } from '@duckdb/node-api';
import type { ColumnCodec } from '../../../../runtime/src/columnar/column-types.ts';

export const INT_CODEC_STAGE: ColumnCodec = { duckType: INTEGER, sql: 'INTEGER', note: 'staging sequence', put: (vec, i, v) => vec.setItem(i, v) };
export const BOOLEAN_CODEC_STAGE: ColumnCodec = { duckType: BOOLEAN, sql: 'BOOLEAN', note: 'staging flag', put: (vec, i, v) => vec.setItem(i, v) };
