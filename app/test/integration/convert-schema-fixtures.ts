/**
 * The realistic source schemas of convert-schema.test.ts: a MariaDB shop (11 tables, foreign keys, unique, composite,
 * prefix, fulltext and spatial indexes, every common type, a table without a primary key, odd identifiers, a
 * trigger, a procedure, a view, ON UPDATE CURRENT_TIMESTAMP, ENUM and SET) and a PostgreSQL blog (identity, serial,
 * enum type, arrays, jsonb, uuid, numeric without precision, a partial and an expression index, checks, a trigger
 * with its function, a standalone sequence, a view, a table without a primary key).
 */

export const MARIADB_SCHEMA = [
  `CREATE TABLE customers (
     id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
     email VARCHAR(190) NOT NULL,
     full_name VARCHAR(100) NOT NULL DEFAULT 'it''s me',
     is_active TINYINT(1) NOT NULL DEFAULT 1,
     tier ENUM('free','pro','enterprise') NOT NULL DEFAULT 'free',
     tags SET('a','b','c') NULL,
     created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
     updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
     UNIQUE KEY uq_email (email)
   ) AUTO_INCREMENT = 501`,
  `CREATE TABLE addresses (
     id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
     customer_id INT UNSIGNED NOT NULL,
     line1 VARCHAR(200) NULL,
     city VARCHAR(80) NULL,
     country CHAR(2) NOT NULL DEFAULT 'US',
     KEY idx_city_country (city, country),
     CONSTRAINT fk_addr_cust FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
   )`,
  `CREATE TABLE categories (
     id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
     parent_id SMALLINT UNSIGNED NULL,
     name VARCHAR(60) NOT NULL,
     CONSTRAINT fk_cat_parent FOREIGN KEY (parent_id) REFERENCES categories (id) ON DELETE SET NULL
   )`,
  `CREATE TABLE products (
     id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
     sku CHAR(12) NOT NULL,
     category_id SMALLINT UNSIGNED NULL,
     name VARCHAR(200) NOT NULL,
     description MEDIUMTEXT NULL,
     price DECIMAL(12,2) NOT NULL DEFAULT 0.00,
     weight FLOAT NULL,
     rating DOUBLE NULL,
     stock MEDIUMINT NOT NULL DEFAULT 0,
     attrs JSON NULL,
     photo LONGBLOB NULL,
     CONSTRAINT chk_price CHECK (price >= 0),
     UNIQUE KEY uq_sku (sku),
     KEY idx_name_prefix (name(20)),
     FULLTEXT KEY ft_desc (description),
     CONSTRAINT fk_prod_cat FOREIGN KEY (category_id) REFERENCES categories (id)
   )`,
  `CREATE TABLE orders (
     id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
     customer_id INT UNSIGNED NOT NULL,
     status ENUM('new','paid','shipped') NOT NULL DEFAULT 'new',
     total DECIMAL(65,30) NULL,
     placed_on DATE NULL,
     placed_at DATETIME NULL,
     ship_window TIME(3) NULL,
     notes TEXT NULL,
     KEY idx_cust_status (customer_id, status),
     CONSTRAINT fk_order_cust FOREIGN KEY (customer_id) REFERENCES customers (id)
   )`,
  `CREATE TABLE order_items (
     order_id BIGINT NOT NULL,
     line_no SMALLINT NOT NULL,
     product_id INT NOT NULL,
     qty INT UNSIGNED NOT NULL DEFAULT 1,
     unit_price DECIMAL(10,2) NOT NULL,
     PRIMARY KEY (order_id, line_no),
     CONSTRAINT fk_item_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
     CONSTRAINT fk_item_product FOREIGN KEY (product_id) REFERENCES products (id) ON UPDATE CASCADE
   )`,
  `CREATE TABLE payments (
     id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
     order_id BIGINT NOT NULL,
     amount DECIMAL(10,2) NOT NULL,
     method VARCHAR(20) NOT NULL DEFAULT 'card',
     paid_year YEAR NULL,
     flags BIT(8) NULL,
     approved BIT(1) NOT NULL DEFAULT b'0',
     raw VARBINARY(64) NULL,
     CONSTRAINT fk_pay_order FOREIGN KEY (order_id) REFERENCES orders (id)
   )`,
  `CREATE TABLE audit_log (
     happened_at TIMESTAMP(6) NULL DEFAULT NULL,
     actor VARCHAR(50) NULL,
     action VARCHAR(20) NULL,
     payload LONGTEXT NULL
   )`,
  `CREATE TABLE stores (
     id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
     name VARCHAR(100) NOT NULL,
     location POINT NOT NULL,
     tiny_note TINYTEXT NULL,
     SPATIAL KEY sp_loc (location)
   )`,
  `CREATE TABLE inventory (
     store_id INT NOT NULL,
     product_id INT NOT NULL,
     qty INT NOT NULL DEFAULT 0,
     checked_at DATETIME NULL ON UPDATE CURRENT_TIMESTAMP,
     PRIMARY KEY (store_id, product_id),
     CONSTRAINT fk_inv_store FOREIGN KEY (store_id) REFERENCES stores (id),
     CONSTRAINT fk_inv_product FOREIGN KEY (product_id) REFERENCES products (id)
   )`,
  'CREATE TABLE `odd "table"` (`select` INT NOT NULL PRIMARY KEY, `naïve ☃` VARCHAR(10) NULL, `back``tick` INT NULL)',
  "CREATE TRIGGER trg_orders_bi BEFORE INSERT ON orders FOR EACH ROW SET NEW.notes = COALESCE(NEW.notes, '')",
  "CREATE PROCEDURE close_order(IN oid BIGINT) BEGIN UPDATE orders SET status = 'shipped' WHERE id = oid; END",
  'CREATE VIEW v_customer_orders AS SELECT c.id, c.email, COUNT(o.id) AS n FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id, c.email',
];

