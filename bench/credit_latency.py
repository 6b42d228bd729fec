#!/usr/bin/env python3
"""Credit latency on a real local chain (issue 3): from the block that makes a transfer final to
the credit being visible in GET /api/v1/balance, p50 and p99 over N deposits (default 120).

    bench/credit_latency.py [--deposits N] [--confirmations 2] [--poll-ms 100]

Starts its own PostgreSQL (scripts/pg.sh, var/bench-latency/), a ganache devnet (devnet/) and
instamarketd (build/app/instamarketd, or INSTAMARKET_BINARY) with the devnet settings; stops
them all at the end. Per deposit: create a top-up intent through the API, send the intent's
amount (6-decimal test USDT), mine until one block short of final, then take t0 and mine the
block that makes the transfer final (evm_mine straight over JSON-RPC, so t0 is a few ms before
the block exists: the figures err on the slow side), and poll /balance every 5 ms until the
credit shows (t1). Prints one JSON object with the numbers. Target: p99 <= 1 s.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

STATE = os.path.join(ROOT, "var", "bench-latency")
PG_PORT = 54352


def rpc(url, method, params=()):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        reply = json.loads(r.read())
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


def percentile(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deposits", type=int, default=120)
    parser.add_argument("--confirmations", type=int, default=2)
    parser.add_argument("--poll-ms", type=int, default=100)
    args = parser.parse_args()

    pg = os.path.join(ROOT, "scripts", "pg.sh")
    subprocess.run([pg, "start", STATE, str(PG_PORT)], check=True, stdout=subprocess.DEVNULL)
    url = subprocess.run([pg, "createdb", STATE, str(PG_PORT), "credit_latency"], check=True,
                         capture_output=True, text=True).stdout.strip()
    os.environ["INSTAMARKET_TEST_DATABASE_URL"] = url
    import deposit_harness  # reads the environment above
    harness = deposit_harness.harness

    deposit_harness.install_devnet()
    devnet = deposit_harness.Devnet().start()
    daemon = None
    try:
        network = deposit_harness.network_entry(
            devnet, "latency", 6, confirmations=args.confirmations, poll_interval_ms=args.poll_ms,
            start=0)
        daemon = deposit_harness.ChainDaemon([network], log={"level": "warn"})
        daemon.start()
        key = daemon.create_key("credit-latency")
        api_key = key["api_key"]
        session = harness.requests.Session()
        session.headers["X-API-Key"] = api_key
        balance_url = daemon.url("/balance")

        def balance():
            r = session.get(balance_url, timeout=5)
            r.raise_for_status()
            return deposit_harness.exact(r)["balance_usdt"]

        latencies = []
        for i in range(args.deposits):
            before = balance()
            r = session.post(daemon.url("/balance/topup"),
                             data=json.dumps({"amount_usdt": 10 + i % 50, "network": network["id"]}),
                             headers={"Content-Type": "application/json"}, timeout=5)
            r.raise_for_status()
            amount = str(deposit_harness.exact(r)["amount_usdt"])
            sent = devnet.transfer(amount, token=6)
            block = int(sent["block_number"])
            # Mine up to one block short of final; the next block makes the transfer final.
            while int(rpc(devnet.rpc, "eth_blockNumber"), 16) < block + args.confirmations - 1:
                rpc(devnet.rpc, "evm_mine")
            time.sleep(0.02)  # let any poll in flight finish, so it cannot be mistaken for ours
            t0 = time.monotonic()
            rpc(devnet.rpc, "evm_mine")
            while True:
                now = balance()
                if now != before:
                    t1 = time.monotonic()
                    break
                if time.monotonic() - t0 > 30:
                    raise RuntimeError(f"deposit {i} ({amount} USDT) not credited within 30 s:\n"
                                       + daemon.log_tail())
                time.sleep(0.005)
            latencies.append((t1 - t0) * 1000.0)

        result = {
            "deposits": len(latencies),
            "confirmations": args.confirmations,
            "poll_interval_ms": args.poll_ms,
            "p50_ms": round(statistics.median(latencies), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "max_ms": round(max(latencies), 1),
            "mean_ms": round(statistics.fmean(latencies), 1),
        }
        print(json.dumps(result))
        return 0 if result["p99_ms"] <= 1000 else 1
    finally:
        if daemon is not None:
            daemon.stop()
            daemon.cleanup()
        devnet.cleanup()
        subprocess.run([pg, "stop", STATE, str(PG_PORT)], stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())
