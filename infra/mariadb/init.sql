-- Ferry's MariaDB test database and least-privilege CDC account. One definition, used by
-- infra/mariadb.sh (run as root on every start; every statement is idempotent) and by
-- docker-compose.yml (through infra/mariadb/docker-init.sh, which also creates 'cdc'@'%').
--
-- The CDC account gets exactly what a binlog reader needs:
--   SELECT             snapshots
--   RELOAD             FLUSH TABLES ... for a consistent snapshot
--   SHOW DATABASES     discover schemas
--   REPLICATION SLAVE  read the binlog (COM_BINLOG_DUMP / COM_BINLOG_DUMP_GTID)
--   BINLOG MONITOR     SHOW MASTER STATUS / SHOW BINARY LOGS (REPLICATION CLIENT before 10.5)

CREATE DATABASE IF NOT EXISTS shop CHARACTER SET utf8mb4;

CREATE USER IF NOT EXISTS 'cdc'@'127.0.0.1' IDENTIFIED BY 'cdc';
CREATE USER IF NOT EXISTS 'cdc'@'localhost' IDENTIFIED BY 'cdc';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'cdc'@'127.0.0.1';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'cdc'@'localhost';
