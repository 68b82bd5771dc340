#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server on a free loopback port, then stops it.
#   bash scripts/with-postgres.sh <command> [args...]
# Exports SUPERSCALAR_PG_URL for the command. Installs PostgreSQL from Debian when initdb is missing
# (needs root). The server runs as the `postgres` user (initdb refuses root) with a data directory
# under a fresh temporary folder, trust auth on 127.0.0.1 only. Under CI=true any failure to get or
# start the server is fatal: the persist suite must never silently skip there. Elsewhere the command
# runs without SUPERSCALAR_PG_URL and the PostgreSQL suites print loudly that they were skipped.
set -euo pipefail

unavailable() {
  echo "with-postgres: $1" >&2
  if [[ "${CI:-}" == "true" ]]; then exit 1; fi
  echo "with-postgres: running without PostgreSQL (its suites will say they were skipped)" >&2
  exec "${CMD[@]}"
}
CMD=("$@")

PG_BIN="${PG_BIN:-}"
if [[ -z "$PG_BIN" ]]; then
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
fi
if [[ -z "$PG_BIN" || ! -x "$PG_BIN/initdb" ]]; then
  echo "with-postgres: initdb not found; installing PostgreSQL from Debian" >&2
  if [[ "$(id -u)" != 0 ]]; then unavailable "not root, cannot install PostgreSQL"; fi
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2 ||
    unavailable "apt-get install postgresql failed"
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
fi

as_pg() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

PGTMP="$(mktemp -d /tmp/superscalar-pg.XXXXXX)"
chmod 755 "$PGTMP"
if [[ "$(id -u)" == 0 ]]; then chown postgres "$PGTMP"; fi
PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"

cleanup() {
  as_pg "$PG_BIN/pg_ctl" -D "$PGTMP/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGTMP"
}
trap cleanup EXIT

as_pg "$PG_BIN/initdb" -D "$PGTMP/data" -U postgres --auth=trust -E UTF8 --no-locale >"$PGTMP/initdb.log" 2>&1 ||
  { cat "$PGTMP/initdb.log" >&2; echo "with-postgres: initdb failed" >&2; exit 1; }
as_pg "$PG_BIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGTMP -c fsync=on -c max_connections=200" start >/dev/null ||
  { cat "$PGTMP/server.log" >&2; echo "with-postgres: server failed to start" >&2; exit 1; }

export SUPERSCALAR_PG_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
echo "with-postgres: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" >&2
set +e
"$@"
status=$?
set -e
exit $status
