/**
 * Debezium's transaction metadata (provide.transaction.metadata): follows the source transaction of each event,
 * numbering events within it (total_order, and per table data_collection_order), and produces the BEGIN and END
 * markers for the <prefix>.transaction topic. A transaction ends when the next one begins, or when the pipeline
 * says the written events end at a transaction boundary. Snapshot events ('r') and events without a transaction
 * id carry no block.
 */
import type { TransactionBlock } from '../../../schemas/src/event-encoder.ts';
import type { ChangeEvent } from '../../../core/src/types.ts';

export interface TransactionMarker {
  readonly status: 'BEGIN' | 'END';
  readonly id: string;
  readonly event_count: number | null;
  readonly data_collections: { data_collection: string; event_count: number }[] | null;
}

export class TransactionTracker {
  #id: string | null = null;
  #total = 0;
  readonly #perCollection = new Map<string, number>();

  /** The markers to write before `event`, and its transaction block. */
  next(event: ChangeEvent): { markers: TransactionMarker[]; block: TransactionBlock | undefined } {
    const id = event.op === 'r' ? undefined : event.source.txId;
    if (id === undefined) return { markers: this.end(), block: undefined };
    const markers = id === this.#id ? [] : [...this.end(), { status: 'BEGIN' as const, id, event_count: null, data_collections: null }];
    this.#id = id;
    const collection = `${event.table.id.schema}.${event.table.id.table}`;
    const inCollection = (this.#perCollection.get(collection) ?? 0) + 1;
    this.#perCollection.set(collection, inCollection);
    return { markers, block: { id, totalOrder: ++this.#total, dataCollectionOrder: inCollection } };
  }

  /** The END marker of the open transaction, if any. */
  end(): TransactionMarker[] {
    if (this.#id === null) return [];
    const m: TransactionMarker = {
      status: 'END', id: this.#id, event_count: this.#total,
      data_collections: [...this.#perCollection].map(([data_collection, event_count]) => ({ data_collection, event_count })),
    };
    this.#id = null;
    this.#total = 0;
    this.#perCollection.clear();
    return [m];
  }
}
