#!/usr/bin/env bash
# Load: the product under gunicorn (2 workers) with a real Celery worker and redis-server,
# driven by wrk on a 50-photo gallery, the photo API and the local edge serving a rendition,
# each beside its ceiling served by the same middleware (benchmarks/ceiling.py): a minimal
# @login_required view for the pages, a plain FileResponse of the same file for the edge.
# The targets are measured in ROUNDS rounds (default 3), alternating, and the median of each
# is compared with the issue's targets; then 50 uploads at once, all of which must end ready.
# Everything listens on 127.0.0.1 and stops by itself.
#
#   benchmarks/load.sh [SECONDS_PER_TARGET (default 10)] [CONNECTIONS (default 16)]
#   ROUNDS=5 EDGE_CREDENTIALS=url benchmarks/load.sh ...
#
# EDGE_CREDENTIALS says how the edge request carries its credentials: "cookies" (default,
# CloudFront's signed cookies, as pages set them) or "url" (a signed query string, as the API
# hands out).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

DURATION="${1:-10}"
CONNECTIONS="${2:-16}"
ROUNDS="${ROUNDS:-3}"
export EDGE_CREDENTIALS="${EDGE_CREDENTIALS:-cookies}"
ensure_venv requirements-dev.txt
ensure_redis
command -v wrk >/dev/null 2>&1 || apt_install wrk

WORK="$(mktemp -d /tmp/pettracker-load.XXXXXX)"
REDIS_PORT="$(free_port)"; WEB_PORT="$(free_port)"; CEILING_PORT="$(free_port)"
export WEB_PORT  # load_helper signs for the origin wrk asks
export VAR_DIR="$WORK" CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"
export DEBUG=false ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=false
export SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(64))')"
export SIGNING_KEY_ENCRYPTION_KEYS="$("$PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"

pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 100); do
    (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  die "nothing listened on port $1"
}

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK" --save "" --appendonly no \
  --loglevel warning >"$WORK/redis.log" 2>&1 &
pids+=($!)
wait_port "$REDIS_PORT"
"$PY" manage.py migrate --no-input -v 0
"$PY" manage.py collectstatic --no-input -v 0
"$VENV/bin/celery" -A pettracker worker --concurrency 2 --loglevel WARNING >"$WORK/worker.log" 2>&1 &
pids+=($!)

say "Seeding a 50-photo gallery through the worker"
SEEDED="$("$PY" benchmarks/load_helper.py setup)"
field() { "$PY" -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$SEEDED" "$1"; }
COOKIE="$(field cookie)"
EDGE_COOKIE="$(field edge_cookie)"

"$VENV/bin/gunicorn" pettracker.wsgi -w 2 -b "127.0.0.1:$WEB_PORT" >"$WORK/web.log" 2>&1 &
pids+=($!)
DJANGO_SETTINGS_MODULE=benchmarks.ceiling "$VENV/bin/gunicorn" pettracker.wsgi -w 2 \
  -b "127.0.0.1:$CEILING_PORT" >"$WORK/ceiling.log" 2>&1 &
pids+=($!)
wait_port "$WEB_PORT"
wait_port "$CEILING_PORT"

WEB="http://127.0.0.1:$WEB_PORT"
CEILING="http://127.0.0.1:$CEILING_PORT"
# name|url|cookie: two pages, each beside its ceiling, then the photo API alone.
TARGETS=(
  "ceiling: @login_required view|$CEILING/|$COOKIE"
  "gallery page (50 photos)|$WEB$(field gallery)|$COOKIE"
  "ceiling: FileResponse|$CEILING/file/$(field file)|$COOKIE"
  "edge: a rendition ($EDGE_CREDENTIALS)|$WEB$(field edge)|$EDGE_COOKIE"
  "photo API|$WEB$(field api)|$COOKIE"
)
RESULTS="$WORK/wrk"
mkdir -p "$RESULTS"

measure() {  # INDEX ROUND SECONDS : one wrk run of a target, its output kept for the report
  local name url cookie
  IFS='|' read -r name url cookie <<<"${TARGETS[$1]}"
  # As a browser asks: compressed if the server will.
  wrk -t2 -c"$CONNECTIONS" -d"${3}s" --latency -H "Cookie: $cookie" \
    -H "Accept-Encoding: gzip" "$url" >"$RESULTS/$1.$2"
}

for index in "${!TARGETS[@]}"; do
  IFS='|' read -r name url cookie <<<"${TARGETS[$index]}"
  status="$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$url")"
  [ "$status" = 200 ] || die "$name answered $status before the run ($url)"
  printf '%s\n' "$name" >>"$RESULTS/names"
  measure "$index" warmup 1
done
rm -f "$RESULTS"/*.warmup

say "wrk: ${DURATION}s per target, $ROUNDS rounds, $CONNECTIONS connections, 2 threads; gunicorn 2 workers"
for round in $(seq 1 "$ROUNDS"); do
  # Each page back to back with its ceiling, which of the two goes first alternating.
  if [ $((round % 2)) = 1 ]; then order=(0 1 2 3 4); else order=(1 0 3 2 4); fi
  for index in "${order[@]}"; do measure "$index" "$round" "$DURATION"; done
done
# The issue's targets: the gallery at 50 % of its ceiling's req/s or more; the edge at 67 % of
# a FileResponse's or more (at most 1.5 times its time).
missed=0
"$PY" benchmarks/load_helper.py report "$RESULTS" 1/0:0.50 3/2:0.67 || missed=1

say "50 uploads at once, through the HTTP endpoints and the worker"
"$PY" benchmarks/load_helper.py uploads "$WEB" 50
[ "$missed" = 0 ] || die "a ratio missed its target (see the table above)"
