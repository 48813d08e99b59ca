#!/usr/bin/env bash
# benchmarks/scale.py on PostgreSQL: a throwaway local cluster, as scripts/test makes one
# (installed with apt-get if it is missing), stopped and removed afterwards.
#
#   bash benchmarks/scale_postgres.sh [scale.py's options, e.g. --explain]
#
# Not while scripts/test runs from the same folder: both use var/pg-test.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$ROOT"
trap stop_postgres EXIT
start_postgres >/dev/null
DATABASE_URL="$PG_URL" "$PY" benchmarks/scale.py "$@"
