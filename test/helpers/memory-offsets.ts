/** An offset store held in memory, for pipeline tests that do not test offset storage itself. */
import type { OffsetStore, StoredOffset } from '../../core/src/types.ts';

export class MemoryOffsets implements OffsetStore {
  value: StoredOffset | null = null;
  async read() { return this.value; }
  async commit(_t: string, o: StoredOffset) { this.value = o; }
  async reset() { this.value = null; }
  async close() {}
}
