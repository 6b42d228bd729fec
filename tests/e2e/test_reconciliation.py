"""Reconciliation on a real chain (ganache, devnet/devnet.js): each master wallet's token balance
on chain against the ledger, with `admin reconcile`, GET /api/admin/reconciliation and the
periodic run's metrics (reconciliation.interval_seconds: 1).

A transfer the watcher never recorded is made by moving a network's cursor past it while the
daemon is stopped: the drift is exactly that transfer, and its line names it. Transfers out of
the wallet (the master sending to another address) are read from the chain and explain
themselves. Nothing here is credited: reconciliation reports, finance decides.
"""

import csv
import io
import re
from decimal import Decimal

import harness
import deposit_harness
from deposit_harness import ChainTestCase, wait_until
from order_harness import psql

TIMEOUT = 30


def setUpModule():
    harness.require_environment()
    deposit_harness.install_devnet()


class ReconciliationTest(ChainTestCase):
    MODULE = "recon"
    NETWORK_PREFIX = "recon"
    TOKENS = (6, 18)
    CONFIG = {"reconciliation": {"interval_seconds": 1}}

    def reconcile(self, network):
        runs = self.daemon.admin("reconcile", "--network", network)
        self.assertEqual(len(runs), 1, runs)
        return runs[0]

    def reconciled_past(self, network, block):
        """`admin reconcile` once the watcher's cursor has passed `block`."""
        def run():
            r = self.reconcile(network)
            return r if r.get("position", -1) > block else None
        return wait_until(run, TIMEOUT, interval=0.3, what=f"{network} reconciled past {block}")

    def master_balance(self, token):
        return self.devnet.command("balance", "--token", token, "--of", "master")["raw_balance"]

    def test_1_a_wallet_whose_transfers_are_all_recorded_is_clean(self):
        net = self.net(18)
        paid = self.devnet.transfer("12.345678901234567891", token=18, sender=1)
        self.settle()
        self.wait_deposit(paid["tx_hash"], net)
        # A sweep out of the wallet: not a deposit, but the balance must explain it.
        swept = self.devnet.transfer("2.000000000000000001", token=18, sender=self.devnet.master,
                                     to="other")
        self.settle()
        run = self.reconciled_past(net, swept["block_number"])
        self.assertEqual((run["status"], run["drift_raw"], run["unexplained_raw"], run["lines"]),
                         ("clean", "0", "0", []), run)
        self.assertEqual(run["outgoing_usdt"], "2.000000000000000001")
        self.assertEqual(run["chain_balance_raw"], self.master_balance(18))
        self.assertEqual(run["baseline"]["position"], 0)  # the network's start block
        self.assertEqual(Decimal(run["chain_balance_usdt"]),
                         Decimal(run["baseline"]["balance_usdt"]) + Decimal(run["incoming_usdt"])
                         - Decimal(run["outgoing_usdt"]))
        self.assertEqual(run["actor"][:4], "cli:")
        # The outgoing transfer is recorded once, however often it runs.
        again = self.reconcile(net)
        self.assertEqual(again["outgoing_usdt"], "2.000000000000000001")
        rows = psql(f"SELECT count(*) FROM outgoing_transfers WHERE network = '{net}' "
                    f"AND tx_id = '{swept['tx_hash']}'")
        self.assertEqual(rows, [["1"]])

    def test_2_a_transfer_the_watcher_missed_is_the_drift_and_its_line(self):
        net = self.net(6)
        control = self.devnet.transfer("1.5", token=6, sender=1)
        self.settle()
        self.wait_deposit(control["tx_hash"], net)
        self.assertEqual(self.reconciled_past(net, control["block_number"])["status"], "clean")

        self.daemon.sigkill()
        missed = self.devnet.transfer("7.654321", token=6, sender=2)
        head = self.settle()
        # The cursor passes the transfer unscanned, as a lagging node answering [] once did.
        psql(f"UPDATE chain_cursors SET position = {head + 1}, position_state = '' "
             f"WHERE network = '{net}'")
        self.daemon.start()

        run = self.reconciled_past(net, missed["block_number"])
        self.assertEqual((run["status"], run["drift_usdt"], run["unexplained_usdt"]),
                         ("drift", "7.654321", "0"), run)
        self.assertEqual(len(run["lines"]), 1, run)
        line = run["lines"][0]
        self.assertEqual({k: line[k] for k in ("kind", "tx_id", "index", "counterparty", "block",
                                               "amount_usdt", "effect_usdt")},
                         {"kind": "unrecorded_incoming", "tx_id": missed["tx_hash"],
                          "index": missed["log_index"], "counterparty": self.devnet.sender(2),
                          "block": missed["block_number"], "amount_usdt": "7.654321",
                          "effect_usdt": "7.654321"})
        self.assertEqual(self.rows_of(missed["tx_hash"], net), [])  # reported, never credited

        # The periodic run: its metric and the admin API.
        def metric():
            text = harness.requests.get(self.daemon.base + "/metrics", timeout=10).text
            m = re.search(r'^instamarket_reconciliation_drift_usdt\{network="%s"\} (\S+)$' % net,
                          text, re.M)
            return m and Decimal(m.group(1)) == Decimal("7.654321")
        wait_until(metric, TIMEOUT, interval=0.3, what="the drift metric")

        def periodic():
            r = harness.requests.get(self.daemon.base + "/api/admin/reconciliation",
                                     params={"network": net, "limit": 100},
                                     headers={"X-Admin-Token": harness.ADMIN_TOKEN}, timeout=10)
            self.assertEqual(r.status_code, 200, r.text)
            mine = [i for i in r.json()["items"] if i["actor"] == "reconciler"]
            return mine[0] if mine else None
        latest = wait_until(periodic, TIMEOUT, interval=0.3, what="a periodic run")
        self.assertEqual((latest["status"], latest["drift_raw"]), ("drift", "7654321"), latest)
        self.assertEqual([l["tx_id"] for l in latest["lines"]], [missed["tx_hash"]])

        # CSV for finance: the summary rows, then the line.
        p = self.daemon.run_cli("admin", "reconcile", "--network", net, "--format", "csv")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = list(csv.DictReader(io.StringIO(p.stdout)))
        by_kind = {r["kind"]: r for r in rows}
        self.assertEqual(by_kind["drift"]["amount_usdt"], "7.654321")
        self.assertEqual(by_kind["unrecorded_incoming"]["tx_id"], missed["tx_hash"])
        self.assertEqual(by_kind["unrecorded_incoming"]["effect_usdt"], "7.654321")

    def test_3_the_api_lists_the_latest_run_of_each_network(self):
        for net in (self.net(6), self.net(18)):
            self.reconcile(net)
        r = harness.requests.get(self.daemon.base + "/api/admin/reconciliation",
                                 headers={"X-Admin-Token": harness.ADMIN_TOKEN}, timeout=10)
        self.assertEqual(r.status_code, 200, r.text)
        networks = [i["network"] for i in r.json()["items"]]
        for net in (self.net(6), self.net(18)):
            self.assertEqual(networks.count(net), 1, networks)

    def test_4_bad_input_is_refused(self):
        url = self.daemon.base + "/api/admin/reconciliation"
        admin = {"X-Admin-Token": harness.ADMIN_TOKEN}
        self.assertProblem(harness.requests.get(url, timeout=10), 401)
        for params, field in (({"network": "nope"}, "network"), ({"limit": "0"}, "limit"),
                              ({"limit": "101"}, "limit"), ({"limit": "x"}, "limit")):
            self.assertProblem(harness.requests.get(url, params=params, headers=admin, timeout=10),
                               422, [field])
        for args in (("--network", "nope"), ("--format", "xml"), ("extra",)):
            code, err, p = self.daemon.admin_fail("reconcile", *args)
            self.assertEqual(code, 2, p.stdout + p.stderr)
            self.assertIn("error", err)


if __name__ == "__main__":
    harness.main()
