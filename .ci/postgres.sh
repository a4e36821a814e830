#!/usr/bin/env bash
# Makes sure a local PostgreSQL 15 server runs and holds an empty-able test database, then
# prints its SQLAlchemy URL. Used by `make test` and .ci/run; a fresh machine runs no server.
set -euo pipefail
DB=${FTZ_TEST_DB_NAME:-ftz_test}
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else sudo -u postgres sh -c "$*"; fi; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d /usr/lib/postgresql/15 ]; then
  echo "installing PostgreSQL 15 (Debian packages)" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >&2
fi
if ! pg_lsclusters 15 main >/dev/null 2>&1 || [ -z "$(pg_lsclusters -h 15 main 2>/dev/null)" ]; then
  pg_createcluster 15 main >&2
fi
if ! pg_lsclusters -h 15 main | grep -q online; then
  pg_ctlcluster 15 main start >&2
fi
for _ in $(seq 30); do pg_isready -q && break; sleep 1; done
as_postgres "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='ftz'\"" | grep -q 1 \
  || as_postgres "psql -qc \"CREATE ROLE ftz LOGIN PASSWORD 'ftz' CREATEDB\"" >&2
as_postgres "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='$DB'\"" | grep -q 1 \
  || as_postgres "createdb -O ftz $DB" >&2
echo "postgresql://ftz:ftz@localhost:5432/$DB"
