#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests, kept entirely under STATE_DIR/pg.
#
#   scripts/pg.sh start    STATE_DIR [PORT]   start (idempotent), ensure role+db, print URL
#   scripts/pg.sh stop     STATE_DIR [PORT]   fast shutdown
#   scripts/pg.sh status   STATE_DIR [PORT]   exit 0 if running, 3 if not
#   scripts/pg.sh url      STATE_DIR [PORT]   print the URL of database "instamarket"
#   scripts/pg.sh createdb STATE_DIR PORT NAME  drop+create database NAME, print its URL
#
# URLs go to stdout, everything else to stderr, so `url=$(scripts/pg.sh start ...)` works.
# PG_FAST=1 trades durability for speed (fsync etc. off); use it for throwaway test clusters only.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop|status|url STATE_DIR [PORT] | createdb STATE_DIR PORT NAME" >&2
  exit 2
}
log() { echo "pg.sh: $*" >&2; }
die() { log "$*"; exit 1; }

(($# >= 2)) || usage
cmd=$1
port=${3:-54329}
[[ "$port" =~ ^[0-9]+$ ]] || die "PORT must be a number, got '$port'"
state=$(realpath -m -- "$2") # absolute: the server runs from another cwd and as another user
pgdir=$state/pg
data=$pgdir/data
run=$pgdir/run
logfile=$pgdir/log

# Use the distribution's binaries directly (newest major version); /usr/local/bin may hold wrappers.
bindir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
[[ -n "$bindir" && -x "$bindir/pg_ctl" ]] || die "no PostgreSQL under /usr/lib/postgresql; run scripts/install-deps.sh"

# PostgreSQL refuses to run as root, so root runs the server tools as the postgres user.
# `cd /` avoids "could not change directory" noise when postgres cannot read our cwd.
as_pg() {
  if ((EUID == 0)); then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}
# Admin SQL goes through the cluster's own unix socket, so it can never reach a different server.
psql_admin() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$run" -p "$port" -U postgres -d postgres "$@"; }
url_for() { echo "postgresql://instamarket@127.0.0.1:$port/$1"; }
running() { [[ -f "$data/PG_VERSION" ]] && as_pg "$bindir/pg_ctl" status -D "$data" >/dev/null 2>&1; }

write_settings() {
  # Rewritten on every start so PORT and PG_FAST changes take effect; included from postgresql.conf.
  {
    echo "# Written by scripts/pg.sh on every start; edits are overwritten."
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$run'"
    echo "max_connections = 200"
    if [[ "${PG_FAST:-0}" == 1 ]]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    else
      echo "fsync = on"
      echo "synchronous_commit = on"
      echo "full_page_writes = on"
    fi
  } | as_pg tee "$data/instamarket.conf" >/dev/null
}

init_cluster() {
  [[ -f "$data/PG_VERSION" ]] && return 0
  mkdir -p "$pgdir"
  if ((EUID == 0)); then
    chown postgres:postgres "$pgdir"
    as_pg test -w "$pgdir" || die "user postgres cannot write $pgdir (check permissions of its parents)"
  fi
  log "initdb $data"
  # Through as_pg tee so the log file stays writable for the server (which runs as postgres).
  as_pg "$bindir/initdb" -D "$data" --auth=trust -U postgres --encoding=UTF8 --no-locale 2>&1 |
    as_pg tee -a "$logfile" >/dev/null || die "initdb failed, see $logfile"
  echo "include_if_exists = 'instamarket.conf'" | as_pg tee -a "$data/postgresql.conf" >/dev/null
}

start() {
  init_cluster
  as_pg mkdir -p "$run"
  write_settings
  if running; then
    # fsync/synchronous_commit/full_page_writes are reloadable, so PG_FAST applies without a restart.
    as_pg "$bindir/pg_ctl" reload -D "$data" >/dev/null
    log "already running ($data)"
  else
    log "starting on 127.0.0.1:$port, log $logfile"
    as_pg "$bindir/pg_ctl" start -D "$data" -l "$logfile" -w -t 60 >/dev/null ||
      { tail -n 20 "$logfile" >&2 || true; die "pg_ctl start failed"; }
  fi
  local i
  for ((i = 0; i < 60; i++)); do
    "$bindir/pg_isready" -q -h "$run" -p "$port" -U postgres -d postgres && break
    sleep 0.5
  done
  "$bindir/pg_isready" -q -h "$run" -p "$port" -U postgres -d postgres || die "server not ready on port $port (already running on another port?)"
  # A private cluster, so a superuser application role keeps migrations and tests simple.
  psql_admin <<'SQL'
SELECT 'CREATE ROLE instamarket LOGIN SUPERUSER'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'instamarket') \gexec
SELECT 'CREATE DATABASE instamarket OWNER instamarket'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'instamarket') \gexec
SQL
}

case "$cmd" in
  start)
    (($# <= 3)) || usage
    start
    url_for instamarket
    ;;
  stop)
    (($# <= 3)) || usage
    if running; then
      log "stopping ($data)"
      as_pg "$bindir/pg_ctl" stop -D "$data" -m fast -w >/dev/null
    else
      log "not running"
    fi
    ;;
  status)
    (($# <= 3)) || usage
    if running; then
      log "running ($data)"
    else
      log "not running"
      exit 3
    fi
    ;;
  url)
    (($# <= 3)) || usage
    url_for instamarket
    ;;
  createdb)
    (($# == 4)) || usage
    name=$4
    # The name is interpolated into SQL, so keep it to plain identifiers.
    [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || die "database name must match [a-z_][a-z0-9_]*"
    # Leave a running server's settings alone (callers need not repeat PG_FAST); start it otherwise.
    running || start
    psql_admin -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name OWNER instamarket"
    log "created fresh database $name"
    url_for "$name"
    ;;
  *) usage ;;
esac
