/**
 * Ferry's key index of an upsert table (position-delete mode): for every live row, its primary key, the data file
 * and the row's position in it, held in DuckDB. A batch that changes or deletes keys finds their live rows with one
 * join and writes position deletes for exactly those (file_path, pos) pairs — deletes every reader applies,
 * PyIceberg included, and that never match a row written later. Rows a batch writes enter the index with their
 * positions as the file is written.
 *
 * The index lives in memory; it is built from the table itself (the live data files' key columns read by field id,
 * minus the table's position deletes) the first time a process writes the table, and again after a failed commit.
 */
import { writeFile } from 'node:fs/promises';
import type { FileIO } from '../io.ts';
import { readManifest, type ManifestFile } from '../metadata/manifests.ts';
import { duckTypeOf, type MappedColumn } from '../schema-mapping.ts';
import { ident, literal, type Duck } from './duck.ts';

export class KeyIndex {
  readonly keys: readonly MappedColumn[];
  readonly table: string;
  readonly files: string;
  readonly #duck: Duck;
  #nextFile = 0;
  /** Partition group of each distinct (spec, partition) of the indexed files: position deletes are written per group. */
  readonly groups = new Map<string, { id: number; partition: Record<string, unknown> }>();

  readonly #nullable: boolean;

  private constructor(duck: Duck, keys: readonly MappedColumn[], nullable: boolean) {
    this.#duck = duck;
    this.keys = keys;
    this.#nullable = nullable;
    this.table = duck.uniqueName('idx');
    this.files = duck.uniqueName('files');
  }

  /**
   * Key columns joined between the index and a staged table aliased `s`. A primary key is never NULL (plain equality,
   * the fastest join); keyless tables key on every column, where NULL must match NULL.
   */
  joinOn(alias: string): string {
    const eq = this.#nullable ? 'IS NOT DISTINCT FROM' : '=';
    return this.keys.map((k) => `${alias}.${ident(`c${k.id}`)} ${eq} s.${ident(`c${k.id}`)}`).join(' AND ');
  }

  /** `nullable`: the key columns may hold NULL (a keyless table keyed on every column). */
  static async build(duck: Duck, io: FileIO, manifests: readonly ManifestFile[], keys: readonly MappedColumn[], nullable: boolean): Promise<KeyIndex> {
    const x = new KeyIndex(duck, keys, nullable);
    await duck.run(`CREATE TABLE ${x.table} (${keys.map((k) => `${ident(`c${k.id}`)} ${duckTypeOf(k.type)}`).join(', ')}, __f INTEGER, __p BIGINT)`);
    await duck.run(`CREATE TABLE ${x.files} (id INTEGER, path VARCHAR, grp INTEGER)`);
    const data: { path: string; partition: Record<string, unknown> }[] = [];
    const deletes: string[] = [];
    for (const mf of manifests) {
      const entries = readManifest(await io.get(mf.manifestPath), { sequenceNumber: mf.sequenceNumber, snapshotId: mf.addedSnapshotId });
      for (const e of entries) {
        if (e.status === 2) continue;
        if (e.dataFile.content === 0) data.push({ path: e.dataFile.filePath, partition: e.dataFile.partition });
        else if (e.dataFile.content === 1) deletes.push(e.dataFile.filePath);
      }
    }
    const local = async (path: string): Promise<string> => {
      if (!path.startsWith('s3')) return path;
      const tmp = duck.tempPath('parquet');
      await writeFile(tmp, await io.get(path));
      return tmp;
    };
    const schema = `MAP {${keys.map((k) => `${k.id}: {name: ${literal(`c${k.id}`)}, type: ${literal(duckTypeOf(k.type))}, default_value: NULL}`).join(', ')}}`;
    const cols = keys.map((k) => ident(`c${k.id}`)).join(', ');
    for (const f of data) {
      const id = await x.addFile(f.path, f.partition);
      await duck.run(`INSERT INTO ${x.table} SELECT ${cols}, ${id}, file_row_number FROM read_parquet(${literal(await local(f.path))}, file_row_number = true, schema = ${schema})`);
    }
    if (deletes.length > 0) {
      const list = (await Promise.all(deletes.map(local))).map(literal).join(', ');
      await duck.run(`DELETE FROM ${x.table} i USING (SELECT f.id, d.pos FROM read_parquet([${list}]) d JOIN ${x.files} f ON f.path = d.file_path) g WHERE i.__f = g.id AND i.__p = g.pos`);
    }
    return x;
  }

  /** Registers a data file; returns its number in the index. */
  async addFile(path: string, partition: Record<string, unknown>): Promise<number> {
    const key = JSON.stringify(partition);
    let g = this.groups.get(key);
    if (g === undefined) this.groups.set(key, (g = { id: this.groups.size, partition }));
    const id = this.#nextFile++;
    await this.#duck.run(`INSERT INTO ${this.files} VALUES (${id}, ${literal(path)}, ${g.id})`);
    return id;
  }

  /** Forgets every row (a truncate). */
  async clear(): Promise<void> {
    await this.#duck.run(`DELETE FROM ${this.table}`);
  }

  async drop(): Promise<void> {
    await this.#duck.run(`DROP TABLE IF EXISTS ${this.table}`);
    await this.#duck.run(`DROP TABLE IF EXISTS ${this.files}`);
  }
}
