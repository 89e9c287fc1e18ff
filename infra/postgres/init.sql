-- Ferry's PostgreSQL test database and CDC role. One definition, used by infra/postgres.sh
-- (run as the superuser on every start; every statement is idempotent) and by docker-compose.yml
-- (mounted into /docker-entrypoint-initdb.d). A psql script: it uses \gexec and \connect.
\set ON_ERROR_STOP on

-- cdc: may log in, open replication connections (logical slots, pgoutput) and nothing else by default
SELECT 'CREATE ROLE cdc LOGIN REPLICATION PASSWORD ''cdc'''
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cdc') \gexec
ALTER ROLE cdc LOGIN REPLICATION;

SELECT 'CREATE DATABASE shop OWNER postgres ENCODING ''UTF8'''
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'shop') \gexec

-- CREATE on the database lets cdc create publications (and schemas); CONNECT is spelled out
GRANT CONNECT, CREATE ON DATABASE shop TO cdc;

\connect shop
-- schema public usable; tables that postgres creates there are readable by cdc (snapshots)
GRANT USAGE ON SCHEMA public TO cdc;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT ON TABLES TO cdc;