/** `s` is the schema (search_path is set to it). */
export const POSTGRES_SCHEMA = [
  "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
  `CREATE TABLE accounts (
     id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     email text NOT NULL UNIQUE,
     nickname varchar(40),
     mood mood DEFAULT 'ok',
     created timestamptz NOT NULL DEFAULT now(),
     active boolean NOT NULL DEFAULT true
   )`,
  `CREATE TABLE posts (
     id serial PRIMARY KEY,
     account_id integer NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
     title varchar(200) NOT NULL,
     body text,
     tags text[] DEFAULT '{}',
     meta jsonb DEFAULT '{}'::jsonb,
     uid uuid NOT NULL DEFAULT gen_random_uuid(),
     score numeric,
     price numeric(10,2) CHECK (price >= 0),
     published_at timestamp(3),
     deleted boolean NOT NULL DEFAULT false
   )`,
  'CREATE INDEX posts_live_idx ON posts (account_id) WHERE NOT deleted',
  'CREATE INDEX posts_lower_title_idx ON posts (lower(title))',
  'CREATE INDEX posts_account_published_idx ON posts (account_id, published_at DESC)',
  `CREATE TABLE events (
     id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     post_id integer REFERENCES posts (id),
     kind varchar(20) NOT NULL CHECK (kind IN ('view', 'like', 'share')),
     at timestamptz,
     span interval,
     addr inet,
     payload bytea,
     small smallint,
     ratio real,
     big double precision,
     day date,
     t time(6),
     ids integer[]
   )`,
  'CREATE TABLE counters (name text PRIMARY KEY, n bigint NOT NULL DEFAULT 0)',
  'CREATE TABLE raw_log (line text, logged_at timestamp)',
  'CREATE SEQUENCE ticket_seq START 1000',
  'CREATE FUNCTION touch_post() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.published_at := now(); RETURN NEW; END $$',
  'CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch_post()',
  'CREATE VIEW account_posts AS SELECT a.id, a.email, count(p.id) AS posts FROM accounts a LEFT JOIN posts p ON p.account_id = a.id GROUP BY a.id, a.email',
  "INSERT INTO accounts (email) VALUES ('a@x'), ('b@x')",
  "INSERT INTO posts (account_id, title) VALUES (1, 'one'), (1, 'two'), (2, 'three')",
];
