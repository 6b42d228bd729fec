#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests, one per state directory.
#
#   scripts/pg.sh start    STATE_DIR [PORT]   start (idempotent), ensure role+db, print URL
#   scripts/pg.sh stop     STATE_DIR [PORT]   fast shutdown
#   scripts/pg.sh status   STATE_DIR [PORT]   exit 0 if running, 3 if not
#   scripts/pg.sh port     STATE_DIR          print the port the running cluster listens on (3: not running)
#   scripts/pg.sh url      STATE_DIR [PORT]   print the URL of database "instamarket"
#   scripts/pg.sh where    STATE_DIR          print the directory that holds the cluster
#   scripts/pg.sh destroy  STATE_DIR          stop the cluster and delete it
#   scripts/pg.sh createdb STATE_DIR PORT NAME  drop+create database NAME, print its URL
#
# Where the cluster lives. PostgreSQL refuses to run as root, so as root the server runs as the
# `postgres` user, which often cannot reach the clone (/root and most homes are mode 0700; the
# permissions of a home are never loosened here). So:
#   - as root: in /var/lib/instamarketd-dev/NAME (the parent is root's, NAME is postgres's; NAME
#     is the end of the state directory's path plus a hash of it, so two clones never share one),
#     with a symlink STATE_DIR/pg pointing at it;
#   - as any other user: in STATE_DIR/pg itself, run as that user.
# Deleting STATE_DIR still starts from scratch: a cluster whose STATE_DIR/pg link is gone is
# stopped and deleted by the next start.
#
# Connections: over TCP on 127.0.0.1 with a password (generated once, kept in the cluster's
# directory, part of the printed URLs), so other local users cannot log in; over the server's
# unix socket without one, but that socket's directory is private to the server's user.
# URLs go to stdout, everything else to stderr, so `url=$(scripts/pg.sh start ...)` works.
# PG_FAST=1 trades durability for speed (fsync etc. off); use it for throwaway test clusters only.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop|status|url STATE_DIR [PORT] | port|where|destroy STATE_DIR |" \
    "createdb STATE_DIR PORT NAME" >&2
  exit 2
}
log() { echo "pg.sh: $*" >&2; }
die() { log "$*"; exit 1; }

