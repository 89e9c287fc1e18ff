/** The demo's generated shop workload in MariaDB: two tables, a snapshot's worth of rows, then live changes. */
import mysql from 'mysql2/promise';

export interface DemoDb {
  readonly host: string;
  readonly port: number;
  readonly database: string;
}

const ADMIN = { user: 'root', password: 'root' };

export async function adminConnection(db: DemoDb, database?: string): Promise<mysql.Connection> {
  return mysql.createConnection({ host: db.host, port: db.port, ...ADMIN, ...(database ? { database } : {}), dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, timezone: 'Z' });
}

/** (Re)creates the demo database with `rows` customers and `rows` orders. */
export async function createWorkload(db: DemoDb, rows: number): Promise<void> {
  const c = await adminConnection(db);
  try {
    await c.query(`DROP DATABASE IF EXISTS \`${db.database}\``);
    await c.query(`CREATE DATABASE \`${db.database}\` CHARACTER SET utf8mb4`);
    await c.query(`USE \`${db.database}\``);
    await c.query(`CREATE TABLE customers (
      id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(200), balance DECIMAL(12,2) NOT NULL,
      created_at DATETIME(6) NOT NULL) ENGINE=InnoDB`);
    await c.query(`CREATE TABLE orders (
      id BIGINT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL,
      status ENUM('new','paid','shipped','cancelled') NOT NULL, note TEXT, placed_at TIMESTAMP(6) NOT NULL) ENGINE=InnoDB`);
    for (let start = 1; start <= rows; start += 1000) {
      const end = Math.min(rows, start + 999);
      const cust: unknown[][] = [];
      const ord: unknown[][] = [];
      for (let i = start; i <= end; i++) {
        cust.push([i, `Customer ${i} ${i % 7 === 0 ? '😀' : ''}`.trim(), i % 5 === 0 ? null : `c${i}@example.com`, ((i * 137) % 100000) / 100, `2024-01-${String((i % 28) + 1).padStart(2, '0')} 10:00:00.${String(i % 1000000).padStart(6, '0')}`]);
        ord.push([i, ((i * 31) % rows) + 1, ((i * 53) % 50000) / 100, ['new', 'paid', 'shipped', 'cancelled'][i % 4], i % 3 === 0 ? null : `order note ${i}`, `2024-02-${String((i % 28) + 1).padStart(2, '0')} 12:00:00.${String((i * 7) % 1000000).padStart(6, '0')}`]);
      }
      await c.query('INSERT INTO customers VALUES ?', [cust]);
      await c.query('INSERT INTO orders VALUES ?', [ord]);
    }
  } finally {
    await c.end();
  }
}

export interface ChangeCounts { inserts: number; updates: number; deletes: number }

/** Applies live changes (each its own transaction, as an application would): inserts, updates, then deletes. */
export async function applyChanges(db: DemoDb, rows: number, n: number): Promise<ChangeCounts> {
  const c = await adminConnection(db, db.database);
  const counts = { inserts: 0, updates: 0, deletes: 0 };
  try {
    for (let i = 1; i <= n; i++) {
      const id = rows + i;
      await c.query('INSERT INTO orders VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6))', [id, (i % rows) + 1, (i * 9.99).toFixed(2), 'new', `live order ${i}`]);
      counts.inserts++;
    }
    for (let i = 1; i <= n; i++) {
      await c.query("UPDATE orders SET status = 'paid', amount = amount + 1 WHERE id = ?", [rows + i]);
      await c.query('UPDATE customers SET balance = balance - 1.25 WHERE id = ?', [i]);
      counts.updates += 2;
    }
    for (let i = 1; i <= Math.ceil(n / 2); i++) {
      await c.query('DELETE FROM orders WHERE id = ?', [i]);
      counts.deletes++;
    }
  } finally {
    await c.end();
  }
  return counts;
}
