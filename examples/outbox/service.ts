/**
 * An order service with a transactional outbox: each order is stored and its OrderPlaced event is written to the
 * outbox table in the same transaction, so the event exists if and only if the order does. Ferry's outbox router
 * (settings.outbox in task.yaml) turns the committed outbox rows into records on outbox.event.<aggregatetype>.
 *
 *   scripts/node examples/outbox/service.ts [orders]      (PG_URL, default postgres://cdc:cdc@127.0.0.1:5432/shop)
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';

export interface Order {
  readonly id: string;
  readonly customer: string;
  readonly total: number;
  readonly lines: readonly { readonly sku: string; readonly qty: number }[];
}

/** The orders table and the outbox table (Debezium's layout: id, aggregatetype, aggregateid, type, payload). */
export async function createSchema(client: pg.Client, schema: string): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.orders (id text PRIMARY KEY, customer text NOT NULL, total numeric(12,2) NOT NULL, placed_at timestamptz NOT NULL DEFAULT now())`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.outbox (
    id uuid PRIMARY KEY, aggregatetype varchar(255) NOT NULL, aggregateid varchar(255) NOT NULL,
    type varchar(255) NOT NULL, payload jsonb, created_at timestamptz NOT NULL DEFAULT now())`);
  // The outbox table keeps the default replica identity (Ferry skips its updates: docs/outbox.md#postgresql); orders is
  // an ordinary captured table with TOAST-able text columns, which Ferry needs REPLICA IDENTITY FULL for.
  await client.query(`ALTER TABLE ${schema}.orders REPLICA IDENTITY FULL`);
}

/** The order and its event, inside the caller's open transaction. Returns the event id. */
export async function writeOrderWithEvent(client: pg.Client, schema: string, order: Order): Promise<string> {
  const eventId = randomUUID();
  await client.query(`INSERT INTO ${schema}.orders (id, customer, total) VALUES ($1, $2, $3)`, [order.id, order.customer, order.total]);
  await client.query(`INSERT INTO ${schema}.outbox (id, aggregatetype, aggregateid, type, payload) VALUES ($1, 'Order', $2, 'OrderPlaced', $3)`,
    [eventId, order.id, JSON.stringify({ orderId: order.id, customer: order.customer, total: order.total, lines: order.lines })]);
  return eventId;
}

/** Places an order: one transaction for the order and its event. */
export async function placeOrder(client: pg.Client, schema: string, order: Order): Promise<string> {
  await client.query('BEGIN');
  try {
    const id = await writeOrderWithEvent(client, schema, order);
    await client.query('COMMIT');
    return id;
  } catch (e: unknown) {
    await client.query('ROLLBACK');
    throw e;
  }
}

/** The outbox is a queue: rows already published can be deleted (Ferry ignores deletes of outbox rows). */
export async function cleanOutbox(client: pg.Client, schema: string, olderThanMinutes: number): Promise<number> {
  const r = await client.query(`DELETE FROM ${schema}.outbox WHERE created_at < now() - make_interval(mins => $1)`, [olderThanMinutes]);
  return r.rowCount ?? 0;
}

if (import.meta.main) {
  const client = new pg.Client({ connectionString: process.env.PG_URL ?? 'postgres://cdc:cdc@127.0.0.1:5432/shop' });
  await client.connect();
  await createSchema(client, 'outbox_demo');
  const n = Number(process.argv[2] ?? 10);
  for (let i = 0; i < n; i++) {
    const order: Order = { id: `o-${Date.now().toString(36)}-${i}`, customer: `c-${i % 3}`, total: 10 + i, lines: [{ sku: `sku-${i % 5}`, qty: 1 + (i % 2) }] };
    const eventId = await placeOrder(client, 'outbox_demo', order);
    console.log(`order ${order.id} placed, event ${eventId}`);
  }
  await client.end();
}
