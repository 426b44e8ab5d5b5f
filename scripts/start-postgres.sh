#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 with the test database the server's
# tests use (CLOUDRUN_TEST_POSTGRES_URL, default postgresql://cloudrun:cloudrun@127.0.0.1:5432/cloudrun_test).
# Uses Debian's cluster tools (apt-get install postgresql); creates a cluster if there is none.
set -euo pipefail

command -v pg_lsclusters >/dev/null || { echo "start-postgres: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
  echo "start-postgres: creating cluster $version/main"
  $SUDO pg_createcluster "$version" main --port 5432 >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  echo "start-postgres: starting cluster $version/main"
  $SUDO pg_ctlcluster "$version" main start
fi
for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "start-postgres: PostgreSQL did not become ready within 30 s" >&2; exit 1; }

user=${CLOUDRUN_TEST_POSTGRES_USER:-cloudrun}
password=${CLOUDRUN_TEST_POSTGRES_PASSWORD:-cloudrun}
database=${CLOUDRUN_TEST_POSTGRES_DB:-cloudrun_test}
as_postgres psql -q -v ON_ERROR_STOP=1 -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$user') THEN
    CREATE ROLE $user LOGIN PASSWORD '$password';
  END IF;
END \$\$;
SQL
if ! as_postgres psql -tAq -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
  as_postgres createdb -O "$user" "$database"
fi
echo "start-postgres: ready (postgresql://$user:***@127.0.0.1:5432/$database)"
