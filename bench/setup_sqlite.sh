#!/usr/bin/env bash
# Build the reference dataset (SPEC §12) into a fresh SQLite file (default var/bench/zjpx_bench.db).
#   bash bench/setup_sqlite.sh [scale] [path]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SCALE="${1:-1.0}"
export APP_VAR_DIR="${APP_VAR_DIR:-$PWD/var/bench}"
DB_PATH="${2:-$APP_VAR_DIR/zjpx_bench.db}"
export DATABASE_URL="sqlite:///$DB_PATH"
export CELERY_TASK_ALWAYS_EAGER=1
mkdir -p "$(dirname "$DB_PATH")"
start=$SECONDS
rm -f "$DB_PATH"
.venv/bin/flask --app run db upgrade
.venv/bin/python bench/build_dataset.py --url "$DATABASE_URL" --scale "$SCALE"
echo "dataset built in $((SECONDS - start))s: $DB_PATH"
