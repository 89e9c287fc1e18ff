#!/bin/bash
# docker-compose.yml only: the PostgreSQL image runs this from /docker-entrypoint-initdb.d on first start,
# before 10-ferry-init.sql (infra/postgres/init.sql). It includes infra/postgres/ferry.conf (the one
# definition of the server settings; effective at the restart that ends initialisation) and allows
# physical replication connections with a password (the image's pg_hba has 'host all all all scram-sha-256',
# which does not cover them).
set -euo pipefail
echo "include '/etc/ferry/postgres.conf'" >>"$PGDATA/postgresql.conf"
echo "host replication all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