(($# >= 2)) || usage
cmd=$1
port=${3:-54329}
[[ "$port" =~ ^[1-9][0-9]{0,4}$ ]] && ((port < 65536)) || die "PORT must be a port number, got '$port'"
state=$(realpath -m -- "$2") # absolute: the server runs from another cwd and as another user
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
link=$state/pg
external_root=/var/lib/instamarketd-dev

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

hash_of_state=$(printf '%s' "$state" | sha256sum | cut -c1-12)
if ((EUID == 0)) && ! [[ -f "$link/data/PG_VERSION" && ! -L "$link" ]]; then
  # The name says whose it is at a glance (the end of the path) and the hash keeps it unique.
  # Kept short: the server's unix socket path must fit in 107 bytes.
  slug=$(printf '%s' "$state" | tr -c 'A-Za-z0-9._-' '-' | tr -s '-' | sed 's/^-//' | tail -c 32)
  pgdir=$external_root/${slug#-}-$hash_of_state
else
  # Not root (the user's own files), or a cluster that an earlier version made in place.
  pgdir=$link
fi
data=$pgdir/data
logfile=$pgdir/log
passfile=$pgdir/password
run=$pgdir/run
# A unix socket path ("DIR/.s.PGSQL.PORT") is limited to 107 bytes. Root's clusters always fit;
# a deep clone of another user gets its socket in that user's private runtime directory (or a
# directory in /tmp that it makes itself and checks).
if ((${#run} > 92)); then
  # Only an in-place cluster of an earlier version can get here as root.
  ((EUID != 0)) || die "$run is too long for a unix socket; delete $link to move the cluster out"
  run=${XDG_RUNTIME_DIR:-/tmp}/instamarketd-pg-$hash_of_state
fi

running() { as_pg test -f "$data/PG_VERSION" && as_pg "$bindir/pg_ctl" status -D "$data" >/dev/null 2>&1; }
running_port() { as_pg sed -n 4p "$data/postmaster.pid" 2>/dev/null; }
# The running server's own socket directory, which need not be the one computed above.
socket_dir() {
  local dir
  dir=$(as_pg sed -n 5p "$data/postmaster.pid" 2>/dev/null || true)
  echo "${dir:-$run}"
}
psql_admin() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$(socket_dir)" -p "$port" -U postgres -d postgres "$@"; }
# 32 hex digits, checked on every read: the file is the server user's, and the value goes into
# URLs and SQL.
password() {
  local secret
  secret=$(as_pg head -c 64 -- "$passfile" 2>/dev/null) || return 1
  [[ "$secret" =~ ^[0-9a-f]{32}$ ]] || { log "$passfile does not hold a password of 32 hex digits"; return 1; }
  echo "$secret"
}
url_for() {
  local secret
  secret=$(password) || die "no cluster for $state yet (scripts/pg.sh start makes it)"
  echo "postgresql://instamarket:$secret@127.0.0.1:$port/$1"
}
external() { [[ "$pgdir" != "$link" ]]; }

# An external cluster belongs to STATE_DIR only while STATE_DIR/pg points at it. When the state
# directory was deleted (to start from scratch), what is left of the old cluster is stopped.
stale_external() { external && [[ ! -L "$link" ]] && as_pg test -d "$pgdir"; }
remove_external() {
  if running; then
    log "stopping the cluster of a deleted $state ($pgdir)"
    as_pg "$bindir/pg_ctl" stop -D "$data" -m fast -w >/dev/null || true
  fi
  log "deleting $pgdir"
  rm -rf -- "$pgdir"
}

sql_string() { printf "'%s'" "${1//\'/\'\'}"; }

write_settings() {
  # Rewritten on every start so PORT and PG_FAST changes take effect; included from postgresql.conf.
  {
    echo "# Written by scripts/pg.sh on every start; edits are overwritten."
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = $(sql_string "$run")"
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

# A directory root makes for postgres must not be a link someone planted: root-owned parent,
# made only when missing, checked after.
make_external_dir() {
  if [[ ! -e "$external_root" ]]; then
    install -d -o root -g root -m 0755 "$external_root"
  fi
  [[ -d "$external_root" && ! -L "$external_root" && -O "$external_root" ]] ||
    die "$external_root must be a directory owned by root"
}
make_cluster_dir() {
  if [[ ! -e "$pgdir" && ! -L "$pgdir" ]]; then
    install -d -o postgres -g postgres -m 0700 "$pgdir"
  fi
  [[ -d "$pgdir" && ! -L "$pgdir" && "$(stat -c %U "$pgdir")" == postgres ]] ||
    die "$pgdir must be a directory owned by postgres"
}

# Clusters of state directories that are gone (a clone deleted without `pg.sh destroy`) would
# pile up; each start as root deletes those that are stopped, unused for a week, and whose
# state directory really does not exist (ENOENT, not just out of reach).
orphan_days=7
collect_orphans() {
  local dir owner
  for dir in "$external_root"/*; do
    [[ -d "$dir" && ! -L "$dir" && "$dir" != "$pgdir" ]] || continue
    [[ -n "$(find "$dir/log" -maxdepth 0 -mtime +"$orphan_days" 2>/dev/null)" ]] || continue
    # Read as postgres (whose file it is), bounded in size and time: it may be a planted link or FIFO.
    owner=$(as_pg timeout 5 head -c 4096 -- "$dir/owner" 2>/dev/null) || continue
    python3 -c 'import errno, os, sys
try:
    os.stat(sys.argv[1])
except OSError as e:
    sys.exit(0 if e.errno == errno.ENOENT and sys.argv[1].startswith("/") else 1)
sys.exit(1)' "$owner" || continue
    ! as_pg "$bindir/pg_ctl" status -D "$dir/data" >/dev/null 2>&1 || continue
    log "deleting $dir, the cluster of $(printf '%q' "$owner"), which is gone"
    rm -rf -- "$dir"
  done
}

# Root's starts and destroys of clusters are serialised: one must not delete what another is
# making. Released before the server starts, which would otherwise inherit the lock.
lock_external() {
  exec 8>"$external_root/.lock"
  flock 8
}
unlock_external() { exec 8>&-; }

init_cluster() {
  mkdir -p "$state"
  if external; then
    make_external_dir
    lock_external
    stale_external && remove_external
    collect_orphans
    make_cluster_dir
    # Who it belongs to, for people and for scripts/port-owner.py; world-readable on purpose.
    printf '%s\n' "$state" | as_pg tee "$pgdir/owner" >/dev/null
    as_pg chmod 0644 "$pgdir/owner"
    # An empty STATE_DIR/pg left by a version that tried (and failed) to make the cluster in place.
    if [[ -d "$link" && ! -L "$link" ]]; then
      rmdir -- "$link" 2>/dev/null || die "$link is a directory but no cluster; move it away"
    fi
    ln -sfn -- "$pgdir" "$link"
  else
    mkdir -p -m 0700 -- "$pgdir"
  fi
  if ! as_pg test -s "$passfile"; then
    (umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' | as_pg tee "$passfile" >/dev/null)
    as_pg chmod 0600 "$passfile"
  fi
  if as_pg test -f "$data/PG_VERSION"; then return 0; fi
  log "initdb $data"
  # Through as_pg tee so the log file stays writable for the server (which runs as postgres).
  as_pg "$bindir/initdb" -D "$data" --auth=trust -U postgres --encoding=UTF8 --no-locale 2>&1 |
    as_pg tee -a "$logfile" >/dev/null || die "initdb failed, see $logfile"
  echo "include_if_exists = 'instamarket.conf'" | as_pg tee -a "$data/postgresql.conf" >/dev/null
}

write_hba() {
  # Rewritten on every start, so clusters made by older versions (trust everywhere) converge.
  {
    echo "# Written by scripts/pg.sh on every start; edits are overwritten."
    echo "# The socket's directory is private to the server's user; TCP needs the password."
    echo "local all all trust"
    echo "host all all 127.0.0.1/32 scram-sha-256"
    echo "host all all ::1/128 scram-sha-256"
  } | as_pg tee "$data/pg_hba.conf" >/dev/null
}

make_socket_dir() {
  if [[ "$run" == "$pgdir/run" ]]; then
    as_pg mkdir -p "$run"
    as_pg chmod 0700 "$run"
    return
  fi
  # Outside the cluster (a deep clone, never root): made by us, private, not a planted link.
  [[ -e "$run" || -L "$run" ]] || mkdir -m 0700 -- "$run"
  [[ -d "$run" && ! -L "$run" && -O "$run" ]] || die "$run is not a directory of $(id -un); remove it"
  chmod 0700 -- "$run"
}

# Refuses, naming the holder, when someone else listens on PORT: a second clone's cluster on the
# same port would otherwise fail with a bare "could not bind" in the server log.
check_port_free() {
  local owner
  if owner=$(python3 "$here/port-owner.py" "$port"); then
    log "port $port is taken by $owner; stop it, or give this cluster another port"
    exit 75 # EX_TEMPFAIL: scripts/test.sh then tries another port
  fi
}

start() {
  init_cluster
  if external; then unlock_external; fi
  make_socket_dir
  write_settings
  write_hba
  if running && [[ "$(running_port)" != "$port" ]]; then
    log "restarting on port $port (was $(running_port))"
    as_pg "$bindir/pg_ctl" stop -D "$data" -m fast -w >/dev/null
  fi
  if running; then
    # fsync/synchronous_commit/full_page_writes are reloadable, so PG_FAST applies without a restart.
    as_pg "$bindir/pg_ctl" reload -D "$data" >/dev/null
    log "already running ($data)"
  else
    check_port_free
    log "starting on 127.0.0.1:$port, log $logfile"
    as_pg "$bindir/pg_ctl" start -D "$data" -l "$logfile" -w -t 60 >/dev/null ||
      { as_pg tail -n 20 "$logfile" >&2 || true; die "pg_ctl start failed"; }
  fi
  local i
  for ((i = 0; i < 60; i++)); do
    "$bindir/pg_isready" -q -h "$(socket_dir)" -p "$port" -U postgres -d postgres && break
    sleep 0.5
  done
  "$bindir/pg_isready" -q -h "$(socket_dir)" -p "$port" -U postgres -d postgres || die "server not ready on port $port"
  # A private cluster, so a superuser application role keeps migrations and tests simple.
  # The password goes in on stdin: psql's command line is visible to every local user.
  local secret
  secret=$(password) || die "cannot read the cluster's password"
  psql_admin <<SQL
\set password '$secret'
SELECT 'CREATE ROLE instamarket LOGIN SUPERUSER'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'instamarket') \gexec
ALTER ROLE instamarket PASSWORD :'password';
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
  port)
    (($# == 2)) || usage
    running || exit 3
    running_port
    ;;
  url)
    (($# <= 3)) || usage
    url_for instamarket
    ;;
  where)
    (($# == 2)) || usage
    echo "$pgdir"
    ;;
  destroy)
    (($# == 2)) || usage
    if external; then
      if [[ -d "$external_root" ]]; then lock_external; fi
      if as_pg test -d "$pgdir"; then remove_external; fi
      rm -f -- "$link"
    else
      if running; then
        log "stopping ($data)"
        as_pg "$bindir/pg_ctl" stop -D "$data" -m fast -w >/dev/null
      fi
      log "deleting $pgdir"
      rm -rf -- "$pgdir"
      if [[ "$run" != "$pgdir/run" && -d "$run" && ! -L "$run" && -O "$run" ]]; then rm -rf -- "$run"; fi
    fi
    ;;
  createdb)
    (($# == 4)) || usage
    name=$4
    # The name is interpolated into SQL, so keep it to plain identifiers.
    [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || die "database name must match [a-z_][a-z0-9_]*"
    # Leave a running server's settings alone (callers need not repeat PG_FAST); start it otherwise.
    if stale_external || ! running; then start; fi
    psql_admin -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name OWNER instamarket"
    log "created fresh database $name"
    url_for "$name"
    ;;
  *) usage ;;
esac
