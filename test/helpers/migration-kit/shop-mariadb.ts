/**
 * The MariaDB shop of convert-schema-fixtures.ts (11 tables, foreign keys, a keyless audit_log, a trigger, a
 * procedure) filled with seeded rows of every column type, and the application that changes it while a migration
 * runs: inserts, updates and deletes across the tables, FK children before their parents (InnoDB does not write
 * cascaded changes to the binlog, so the application deletes children itself, as a replicated shop must), the
 * procedure called, the trigger firing, duplicate rows in the keyless table changed one copy at a time, a primary
 * key updated.
 */
import type mysql from 'mysql2/promise';
import { MARIADB_SCHEMA } from '../../../app/test/integration/convert-schema-fixtures.ts';
import { decimalDigitsDouble, testBytes, testDecimal, testInteger, type Random } from '../random-values.ts';
import { clock, date, datetime, document, text } from './values.ts';
import { Ids, MARKS, type ShopSize } from './ids.ts';

export const MARIADB_SHOP_TABLES = ['addresses', 'audit_log', 'categories', 'customers', 'inventory', 'odd "table"', 'order_items', 'orders', 'payments', 'products', 'stores'];

const TIERS = ['free', 'pro', 'enterprise'];
const TAGS = [null, '', 'a', 'a,b', 'a,b,c', 'c'];
const float = (r: Random) => (r.chance(0.05) ? r.pick([0, -0, 3.4028234663852886e38, 1.1754943508222875e-38]) : Math.fround(decimalDigitsDouble(r, r.int(1, 9), -10, 10)));
const double = (r: Random) => (r.chance(0.05) ? r.pick([Number.MAX_VALUE, -Number.MAX_VALUE, 2.2250738585072014e-308, 0.1, 1 / 3]) : decimalDigitsDouble(r, r.int(1, 17), -30, 30));
const u64 = (r: Random) => testInteger(r, 1n, 2n ** 64n - 1n).toString();

export class MariadbShop {
  /** The mark of the keyless rows the application inserts (ids.ts MARKS). */
  mark: string = MARKS[0];
  readonly ids = { customers: new Ids(), addresses: new Ids(), categories: new Ids(), products: new Ids(), orders: new Ids(), payments: new Ids(), stores: new Ids(), odd: new Ids() };
  readonly #paymentIds = new Set<string>();
  #paymentId = 0n;

  private readonly c: mysql.Connection;
  readonly db: string;
  private readonly r: Random;

  constructor(c: mysql.Connection, db: string, r: Random) {
    this.c = c;
    this.db = db;
    this.r = r;
  }

  /** Creates the database (utf8mb4), the fixture's schema, and `size` rows per table. */
  async create(size: ShopSize): Promise<void> {
    const { c, db } = this;
    await c.query("SET time_zone = '+00:00'");
    await c.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await c.query(`USE \`${db}\``);
    for (const s of MARIADB_SCHEMA) await c.query(s);
    await this.#bulk('categories', Array.from({ length: 30 }, (_, i) => this.#category(i + 1)));
    await this.#bulk('customers', this.#many(size.customers, () => this.#customer()));
    await this.#bulk('addresses', this.#many(size.customers, () => this.#address()));
    await this.#bulk('products', this.#many(size.products, () => this.#product()));
    for (let i = 1; i <= 12; i++) await this.#store();
    await this.#bulk('orders', this.#many(size.orders, () => this.#order()));
    await this.#bulk('order_items', this.ids.orders.all().flatMap((o) => this.#itemsFor(o)));
    await this.#bulk('payments', this.#many(Math.floor(size.orders / 2), () => this.#payment(this.ids.orders.pick(this.r))));
    await this.#bulk('inventory', this.#many(size.products, (i) => [this.ids.stores.all()[i % 12], this.ids.products.all()[i], this.r.int(-100, 100000), this.r.chance(0.3) ? null : datetime(this.r, 0, 1970, 2037)]));
    await this.#bulk('audit_log', this.#many(size.orders, () => this.#audit()).flatMap((row) => (this.r.chance(0.1) ? [row, row] : [row])));
    await this.#bulk('`odd "table"`', this.#many(100, () => this.#odd()));
  }

