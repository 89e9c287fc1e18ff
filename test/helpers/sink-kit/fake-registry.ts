/** An in-memory schema registry for unit tests: register assigns ids; getById answers like the Confluent API (404 → fatal, 'down' → retry). */
import { FerryError } from '../../../core/src/errors.ts';
import type { SchemaRegistry } from '../../../core/src/types.ts';

export class FakeRegistry implements SchemaRegistry {
  readonly #byId = new Map<number, object>();
  readonly #ids = new Map<string, number>();
  down = false;
  fetches = 0;

  async register(_subject: string, schema: object): Promise<number> {
    const text = JSON.stringify(schema);
    let id = this.#ids.get(text);
    if (id === undefined) {
      id = this.#ids.size + 1;
      this.#ids.set(text, id);
      this.#byId.set(id, JSON.parse(text) as object);
    }
    return id;
  }

  async getById(id: number): Promise<object> {
    this.fetches++;
    if (this.down) throw new FerryError('FERRY_REGISTRY_UNREACHABLE', 'registry down (test)');
    const s = this.#byId.get(id);
    if (!s) throw new FerryError('FERRY_REGISTRY_ERROR', `HTTP 404, error_code 40403: Schema ${id} not found`, { disposition: 'fatal' });
    return s;
  }

  async isCompatible(): Promise<boolean> {
    return true;
  }
}
