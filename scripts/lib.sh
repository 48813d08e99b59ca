# Shared set-up steps for scripts/run and scripts/test. Each step is idempotent: it checks
# what exists and only does the missing work, so a second run starts at once.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
APT_UPDATED=""

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31mError:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

# apt_install PACKAGE... : install the Debian packages that are not installed yet.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "please install: ${missing[*]} (no apt-get here)"
  say "Installing ${missing[*]} from the OS packages"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

find_python() {
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      echo "$candidate"; return 0
    fi
  done
  die "PetTracker needs Python 3.11 (python3.11 or python3 on PATH)"
}

# ensure_venv REQUIREMENTS_FILE : .venv with that file installed (skipped when unchanged).
ensure_venv() {
  local requirements="$1" python stamp digest
  if [ ! -x "$PY" ]; then
    python="$(find_python)"
    say "Creating the virtualenv in .venv"
    if ! "$python" -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      apt_install python3-venv
      "$python" -m venv "$VENV"
    fi
  fi
  digest="$(cat "$ROOT"/requirements*.txt | sha256sum | cut -d' ' -f1)"
  stamp="$VENV/.installed-$(basename "$requirements")"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
    say "Installing $(basename "$requirements")"
    "$PY" -m pip install --quiet --disable-pip-version-check -r "$ROOT/$requirements"
    echo "$digest" > "$stamp"
  fi
}

# ensure_node_modules : node_modules as package-lock.json pins it (the photo viewer, served as
# static files), with Node and npm from the OS packages when missing. `npm ci` runs only when
# the lock changed since the last install (a stamp of its hash inside node_modules, which
# `npm ci` wipes); it runs no package scripts.
ensure_node_modules() {
  local stamp="$ROOT/node_modules/.installed-lock" digest
  command -v node >/dev/null 2>&1 || apt_install nodejs
  command -v npm >/dev/null 2>&1 || apt_install npm
  digest="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
    say "Installing the front-end packages (npm ci)"
    (cd "$ROOT" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    echo "$digest" > "$stamp"
  fi
}

ensure_redis() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
}

# free_port : a TCP port nothing listens on now, on 127.0.0.1.
free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_postgres : a throwaway PostgreSQL cluster on a free local port, stopped when the
# calling script exits; sets PG_URL. The cluster lives under var/pg (or a temporary folder
# when the postgres user cannot reach var/), owned by the user PostgreSQL insists on.
start_postgres() {
  apt_install postgresql
  local bin port dir runner=()
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -x "$bin/initdb" ] || die "PostgreSQL's initdb was not found under /usr/lib/postgresql"
  port="$(free_port)"
  [ "$(id -u)" = 0 ] && runner=(runuser -u postgres --)
  dir="$ROOT/var/pg-test"
  rm -rf "$dir"
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    if ! "${runner[@]}" test -w "$dir"; then  # a parent folder closed to other users
      rm -rf "$dir"
      dir="$(mktemp -d /tmp/pettracker-pg.XXXXXX)"
      chown postgres "$dir"
    fi
  fi
  "${runner[@]}" "$bin/initdb" -D "$dir/data" -U pettracker -A trust --no-sync >/dev/null
  "${runner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null
  PG_STOP=("${runner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop)
  # The fault tests restart the database under a running worker with this command.
  export PETTRACKER_TEST_PG_RESTART="${runner[*]} $bin/pg_ctl -D $dir/data -m fast -w restart"
  PG_DIR="$dir"
  PG_URL="postgres://pettracker@127.0.0.1:$port/pettracker"
  "${runner[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U pettracker pettracker
}

stop_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  "${PG_STOP[@]}" >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=""
}
