/**
 * Transactional apply's groups (MySqlSink): consecutive small source transactions sent to the server in one round
 * trip, as one multi-statement script in which each is still its own `START TRANSACTION … COMMIT` with its positions
 * (`_ferry_sink_offsets` moves inside it). The server runs the statements in order and stops at the first error: the
 * transactions committed before it stay committed (the positions read again show which), the failing one is left open
 * and is rolled back, and the sink applies it and the rest again one at a time (MySqlSink #sendGroup).
 *
 * Every value in a script is a literal of mysql-values.ts or escaped by mysql2's `format`: nothing is concatenated
 * unescaped.
 */
import type { SinkRecord } from '../../../core/src/record-sink.ts';

/** A source transaction in a group: the positions it moves and its table runs (to apply it again alone). */
export interface GroupedTransaction {
  readonly advance: readonly (readonly [string, string])[];
  readonly runs: readonly SinkRecord[][];
}

/** A group is sent at this many transactions. */
export const GROUP_TRANSACTIONS = 200;
/** A source transaction of more changes than this is applied alone (its statements are large enough to send). */
export const GROUP_MAX_CHANGES = 200;

/** The script of one source transaction: its statements between START TRANSACTION and COMMIT. */
export function transactionScript(statements: readonly string[]): string {
  return `START TRANSACTION;\n${statements.join(';\n')};\nCOMMIT`;
}

/** The transactions waiting to be sent together, and their script. */
export class TransactionGroup {
  readonly #maxChars: number;
  #txs: GroupedTransaction[] = [];
  #scripts: string[] = [];
  #chars = 0;

  /** `maxBytes`: the largest statement the server takes (a UTF-16 code unit is at most 3 bytes of UTF-8). */
  constructor(maxBytes: number) {
    this.#maxChars = Math.floor(maxBytes / 3);
  }

  get size(): number {
    return this.#txs.length;
  }

  get full(): boolean {
    return this.#txs.length >= GROUP_TRANSACTIONS;
  }

  /** Whether a transaction's script can be sent in a group at all (below the server's statement size). */
  fitsAlone(script: string): boolean {
    return script.length + 2 <= this.#maxChars;
  }

  /** Whether it can join this group now (else the group is sent first). */
  fits(script: string): boolean {
    return this.#chars + script.length + 2 <= this.#maxChars;
  }

  add(tx: GroupedTransaction, script: string): void {
    this.#txs.push(tx);
    this.#scripts.push(script);
    this.#chars += script.length + 2;
  }

  /** The group's script and transactions, leaving it empty. */
  take(): { readonly script: string; readonly txs: GroupedTransaction[] } {
    const out = { script: this.#scripts.join(';\n'), txs: this.#txs };
    this.#txs = [];
    this.#scripts = [];
    this.#chars = 0;
    return out;
  }
}
