/**
 * An offset store held in memory, for pipeline tests that do not test offset storage itself. With a journal, each
 * commit is also recorded there as `commit <position>`, so a test can check the order of writes, commits and acks.
 */
import type { OffsetStore, StoredOffset } from '../../core/src/types.ts';

export class MemoryOffsets implements OffsetStore {
  value: StoredOffset | null = null;
  readonly #journal: string[] | undefined;
  constructor(journal?: string[]) { this.#journal = journal; }
  async read() { return this.value; }
  async commit(_t: string, o: StoredOffset) { this.value = o; this.#journal?.push(`commit ${o.position}`); }
  async reset() { this.value = null; }
  async close() {}
}
