#!/usr/bin/env bash
# Load: the product under gunicorn (2 workers) with a real Celery worker and redis-server,
# driven by wrk on a 50-photo gallery, the photo API and the local edge serving a rendition,
# beside a minimal Django view (the same middleware, no work) as the ceiling; then 50 uploads
# at once, all of which must end ready. Everything listens on 127.0.0.1 and stops by itself.
#
#   benchmarks/load.sh [SECONDS_PER_TARGET (default 10)] [CONNECTIONS (default 16)]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

DURATION="${1:-10}"
CONNECTIONS="${2:-16}"
ensure_venv requirements-dev.txt
ensure_redis
command -v wrk >/dev/null 2>&1 || apt_install wrk

WORK="$(mktemp -d /tmp/pettracker-load.XXXXXX)"
REDIS_PORT="$(free_port)"; WEB_PORT="$(free_port)"; CEILING_PORT="$(free_port)"
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
TARGETS="$("$PY" benchmarks/load_helper.py setup)"
field() { "$PY" -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$TARGETS" "$1"; }
COOKIE="$(field cookie)"

"$VENV/bin/gunicorn" pettracker.wsgi -w 2 -b "127.0.0.1:$WEB_PORT" >"$WORK/web.log" 2>&1 &
pids+=($!)
DJANGO_SETTINGS_MODULE=benchmarks.ceiling "$VENV/bin/gunicorn" pettracker.wsgi -w 2 \
  -b "127.0.0.1:$CEILING_PORT" >"$WORK/ceiling.log" 2>&1 &
pids+=($!)
wait_port "$WEB_PORT"
wait_port "$CEILING_PORT"

run() {  # NAME URL : one wrk run, one table row
  local name="$1" url="$2" status out rps p50 p90 p99 bad
  status="$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "$url")"
  [ "$status" = 200 ] || die "$name answered $status before the run ($url)"
  out="$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Cookie: $COOKIE" "$url")"
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p90="$(awk '$1 == "90%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  bad="$(awk '/Non-2xx or 3xx/ {print $NF}' <<<"$out")"
  printf '%-34s %10s %9s %9s %9s %9s\n' "$name" "$rps" "$p50" "$p90" "$p99" "${bad:-0}"
}

say "wrk: ${DURATION}s per target, $CONNECTIONS connections, 2 threads; gunicorn 2 workers"
printf '%-34s %10s %9s %9s %9s %9s\n' "target" "req/s" "p50" "p90" "p99" "non-2xx"
run "minimal Django view (the ceiling)" "http://127.0.0.1:$CEILING_PORT/"
run "gallery page (50 photos)" "http://127.0.0.1:$WEB_PORT$(field gallery)"
run "photo API" "http://127.0.0.1:$WEB_PORT$(field api)"
run "edge: a signed rendition" "http://127.0.0.1:$WEB_PORT$(field edge)"

say "50 uploads at once, through the HTTP endpoints and the worker"
"$PY" benchmarks/load_helper.py uploads "http://127.0.0.1:$WEB_PORT" 50
