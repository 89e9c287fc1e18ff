/**
 * The PostgreSQL blog of convert-schema-fixtures.ts (accounts, posts, events, counters, keyless raw_log, an enum
 * type, a trigger with its function, a sequence, a view) grown to a 10-table schema with the types a PostgreSQL
 * application uses (uuid keys, numeric(65,30) and unconstrained numeric, bit/bit varying, inet, interval, arrays,
 * jsonb and json, bytea, timestamptz, char(n)) and a procedure, filled with seeded rows, and the application that
 * changes it while a migration runs. Every table gets REPLICA IDENTITY FULL, as Ferry's prerequisite check asks
 * (a keyless table needs an identity to publish updates and deletes; an UPDATE of a table with TOASTable columns
 * would otherwise not carry their unchanged values).
 */
import type pg from 'pg';
import { POSTGRES_SCHEMA } from '../../../app/test/integration/convert-schema-fixtures.ts';
import { decimalDigitsDouble, testBytes, testDecimal, testInteger, type Random } from '../random-values.ts';
import { date, datetime, document, text } from './values.ts';
import { Ids, MARKS, type ShopSize } from './ids.ts';

export const POSTGRES_EXTRA_SCHEMA = [
  'CREATE TABLE tags (id serial PRIMARY KEY, name varchar(40) NOT NULL UNIQUE)',
  `CREATE TABLE post_tags (
     post_id integer NOT NULL REFERENCES posts (id), tag_id integer NOT NULL REFERENCES tags (id), weight smallint NOT NULL DEFAULT 1,
     PRIMARY KEY (post_id, tag_id))`,
  'CREATE INDEX post_tags_tag_idx ON post_tags (tag_id)',
  `CREATE TABLE comments (
     id bigserial PRIMARY KEY, post_id integer NOT NULL REFERENCES posts (id), parent_id bigint REFERENCES comments (id),
     body text NOT NULL, created timestamptz(3) NOT NULL DEFAULT now(), score real, approved boolean)`,
  `CREATE TABLE invoices (
     id uuid PRIMARY KEY, account_id integer NOT NULL REFERENCES accounts (id), amount numeric(65,30) NOT NULL, units numeric(20,0),
     issued date NOT NULL, due timestamp(6), flags bit(8), vflags bit varying(16), doc bytea, code char(10), note varchar(200))`,
  'CREATE UNIQUE INDEX invoices_code_idx ON invoices (code)',
  `CREATE TABLE sessions (
     id bigint PRIMARY KEY, account_id integer REFERENCES accounts (id), ip inet, started timestamptz(6), length interval,
     attrs jsonb, hits integer[], labels text[], ratio double precision)`,
  "CREATE PROCEDURE close_account(aid integer) LANGUAGE plpgsql AS $$ BEGIN UPDATE accounts SET active = false WHERE id = aid; END $$",
];

export const POSTGRES_SHOP_TABLES = ['accounts', 'comments', 'counters', 'events', 'invoices', 'post_tags', 'posts', 'raw_log', 'sessions', 'tags'];

const float4 = (r: Random) => (r.chance(0.05) ? r.pick([0, 3.4028234663852886e38, 1.1754943508222875e-38]) : Math.fround(decimalDigitsDouble(r, r.int(1, 9), -10, 10)));
const float8 = (r: Random) => (r.chance(0.05) ? r.pick([Number.MAX_VALUE, 2.2250738585072014e-308, 0.1, 1 / 3]) : decimalDigitsDouble(r, r.int(1, 17), -30, 30));
const bits = (r: Random, n: number) => Array.from({ length: n }, () => (r.chance(0.5) ? '1' : '0')).join('');
const uuid = (r: Random) => testBytes(r, 16).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
/** A numeric without precision that MySQL's DECIMAL(65,30) holds exactly (≤ 35 integer and ≤ 30 fraction digits). */
const numeric = (r: Random) => { const scale = r.int(0, 25); return testDecimal(r, 35 + scale, scale); };
/** With specials: numeric values only PostgreSQL holds, and intervals with months and years (no exact µs). */
const NUMERIC_SPECIALS = ['NaN', 'Infinity', '-Infinity'] as const;
const MONTH_INTERVALS = ['1 year 2 mons 3 days 04:05:06.78', '-1 years -2 mons +3 days -04:05:06.78', '7 mons', '-00:00:00.000001', '178000000 years'] as const;
const interval = (r: Random) => `${r.int(-400, 400)} days ${r.int(0, 23)} hours ${r.int(0, 59)} minutes ${r.int(0, 59)}.${String(r.int(0, 999999)).padStart(6, '0')} seconds`;
const pgTime = (r: Random) => `${String(r.int(0, 23)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}.${String(r.int(0, 999999)).padStart(6, '0')}`;
const tstz = (r: Random, digits: number) => `${datetime(r, digits, 1000, 9998)}${r.pick(['+00', '+05:30', '-08', '+14'])}`;
const ip = (r: Random) => (r.chance(0.7) ? `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)}` : r.pick(['::1', '2001:db8::ff00:42:8329', '10.0.0.0/8', '192.168.1.0/24']));
const textArray = (r: Random) => (r.chance(0.2) ? null : Array.from({ length: r.int(0, 4) }, () => (r.chance(0.1) ? null : text(r, 8))));

