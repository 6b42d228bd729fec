#!/usr/bin/env bash
# Sends a test USDT deposit (the 6-decimals token) from test sender 1 to the master
# wallet of a running devnet, waits for it to be mined and says what happened.
#
#   devnet/send-test-deposit.sh AMOUNT [STATE_DIR]
#   devnet/send-test-deposit.sh 100.01              # state dir defaults to var/devnet
#   DEVNET_FROM=2 DEVNET_TOKEN=18 devnet/send-test-deposit.sh 5 /tmp/devnet
#
# Start the devnet first:  node devnet/devnet.js start --state var/devnet
# To pay a top-up, AMOUNT is the amount_usdt POST /balance/topup answered, exactly.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 || $# -gt 2 || "$1" == "-h" || "$1" == "--help" ]]; then
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
amount="$1"
state="${2:-${DEVNET_STATE:-$here/../var/devnet}}"
from="${DEVNET_FROM:-1}"
token="${DEVNET_TOKEN:-6}"

if ! out="$(node "$here/devnet.js" transfer --state "$state" --token "$token" --from "$from" --to master --amount "$amount" 2>/dev/null)"; then
  echo "send-test-deposit: failed: $(node -e 'try{console.log(JSON.parse(process.argv[1]).error)}catch{console.log(process.argv[1])}' "${out:-no output}")" >&2
  exit 1
fi

node -e '
const r = JSON.parse(process.argv[1]);
console.log(`Sent ${r.amount} test USDT (${r.decimals} decimals, ${r.raw_amount} base units)`);
console.log(`  token   ${r.token}`);
console.log(`  from    ${r.from}  (test sender ${process.argv[2]})`);
console.log(`  to      ${r.to}  (master wallet)`);
console.log(`  tx      ${r.tx_hash}`);
console.log(`  block   ${r.block_number} ${r.block_hash}, log index ${r.log_index}`);
' "$out" "$from"
echo "$out"
