/**
 * The notification spool, <stateDir>/notifications/spool.jsonl: what makes delivery at least once across a crash.
 * Every event a subscription accepts is appended (and fsynced) before it is queued; a line marks it done once it is
 * delivered or dead-lettered. At start the events without a done line are queued again. A done line lost in a crash
 * only means one more delivery of an event with the same id. The file is rewritten (compacted) at open and whenever
 * nothing is pending.
 *
 *     {"op":"add","sub":"<subscription>","event":{...TaskEvent}}
 *     {"op":"done","sub":"<subscription>","id":"<event id>"}
 *
 * With settings.stateEncryption each line is a sealed record instead (runtime/src/encryption/sealed-lines.ts).
 */
import { closeSync, fdatasyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync, existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { TaskEvent } from '../events/task-events.ts';
import { lineCodec, type LineCodec } from '../encryption/sealed-lines.ts';
import type { RecordCipher } from '../encryption/record-cipher.ts';

export interface SpooledEvent {
  readonly sub: string;
  readonly event: TaskEvent;
}

type Line = { op: 'add'; sub: string; event: TaskEvent } | { op: 'done'; sub: string; id: string };

const keyOf = (sub: string, id: string) => `${sub}\u0000${id}`;

export class NotificationSpool {
  readonly #path: string;
  readonly #pending = new Map<string, SpooledEvent>();
  #fd: number;
  #lines = 0;
  readonly #codec: LineCodec;

  /** Opens (creating) the spool; `pending()` then lists the events left undelivered by an earlier run, in order. */
  constructor(path: string, cipher: RecordCipher | null = null) {
    this.#path = path;
    this.#codec = lineCodec(cipher, `notifications/${basename(path)}`);
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) {
      for (const text of readFileSync(path, 'utf8').split('\n')) {
        if (text.trim() === '') continue;
        let line: Line;
        try {
          line = JSON.parse(this.#codec.decode(text, `notification spool ${path}`)) as Line;
        } catch (e: unknown) {
          if ((e as { code?: string }).code === 'FERRY_STATE_KEY_MISMATCH') throw e;
          continue; // a torn last line from a crash mid-append: that event was never queued
        }
        if (line.op === 'add') this.#pending.set(keyOf(line.sub, line.event.id), { sub: line.sub, event: line.event });
        else this.#pending.delete(keyOf(line.sub, line.id));
      }
    }
    this.#fd = this.#rewrite();
  }

  pending(): SpooledEvent[] {
    return [...this.#pending.values()];
  }

  /** Whether this event is already spooled and not done (a redelivered event with the same id). */
  has(sub: string, id: string): boolean {
    return this.#pending.has(keyOf(sub, id));
  }

  /** Records an accepted event durably (fdatasync) before it is queued. */
  add(sub: string, event: TaskEvent): void {
    this.#pending.set(keyOf(sub, event.id), { sub, event });
    this.#append({ op: 'add', sub, event }, true);
  }

  /** Marks an event delivered or dead-lettered. */
  done(sub: string, id: string): void {
    if (!this.#pending.delete(keyOf(sub, id))) return;
    this.#append({ op: 'done', sub, id }, false);
    if (this.#pending.size === 0 && this.#lines > 1000) {
      closeSync(this.#fd);
      this.#fd = this.#rewrite();
    }
  }

  close(): void {
    closeSync(this.#fd);
  }

  #append(line: Line, sync: boolean): void {
    writeSync(this.#fd, `${this.#codec.encode(JSON.stringify(line))}\n`);
    if (sync) fdatasyncSync(this.#fd);
    this.#lines++;
  }

  /** Writes the pending events alone to a new file, renames it over the spool, and opens it for appending. */
  #rewrite(): number {
    const tmp = `${this.#path}.tmp`;
    writeFileSync(tmp, [...this.#pending.values()].map((p) => `${this.#codec.encode(JSON.stringify({ op: 'add', sub: p.sub, event: p.event }))}\n`).join(''), { flush: true });
    renameSync(tmp, this.#path);
    this.#lines = this.#pending.size;
    return openSync(this.#path, 'a');
  }
}