export class PostgresShop {
  /** The mark of the keyless rows the application inserts (ids.ts MARKS). */
  mark: string = MARKS[0];
  readonly ids = { accounts: new Ids(), posts: new Ids(), events: new Ids(), tags: new Ids(), comments: new Ids(), sessions: new Ids() };
  readonly #postTags = new Set<string>();
  readonly #invoices: string[] = [];
  private readonly c: pg.Client;
  readonly schema: string;
  private readonly r: Random;
  /**
   * Values only PostgreSQL holds, for a PostgreSQL target: float NaN/±Infinity in events, numeric NaN/±Infinity in
   * posts.score, intervals with months and years, and a table `infinities` of ±infinity dates and timestamps. The
   * task needs the source options decimalHandlingMode: string (precise decimals cannot carry NaN/±Infinity: the table
   * stops, as Debezium's) and intervalHandlingMode: string (a month has no exact length in µs), see
   * SPECIALS_SOURCE_OPTIONS.
   */
  readonly #specials: boolean;

  /** `c` connects as the schema's owner (the CDC user, so it may publish the tables). */
  constructor(c: pg.Client, schema: string, r: Random, o: { specials?: boolean } = {}) {
    this.c = c;
    this.schema = schema;
    this.r = r;
    this.#specials = o.specials ?? false;
  }

