#!/usr/bin/env bash
# Build the reference dataset (SPEC §12) into a fresh PostgreSQL database, zjpx_bench by default.
#   bash bench/setup_pg.sh [scale]        e.g. bash bench/setup_pg.sh 1.0
# Drops and recreates ONLY the database named by $BENCH_DB (default zjpx_bench).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SCALE="${1:-1.0}"
DB="${BENCH_DB:-zjpx_bench}"
HOST="${PGHOST:-127.0.0.1}"
case "$DB" in zjpx_bench*) ;; *) echo "refusing to recreate '$DB': the bench database name must start with zjpx_bench" >&2; exit 2 ;; esac
export DATABASE_URL="postgresql+psycopg://postgres@$HOST:5432/$DB"
export APP_VAR_DIR="${APP_VAR_DIR:-$PWD/var/bench}"
export CELERY_TASK_ALWAYS_EAGER=1
# The app refuses to start on PostgreSQL without a key (app/security/secret.py); the bench database is never served.
export SECRET_KEY="${SECRET_KEY:-bench-only-key}"
mkdir -p "$APP_VAR_DIR"
start=$SECONDS
dropdb -h "$HOST" -U postgres --if-exists "$DB"
createdb -h "$HOST" -U postgres -E UTF8 --locale=C.UTF-8 -T template0 "$DB"
.venv/bin/flask --app run db upgrade
.venv/bin/python bench/build_dataset.py --url "$DATABASE_URL" --scale "$SCALE"
echo "dataset built in $((SECONDS - start))s"
