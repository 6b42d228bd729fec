#!/usr/bin/env bash
# The newcomer's drill: a bare Debian 12 (debootstrap minbase) root, a clone of this repository's
# HEAD in it, and the README's two commands run there as a newcomer would, timed.
#
#   scripts/fresh-debian.sh ROOT_DIR [root|user] [quickstart|all]
#
#   root  (default) as root, clone in /root/project (/root is mode 0700)
#   user  as the sudo user "newcomer", clone in "/home/newcomer/my projects/instamarketd"
#         (home mode 0700, a space in the path)
#   quickstart: only the first command, until the API answers, then a top-up as the first
#         command's output says; all (default): then the whole suite (scripts/test.sh)
#
# Runs as root on the host (debootstrap, chroot, mounts). The chroot shares the host's network,
# so nothing else may hold the quick start's ports (8080, 54330, 8545). ROOT_DIR is made when
# missing and kept afterwards (delete it to start again); each run clones afresh. Prints the
# timings and writes the logs to ROOT_DIR/drill-*.log.
set -euo pipefail

root=${1:?usage: $0 ROOT_DIR [root|user] [quickstart|all]}
who=${2:-root}
what=${3:-all}
[[ "$who" == root || "$who" == user ]] || { echo "who must be root or user" >&2; exit 2; }
[[ "$what" == quickstart || "$what" == all ]] || { echo "what must be quickstart or all" >&2; exit 2; }
((EUID == 0)) || { echo "$0: run as root (debootstrap and chroot)" >&2; exit 1; }
repo=$(cd "$(dirname "$0")/.." && pwd)
root=$(realpath -m -- "$root")
[[ "$root" != / && -n "$root" ]] || { echo "$0: ROOT_DIR must not be /" >&2; exit 2; }
say() { echo "fresh-debian: $*" >&2; }

# The host's own Debian mirror, so the drill fetches from where this machine's apt does.
mirror=$(sed -n 's|^URIs: *\(.*/debian\)/*$|\1|p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
[[ -n "$mirror" ]] || mirror=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ {print $2; exit}' /etc/apt/sources.list)

if [[ ! -x "$root/bin/bash" ]]; then
  command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
  say "debootstrap --variant=minbase bookworm $root"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1
  # The same suites a real Debian 12 install has (updates and security), from the host's list.
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
    rm -f "$root/etc/apt/sources.list"
  fi
  # Daemons that packages would start on install (PostgreSQL's main cluster) stay off.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod +x "$root/usr/sbin/policy-rc.d"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

mounted=()
cleanup() {
  local m
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
mount_in() { mount "$@" && mounted+=("${*: -1}"); }
mountpoint -q "$root/proc" || mount_in -t proc proc "$root/proc"
mountpoint -q "$root/sys" || mount_in -t sysfs sys "$root/sys"
mountpoint -q "$root/dev" || { mount_in --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"; }

clean_env=(/usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
in_root() { chroot "$root" "${clean_env[@]}" "$@"; }

# What a newcomer has before the README: git to clone with (and sudo, for the sudo user).
in_root bash -c 'command -v git >/dev/null && command -v sudo >/dev/null ||
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q git ca-certificates sudo; }' \
  >"$root/drill-prereq.log" 2>&1
# A host behind a TLS-inspecting proxy trusts its CA and tells npm to: the root gets the same,
# as any machine on that network would.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  in_root update-ca-certificates >>"$root/drill-prereq.log" 2>&1
fi
for npmrc in /etc/npmrc /usr/etc/npmrc; do
  [[ -f "$npmrc" ]] && mkdir -p "$root$(dirname "$npmrc")" && cp "$npmrc" "$root$npmrc"
done

if [[ "$who" == root ]]; then
  home=/root
  clone=/root/project
  run_as=(bash -c)
else
  home=/home/newcomer
  clone="/home/newcomer/my projects/instamarketd"
  if ! in_root id newcomer >/dev/null 2>&1; then
    in_root useradd -m -s /bin/bash newcomer
    echo 'newcomer ALL=(ALL) NOPASSWD:ALL' >"$root/etc/sudoers.d/newcomer"
    chmod 0440 "$root/etc/sudoers.d/newcomer"
  fi
  chmod 0700 "$root$home"
  run_as=(runuser -u newcomer -- env HOME=$home bash -c)
fi
rm -rf -- "$root$clone"
mkdir -p "$(dirname "$root$clone")"
git clone -q --no-local "$repo" "$root$clone"
[[ "$who" == root ]] || in_root chown -R newcomer:newcomer "$home"
say "home $(stat -c %a "$root$home"), clone in '$clone' at $(git -C "$repo" rev-parse --short HEAD)"

# 1. The first command, until the demo key's health check answers.
start=$SECONDS
log1=$root/drill-$who-quickstart.log
# chroot itself in the background (not a function, which would fork a subshell), so that
# $! is the session that setsid makes and everything the quick start starts is in it.
chroot "$root" "${clean_env[@]}" setsid "${run_as[@]}" 'cd "$0" && exec scripts/quickstart.sh' "$clone" \
  >"$log1" 2>&1 &
qs_pid=$!
key=""
while kill -0 "$qs_pid" 2>/dev/null; do
  if [[ -z "$key" ]]; then
    key=$(sed -n 's/^Demo API key (saved in [^)]*): \(.*\)$/\1/p' "$log1" | head -n 1)
  fi
  if [[ -n "$key" ]] && curl -fsS -m 2 -H "X-API-Key: $key" http://127.0.0.1:8080/api/v1/health >/dev/null 2>&1; then
    break
  fi
  sleep 1
done
kill -0 "$qs_pid" 2>/dev/null || { tail -n 30 "$log1" >&2; say "the quick start exited before the API answered"; exit 1; }
first=$((SECONDS - start))
say "first command: the API answered after $first s (log $log1)"

# The top-up as the first command's output tells it (amount from the intent, send, balance).
base=http://127.0.0.1:8080/api/v1
intent=$(curl -fsS -X POST -H "X-API-Key: $key" -H 'Content-Type: application/json' \
  -d '{"amount_usdt": 25, "network": "usdt_devnet"}' "$base/balance/topup")
amount=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["amount_usdt"])' "$intent")
in_root "${run_as[@]}" 'cd "$0" && devnet/send-test-deposit.sh "$1" var/quickstart/devnet' "$clone" "$amount" \
  >"$root/drill-$who-deposit.log" 2>&1
balance=""
for _ in $(seq 1 30); do
  balance=$(curl -fsS -H "X-API-Key: $key" "$base/balance")
  python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["balance_usdt"] > 0 else 1)' "$balance" && break
  sleep 1
done
say "top-up of $amount: balance now $balance"

# The daemon and the devnet (same session); the cluster is stopped at the end.
pkill -TERM -s "$qs_pid" 2>/dev/null || true
wait "$qs_pid" 2>/dev/null || true

# 2. The second command: the whole suite.
if [[ "$what" == all ]]; then
  start=$SECONDS
  log2=$root/drill-$who-test.log
  rc=0
  in_root "${run_as[@]}" 'cd "$0" && exec scripts/test.sh' "$clone" >"$log2" 2>&1 || rc=$?
  say "second command: exit $rc after $((SECONDS - start)) s: $(tail -n 1 "$log2") (log $log2)"
fi

# Leave nothing running: the quick start's cluster and devnet.
in_root "${run_as[@]}" 'cd "$0" && scripts/pg.sh stop var/quickstart; kill $(cat var/quickstart/devnet/devnet.pid) 2>/dev/null' "$clone" \
  >/dev/null 2>&1 || true
