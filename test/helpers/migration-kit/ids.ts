/** The live keys of a table as the application knows them: new ones, a random one, one taken away (deleted). */
import type { Random } from '../random-values.ts';

/** Rows per table of a shop (the other tables are sized from these). */
export interface ShopSize { readonly customers: number; readonly products: number; readonly orders: number }

/**
 * Starts the text of keyless rows the application inserts, to tell them apart in a diff: 'app: ' before the first
 * snapshot started (so the snapshot may hold them), 'cdc: ' after (only the change stream carries them).
 */
export const MARKS = ['app: ', 'cdc: '] as const;

export class Ids {
  readonly #live: number[] = [];
  #last = 0;

  /** A new key (above every key so far), now live. */
  next(): number {
    this.#last++;
    this.#live.push(this.#last);
    return this.#last;
  }

  add(id: number): void {
    this.#live.push(id);
    if (id > this.#last) this.#last = id;
  }

  pick(r: Random): number {
    if (this.#live.length === 0) throw new Error('no live keys');
    return this.#live[Math.floor(r.next() * this.#live.length)]!;
  }

  /** A random live key, no longer live. */
  take(r: Random): number {
    const i = Math.floor(r.next() * this.#live.length);
    const id = this.#live[i]!;
    this.#live[i] = this.#live[this.#live.length - 1]!;
    this.#live.pop();
    return id;
  }

  takeNewest(): number {
    const i = this.#live.indexOf(this.#last);
    this.#live.splice(i, 1);
    return this.#last;
  }

  all(): readonly number[] {
    return this.#live;
  }
}