  #many<T>(n: number, f: (i: number) => T): T[] {
    return Array.from({ length: n }, (_, i) => f(i));
  }

  async #bulk(table: string, rows: unknown[][]): Promise<void> {
    const name = table.startsWith('`') ? table : `\`${table}\``;
    for (let i = 0; i < rows.length; i += 1000) await this.c.query(`INSERT INTO ${name} VALUES ?`, [rows.slice(i, i + 1000)]);
  }

  #category(id: number): unknown[] {
    this.ids.categories.add(id);
    return [id, id > 5 && this.r.chance(0.8) ? this.r.int(1, id - 1) : null, text(this.r, 60)];
  }

  #customer(): unknown[] {
    const { r } = this;
    const id = this.ids.customers.next();
    return [id, `c${id}@example.com`, text(r, 100), r.int(0, 1), r.pick(TIERS), r.pick(TAGS), datetime(r, 6), datetime(r, 3, 1971, 2037)];
  }

  #address(): unknown[] {
    const { r } = this;
    return [this.ids.addresses.next(), this.ids.customers.pick(r), r.chance(0.2) ? null : text(r, 200), r.chance(0.2) ? null : text(r, 80), r.pick(['US', 'DE', 'FR', 'J'])];
  }

  #product(): unknown[] {
    const { r } = this;
    const id = this.ids.products.next();
    const photo = r.chance(0.2) ? null : testBytes(r, r.chance(0.05) ? 20000 : r.int(0, 64));
    return [id, `SKU${String(id).padStart(9, '0')}`, r.chance(0.1) ? null : this.ids.categories.pick(r), text(r, 200), r.chance(0.2) ? null : text(r, 2000),
      testDecimal(r, 12, 2).replace(/^-/, ''), r.chance(0.1) ? null : float(r), r.chance(0.1) ? null : double(r), r.int(-8388608, 8388607), r.chance(0.2) ? null : document(r, id), photo];
  }

  #order(): unknown[] {
    const { r } = this;
    return [this.ids.orders.next(), this.ids.customers.pick(r), r.pick(['new', 'paid', 'shipped']), r.chance(0.1) ? null : testDecimal(r, 65, 30),
      r.chance(0.1) ? null : date(r), r.chance(0.1) ? null : datetime(r, 0), r.chance(0.1) ? null : clock(r), r.chance(0.3) ? null : text(r, 300)];
  }

  #itemsFor(order: number): unknown[][] {
    const n = this.r.int(1, 3);
    return this.#many(n, (i) => [order, i + 1, this.ids.products.pick(this.r), testInteger(this.r, 0n, 4294967295n).toString(), testDecimal(this.r, 10, 2)]);
  }

  #payment(order: number): unknown[] {
    const { r } = this;
    const id = r.chance(0.5) ? (++this.#paymentId).toString() : u64(r);
    if (this.#paymentIds.has(id)) return this.#payment(order);
    this.#paymentIds.add(id);
    return [id, order, testDecimal(r, 10, 2), r.pick(['card', 'cash', 'wire ü']), r.chance(0.2) ? null : r.int(1901, 2155), r.chance(0.2) ? null : r.int(0, 255), r.int(0, 1), r.chance(0.2) ? null : testBytes(r, r.int(0, 64))];
  }

  /** A keyless row; the application's (not the seed's) carry `mark` at the start of their payload. */
  #audit(mark?: string): unknown[] {
    const { r } = this;
    return [r.chance(0.1) ? null : datetime(r, 6, 1971, 2037), r.chance(0.1) ? null : text(r, 50), r.pick(['insert', 'update', 'delete', null]), mark !== undefined ? mark + text(r, 500) : r.chance(0.1) ? null : text(r, 500)];
  }

  #odd(): unknown[] {
    return [this.ids.odd.next(), this.r.chance(0.2) ? null : text(this.r, 10), this.r.chance(0.2) ? null : this.r.int(-1000, 1000)];
  }

  async #store(): Promise<void> {
    const { r } = this;
    await this.c.query('INSERT INTO stores (id, name, location, tiny_note) VALUES (?, ?, ST_GeomFromText(?), ?)',
      [this.ids.stores.next(), text(r, 100), `POINT(${decimalDigitsDouble(r, 15, -5, 2)} ${decimalDigitsDouble(r, 15, -5, 2)})`, r.chance(0.5) ? null : text(r, 60)]);
  }

  async #tx(statements: [string, unknown[]][]): Promise<void> {
    await this.c.beginTransaction();
    try {
      for (const [sql, params] of statements) await this.c.query(sql, params);
      await this.c.commit();
    } catch (e) {
      await this.c.rollback();
      throw e;
    }
  }

  /** One application change (or transaction of changes), chosen at random. */
  async change(): Promise<void> {
    const { r, ids } = this;
    const values = (row: unknown[]) => `VALUES (${row.map(() => '?').join(', ')})`;
    switch (r.int(0, 15)) {
      case 0: {
        const cu = this.#customer();
        const ad = this.#address();
        ad[1] = cu[0];
        return this.#tx([[`INSERT INTO customers ${values(cu)}`, cu], [`INSERT INTO addresses ${values(ad)}`, ad]]);
      }
      case 1: return void (await this.c.query('UPDATE customers SET full_name = ?, tier = ?, tags = ?, is_active = 1 - is_active WHERE id = ?', [text(r, 100), r.pick(TIERS), r.pick(TAGS), ids.customers.pick(r)]));
      case 2: case 3: {
        const o = this.#order();
        o[7] = null; // the trigger writes ''
        const items = this.#itemsFor(o[0] as number);
        const p = this.#payment(o[0] as number);
        return this.#tx([[`INSERT INTO orders ${values(o)}`, o], ...items.map((it): [string, unknown[]] => [`INSERT INTO order_items ${values(it)}`, it]), [`INSERT INTO payments ${values(p)}`, p]]);
      }
      case 4: return void (await this.c.query('CALL close_order(?)', [ids.orders.pick(r)]));
      case 5: return void (await this.c.query('UPDATE orders SET total = ?, ship_window = ?, notes = CONCAT(COALESCE(notes, \'\'), ?) WHERE id = ?', [testDecimal(r, 65, 30), clock(r), text(r, 5), ids.orders.pick(r)]));
      case 6: {
        const o = ids.orders.take(r);
        return this.#tx([['DELETE FROM order_items WHERE order_id = ?', [o]], ['DELETE FROM payments WHERE order_id = ?', [o]], ['DELETE FROM orders WHERE id = ?', [o]]]);
      }
      case 7: return void (await this.c.query('UPDATE products SET price = ?, attrs = ?, photo = ?, weight = ?, rating = ? WHERE id = ?',
        [testDecimal(r, 12, 2).replace(/^-/, ''), r.chance(0.3) ? null : document(r, 7), r.chance(0.3) ? null : testBytes(r, r.int(0, 100)), float(r), double(r), ids.products.pick(r)]));
      case 8: return void (await this.c.query('INSERT INTO inventory (store_id, product_id, qty) VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE qty = qty + 1', [ids.stores.pick(r), ids.products.pick(r)]));
      case 9: {
        const a = this.#audit(this.mark);
        return void (await this.c.query('INSERT INTO audit_log VALUES (?, ?, ?, ?), (?, ?, ?, ?)', [...a, ...a]));
      }
      case 10: return void (await this.c.query("UPDATE audit_log SET action = 'changed', payload = CONCAT(COALESCE(payload, ''), '+') WHERE action = ? LIMIT 1", [r.pick(['insert', 'update', 'delete'])]));
      case 11: return void (await this.c.query('DELETE FROM audit_log WHERE action = ? LIMIT 1', [r.pick(['insert', 'update', 'delete', 'changed'])]));
      case 12: {
        const id = ids.odd.take(r);
        if (r.chance(0.5)) return void (await this.c.query('DELETE FROM `odd "table"` WHERE `select` = ?', [id]));
        const to = ids.odd.next();
        return void (await this.c.query('UPDATE `odd "table"` SET `select` = ?, `naïve ☃` = ? WHERE `select` = ?', [to, text(r, 10), id]));
      }
      case 13: return void (await this.c.query('UPDATE payments SET flags = ?, approved = ?, raw = ? WHERE order_id = ? LIMIT 1', [r.int(0, 255), r.int(0, 1), testBytes(r, r.int(0, 64)), ids.orders.pick(r)]));
      case 14: {
        // a new customer without orders, then deleted with its addresses
        const cu = this.#customer();
        await this.c.query(`INSERT INTO customers ${values(cu)}`, cu);
        const gone = ids.customers.takeNewest();
        return this.#tx([['DELETE FROM addresses WHERE customer_id = ?', [gone]], ['DELETE FROM customers WHERE id = ?', [gone]]]);
      }
      default: return void (await this.c.query('UPDATE stores SET location = ST_GeomFromText(?) WHERE id = ?', [`POINT(${decimalDigitsDouble(r, 15, -5, 2)} ${decimalDigitsDouble(r, 15, -5, 2)})`, ids.stores.pick(r)]));
    }
  }

  async drop(): Promise<void> {
    await this.c.query(`DROP DATABASE IF EXISTS \`${this.db}\``);
  }
}