  /** `f`'s value, or now and then (with specials) one of `special`. */
  #or<T>(f: () => T, special: readonly string[]): T | string {
    return this.#specials && this.r.chance(0.05) ? this.r.pick(special) : f();
  }

  /** Creates the fixture's schema and the extra tables in the current schema, and `size` rows per table. */
  async create(size: ShopSize): Promise<void> {
    const { c } = this;
    await c.query(`SET search_path = "${this.schema}"; SET TimeZone = 'UTC'`);
    for (const s of [...POSTGRES_SCHEMA, ...POSTGRES_EXTRA_SCHEMA]) await c.query(s);
    for (const t of POSTGRES_SHOP_TABLES) await c.query(`ALTER TABLE ${t} REPLICA IDENTITY FULL`);
    if (this.#specials) {
      await c.query('CREATE TABLE infinities (id int PRIMARY KEY, day date, ts timestamp(6), tstz timestamptz(6))');
      await c.query(`INSERT INTO infinities VALUES (1, 'infinity', 'infinity', 'infinity'), (2, '-infinity', '-infinity', '-infinity'), (3, '2024-02-29', '2024-02-29 12:00:00.000001', '2024-02-29 12:00:00.000001+00')`);
    }
    this.ids.accounts.add(1);
    this.ids.accounts.add(2);
    for (const id of [1, 2, 3]) this.ids.posts.add(id);
    await this.#bulk('accounts (email, nickname, mood, created, active)', this.#many(size.customers, () => this.#account()));
    await this.#bulk('posts (account_id, title, body, tags, meta, score, price, published_at, deleted)', this.#many(size.products, () => this.#post()));
    await this.#bulk('tags (name)', this.#many(40, (i) => { this.ids.tags.next(); return [`tag ${i} ${text(this.r, 20)}`]; }));
    await this.#bulk('post_tags', this.#many(size.products, () => this.#postTag()).filter((x) => x !== null));
    await this.#bulk('events (post_id, kind, at, span, addr, payload, small, ratio, big, day, t, ids)', this.#many(size.orders, () => this.#event()));
    await this.#bulk('comments (post_id, parent_id, body, created, score, approved)', this.#many(size.orders, (i) => this.#comment(i)));
    await this.#bulk('invoices', this.#many(Math.floor(size.orders / 2), () => this.#invoice()));
    await this.#bulk('sessions', this.#many(size.customers, () => this.#session()));
    await this.#bulk('counters', this.#many(200, (i) => [`counter ${i} ${text(this.r, 30)}`, testInteger(this.r, -(2n ** 62n), 2n ** 62n).toString()]));
    await this.#bulk('raw_log', this.#many(size.orders, () => this.#log()).flatMap((row) => (this.r.chance(0.1) ? [row, row] : [row])));
  }

  #many<T>(n: number, f: (i: number) => T): T[] {
    return Array.from({ length: n }, (_, i) => f(i));
  }

  /** Multi-row INSERTs of `rows` into `into` ('table (columns)'), 500 rows a statement. */
  async #bulk(into: string, rows: unknown[][]): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      let n = 0;
      const values = chunk.map((row) => `(${row.map(() => `$${++n}`).join(', ')})`).join(', ');
      await this.c.query(`INSERT INTO ${into} VALUES ${values}`, chunk.flat());
    }
  }

  #account(): unknown[] {
    const { r } = this;
    this.ids.accounts.next();
    return [`a${this.ids.accounts.all().length}-${uuid(r)}@example.com`, r.chance(0.2) ? null : text(r, 40), r.chance(0.1) ? null : r.pick(['sad', 'ok', 'happy']), tstz(r, 6), r.chance(0.9)];
  }

  #post(): unknown[] {
    const { r } = this;
    this.ids.posts.next();
    return [this.ids.accounts.pick(r), text(r, 200), r.chance(0.2) ? null : text(r, 1000), textArray(r), r.chance(0.2) ? null : document(r, 1), r.chance(0.2) ? null : this.#or(() => numeric(r), NUMERIC_SPECIALS),
      r.chance(0.2) ? null : testDecimal(r, 10, 2).replace(/^-/, ''), r.chance(0.2) ? null : datetime(r, 3), r.chance(0.1)];
  }

  #postTag(): unknown[] | null {
    const { r } = this;
    const p = this.ids.posts.pick(r);
    const t = this.ids.tags.pick(r);
    if (this.#postTags.has(`${p}/${t}`)) return null;
    this.#postTags.add(`${p}/${t}`);
    return [p, t, r.int(-32768, 32767)];
  }

  #event(): unknown[] {
    const { r } = this;
    this.ids.events.next();
    const nan = ['NaN', 'Infinity', '-Infinity'];
    return [r.chance(0.2) ? null : this.ids.posts.pick(r), r.pick(['view', 'like', 'share']), r.chance(0.1) ? null : tstz(r, 6), r.chance(0.1) ? null : this.#or(() => interval(r), MONTH_INTERVALS), r.chance(0.1) ? null : ip(r),
      r.chance(0.1) ? null : testBytes(r, r.chance(0.02) ? 30000 : r.int(0, 40)), r.chance(0.1) ? null : r.int(-32768, 32767), r.chance(0.1) ? null : this.#or(() => float4(r), nan), r.chance(0.1) ? null : this.#or(() => float8(r), nan),
      r.chance(0.1) ? null : date(r), r.chance(0.1) ? null : pgTime(r), r.chance(0.2) ? null : Array.from({ length: r.int(0, 5) }, () => (r.chance(0.1) ? null : r.int(-2147483648, 2147483647)))];
  }

  #comment(i: number): unknown[] {
    const { r } = this;
    this.ids.comments.next();
    return [this.ids.posts.pick(r), i > 0 && r.chance(0.3) ? r.int(1, i) : null, text(r, 300), tstz(r, 3), r.chance(0.2) ? null : float4(r), r.chance(0.2) ? null : r.chance(0.5)];
  }

  #invoice(): unknown[] {
    const { r } = this;
    const id = uuid(r);
    this.#invoices.push(id);
    return [id, this.ids.accounts.pick(r), testDecimal(r, 65, 30), r.chance(0.2) ? null : testInteger(r, 0n, 10n ** 20n - 1n).toString(), date(r), r.chance(0.2) ? null : datetime(r, 6),
      r.chance(0.2) ? null : bits(r, 8), r.chance(0.2) ? null : bits(r, r.int(0, 16)), r.chance(0.2) ? null : testBytes(r, r.int(0, 64)), r.chance(0.3) ? null : `I${this.#invoices.length}`, r.chance(0.3) ? null : text(r, 200)];
  }

  #session(): unknown[] {
    const { r } = this;
    return [this.ids.sessions.next(), r.chance(0.1) ? null : this.ids.accounts.pick(r), r.chance(0.1) ? null : ip(r), r.chance(0.1) ? null : tstz(r, 6), r.chance(0.1) ? null : this.#or(() => interval(r), MONTH_INTERVALS),
      r.chance(0.2) ? null : document(r, 2), r.chance(0.2) ? null : Array.from({ length: r.int(0, 4) }, () => r.int(0, 1000)), textArray(r), r.chance(0.1) ? null : float8(r)];
  }

  /** A keyless row; the application's (not the seed's) carry `mark` at the start of their line. */
  #log(mark?: string): unknown[] {
    const { r } = this;
    return [mark !== undefined ? mark + text(r, 200) : r.chance(0.1) ? null : text(r, 200), r.chance(0.1) ? null : datetime(r, 6)];
  }

  /** One application change (or transaction of changes), chosen at random. */
  async change(): Promise<void> {
    const { r, ids, c } = this;
    switch (r.int(0, 14)) {
      case 0: return void (await c.query('INSERT INTO accounts (email, nickname, mood, created, active) VALUES ($1, $2, $3, $4, $5)', this.#account()));
      case 1: return void (await c.query('UPDATE accounts SET nickname = $1, mood = $2 WHERE id = $3', [text(r, 40), r.pick(['sad', 'ok', 'happy', null]), ids.accounts.pick(r)]));
      case 2: return void (await c.query('CALL close_account($1)', [ids.accounts.pick(r)]));
      case 3: {
        await c.query('BEGIN');
        await c.query('INSERT INTO posts (account_id, title, body, tags, meta, score, price, published_at, deleted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', this.#post());
        const tag = this.#postTag();
        if (tag) await c.query('INSERT INTO post_tags VALUES ($1, $2, $3)', tag);
        return void (await c.query('COMMIT'));
      }
      case 4: return void (await c.query('UPDATE posts SET title = $1, meta = $2, score = $3, tags = $4 WHERE id = $5', [text(r, 200), r.chance(0.3) ? null : document(r, 3), this.#or(() => numeric(r), NUMERIC_SPECIALS), textArray(r), ids.posts.pick(r)])); // the trigger sets published_at
      case 5: return void (await c.query('INSERT INTO events (post_id, kind, at, span, addr, payload, small, ratio, big, day, t, ids) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)', this.#event()));
      case 6: return void (await c.query('UPDATE events SET span = $1, addr = $2, ids = $3, big = $4 WHERE id = $5', [interval(r), ip(r), [r.int(0, 9), null], float8(r), ids.events.pick(r)]));
      case 7: {
        // a comment with its replies, deleted children first
        const id = ids.comments.take(r);
        await c.query('BEGIN');
        await c.query('UPDATE comments SET parent_id = NULL WHERE parent_id = $1', [id]);
        await c.query('DELETE FROM comments WHERE id = $1', [id]);
        return void (await c.query('COMMIT'));
      }
      case 8: return void (await c.query('INSERT INTO comments (post_id, parent_id, body, created, score, approved) VALUES ($1, $2, $3, $4, $5, $6)', [ids.posts.pick(r), null, text(r, 300), tstz(r, 3), float4(r), r.chance(0.5)]).then(() => ids.comments.next()));
      case 9: {
        const id = r.pick(this.#invoices);
        return void (await c.query('UPDATE invoices SET amount = $1, flags = $2, vflags = $3, doc = $4, note = $5 WHERE id = $6', [testDecimal(r, 65, 30), bits(r, 8), bits(r, r.int(0, 16)), testBytes(r, r.int(0, 64)), text(r, 200), id]));
      }
      case 10: {
        const id = ids.sessions.take(r);
        if (r.chance(0.5)) return void (await c.query('DELETE FROM sessions WHERE id = $1', [id]));
        const to = ids.sessions.next();
        return void (await c.query('UPDATE sessions SET id = $1, attrs = $2, length = $3 WHERE id = $4', [to, document(r, to), this.#or(() => interval(r), MONTH_INTERVALS), id])); // a primary key change
      }
      case 11: {
        const row = this.#log(this.mark);
        return void (await c.query('INSERT INTO raw_log VALUES ($1, $2), ($1, $2)', row));
      }
      case 12: return void (await c.query("UPDATE raw_log SET line = COALESCE(line, '') || '+' WHERE ctid = (SELECT ctid FROM raw_log WHERE line IS NOT NULL LIMIT 1)"));
      case 13: return void (await c.query('DELETE FROM raw_log WHERE ctid = (SELECT ctid FROM raw_log LIMIT 1)'));
      default:
        if (this.#specials && r.chance(0.2)) return void (await c.query("UPDATE infinities SET day = CASE WHEN day = 'infinity' THEN '-infinity'::date ELSE 'infinity' END WHERE id = 1"));
        return void (await c.query('UPDATE counters SET n = n + 1 WHERE name = (SELECT name FROM counters ORDER BY random() LIMIT 1)'));
    }
  }
}

/**
 * The source option a PostgreSQL → MySQL/MariaDB migration of the shop needs to be exact: bit varying as its bit
 * string (into varchar(n): MySQL BIT(n) holds a number and drops a value's length). Intervals stay numeric (the shop
 * has no months without specials), written as '[-]HHH:MM:SS.ffffff' text.
 */
export const MYSQL_TARGET_SOURCE_OPTIONS = { bitVaryingHandlingMode: 'string' } as const;

/**
 * The source options a PostgreSQL → PostgreSQL migration of the shop with specials needs to be exact
 * (docs/sources/postgres.md): numeric NaN/±Infinity and intervals with months as text, bit varying as its bit string.
 */
export const SPECIALS_SOURCE_OPTIONS = { decimalHandlingMode: 'string', intervalHandlingMode: 'string', bitVaryingHandlingMode: 'string' } as const;
