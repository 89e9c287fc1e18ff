#!/bin/bash
# docker-compose.yml only: the MariaDB image runs this from /docker-entrypoint-initdb.d on first start.
# It applies infra/mariadb/init.sql (the one definition of the shop database and the cdc account), then
# the same account for host '%': through Docker's port mapping, connections do not come from 127.0.0.1.
set -euo pipefail
sql=/etc/ferry/mariadb-init.sql
run_sql() {
  if declare -F docker_process_sql >/dev/null; then
    docker_process_sql # the image's helper, defined when this file is sourced
  else
    mariadb --protocol=socket -uroot -p"${MARIADB_ROOT_PASSWORD}"
  fi
}
run_sql <"$sql"
sed "s/'cdc'@'127.0.0.1'/'cdc'@'%'/g" "$sql" | run_sql
