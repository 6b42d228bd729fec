"""Deposits on a real chain: instamarketd watching a local ganache devnet (devnet/devnet.js) with
the 6- and 18-decimals TestUSDT tokens, `confirmations: 2`.

Each class has its own devnet, daemon and network ids (see deposit_harness), so it runs alone
(`python3 test_deposits_chain.py CreditTest`). Amounts are exact: JSON numbers are read as
Decimal, and every credit is checked against GET /balance, the intent and `admin deposits list`.

An intent's amount is a random free one in (requested, requested + 1.00] (topups.max_surcharge_usdt)
and matching is exact (topups.match_tolerance_usdt 0): every test pays the amount_usdt the POST
answered, never the requested amount.
"""

import json
import time
from decimal import Decimal

import harness
import deposit_harness
from deposit_harness import ChainDaemon, ChainTestCase, FaultProxy, exact
from order_harness import psql

# How long we watch for something that must NOT happen (a second credit): many poll rounds.
QUIET_SECONDS = 1.5


def D(text):
    return Decimal(str(text))


def json_number(amount):
    """How the daemon writes a Money amount (10.0, 10.7, 10.73)."""
    text = format(Decimal(amount).normalize(), "f")
    return text if "." in text else text + ".0"


def raw6(amount):
    """The 6-decimals token's base units of `amount`, as the decimal string deposits show."""
    return str(int(Decimal(amount) * 10**6))



def setUpModule():
    harness.require_environment()
    deposit_harness.install_devnet()  # devnet/install.sh: a no-op when node_modules is current

class CreditTest(ChainTestCase):
    """Automatic credits on both tokens, reorgs and manual assignment."""

    MODULE = "dep-credit"
    NETWORK_PREFIX = "dcred"
    TOKENS = (6, 18)

    def test_transfer_credits_once(self):
        k = self.new_key("once")
        key = k["api_key"]
        created = self.intent(key, 10)
        amount = created["amount_usdt"]
        self.assertEqual(created["requested_amount_usdt"], D("10"))
        self.assertTrue(D("10") < amount <= D("11"), created)
        tid = created["topup_id"]
        tx = self.devnet.transfer(str(amount), token=6, sender=1)
        self.assertEqual(tx["raw_amount"], raw6(amount))
        self.settle()
        got = self.wait_status(key, tid, "credited_auto")
        self.assertEqual(got["deposit"]["network"], self.net())
        self.assertEqual(got["deposit"]["tx_id"], tx["tx_hash"])
        self.assertEqual(got["deposit"]["amount_usdt"], amount)
        self.assertIsInstance(got["deposit"]["credited_at"], Decimal)
        self.assertGreaterEqual(got["deposit"]["credited_at"], got["created_at"])
        self.assertEqual(got["amount_usdt"], amount)
        self.assertBalance(key, amount)

        rows = self.rows_of(tx["tx_hash"])
        self.assertEqual(len(rows), 1, rows)
        row = rows[0]
        self.assertEqual({k_: row[k_] for k_ in ("network", "tx_id", "index", "from", "to",
                                                  "raw_amount", "block", "status", "reason",
                                                  "key_id", "topup_id", "memo")},
                         {"network": self.net(), "tx_id": tx["tx_hash"], "index": tx["log_index"],
                          "from": self.devnet.sender(1), "to": self.devnet.master,
                          "raw_amount": raw6(amount), "block": tx["block_number"],
                          "status": "credited", "reason": None, "key_id": k["key_id"],
                          "topup_id": tid, "memo": None})
        self.assertEqual(D(row["amount_usdt"]), amount)
        self.assertIsInstance(row["time"], int)
        self.assertIsInstance(row["detected_at"], int)

        csv = self.daemon.run_cli("admin", "deposits", "list", "--format", "csv",
                                  "--limit", "1000000")
        self.assertEqual(csv.returncode, 0, csv.stderr)
        lines = csv.stdout.splitlines()
        self.assertEqual(lines[0],
                         "id,network,tx_id,index,from,to,amount_usdt,block,time,status,reason,key_id,"
                         "memo,matched_by,credited_short,reorg_status")
        # This run's network only: a devnet makes the same transaction hashes on every run.
        mine = [line.split(",") for line in lines[1:]
                if tx["tx_hash"] in line and f",{self.net()}," in line]
        self.assertEqual(len(mine), 1, mine)
        self.assertEqual(mine[0], [str(row["id"]), self.net(), tx["tx_hash"], str(tx["log_index"]),
                                   self.devnet.sender(1), self.devnet.master, json_number(amount),
                                   str(tx["block_number"]), str(row["time"]), "credited", "",
                                   str(k["key_id"]), "", "amount", "false", ""])

        audits = [a for a in self.audit_items("topup.credited")
                  if a["details"].get("topup_id") == tid]
        self.assertEqual(len(audits), 1, audits)
        self.assertEqual(audits[0]["actor"], f"watcher:{self.net()}")
        self.assertEqual(audits[0]["details"]["tx_id"], tx["tx_hash"])

        # More blocks, more poll rounds: nothing is credited again.
        self.devnet.mine(5)
        time.sleep(QUIET_SECONDS)
        self.assertBalance(key, amount)
        self.assertEqual(len(self.rows_of(tx["tx_hash"])), 1)
        self.assertEqual(self.topup(key, tid)["status"], "credited_auto")

    def test_same_requested_amount_gets_distinct_amounts(self):
        a, b = self.new_key("same-a"), self.new_key("same-b")
        ia = self.intent(a["api_key"], 12)
        ib = self.intent(b["api_key"], 12)
        amount_a, amount_b = ia["amount_usdt"], ib["amount_usdt"]
        self.assertNotEqual(amount_a, amount_b)
        for amount in (amount_a, amount_b):
            self.assertTrue(D("12") < amount <= D("13"), (ia, ib))
            self.assertEqual(amount % D("0.01"), 0)
        self.assertEqual((ia["requested_amount_usdt"], ib["requested_amount_usdt"]),
                         (D("12"), D("12")))
        # The second one first, from different senders.
        txb = self.devnet.transfer(str(amount_b), token=6, sender=2)
        txa = self.devnet.transfer(str(amount_a), token=6, sender=3)
        self.settle()
        ga = self.wait_status(a["api_key"], ia["topup_id"], "credited_auto")
        gb = self.wait_status(b["api_key"], ib["topup_id"], "credited_auto")
        self.assertEqual((ga["deposit"]["tx_id"], ga["deposit"]["amount_usdt"]), (txa["tx_hash"], amount_a))
        self.assertEqual((gb["deposit"]["tx_id"], gb["deposit"]["amount_usdt"]), (txb["tx_hash"], amount_b))
        self.assertBalance(a["api_key"], amount_a)
        self.assertBalance(b["api_key"], amount_b)
        self.assertEqual(self.rows_of(txa["tx_hash"])[0]["key_id"], a["key_id"])
        self.assertEqual(self.rows_of(txb["tx_hash"])[0]["key_id"], b["key_id"])

    def test_matching_is_exact(self):
        # topups.match_tolerance_usdt is 0: half a cent more than the intent's amount pays
        # nothing (amount_mismatch, near the pending amount), and the intent stays pending.
        k = self.new_key("exact")
        created = self.intent(k["api_key"], 30)
        amount = created["amount_usdt"]
        near = self.devnet.transfer(str(amount + D("0.005")), token=6, sender=1)
        self.settle()
        row = self.wait_deposit(near["tx_hash"])
        self.assertEqual((row["status"], row["reason"], row["key_id"], row["topup_id"]),
                         ("unmatched", "amount_mismatch", None, None))
        self.assertEqual(D(row["amount_usdt"]), amount + D("0.005"))
        self.assertEqual(self.topup(k["api_key"], created["topup_id"])["status"], "pending")
        self.assertBalance(k["api_key"], 0)
        # The exact amount credits it, with what arrived.
        tx = self.devnet.transfer(str(amount), token=6, sender=2)
        self.settle()
        got = self.wait_status(k["api_key"], created["topup_id"], "credited_auto")
        self.assertEqual(got["deposit"]["tx_id"], tx["tx_hash"])
        self.assertEqual(got["deposit"]["amount_usdt"], amount)
        self.assertBalance(k["api_key"], amount)

    def test_each_amount_pays_its_intent_once(self):
        # Three intents of one key for the same request (the most it may hold pending): three
        # distinct amounts; paying one credits that intent only.
        k = self.new_key("distinct")
        key = k["api_key"]
        intents = [self.intent(key, 60) for _ in range(3)]
        amounts = [t["amount_usdt"] for t in intents]
        self.assertEqual(len(set(amounts)), 3, amounts)
        self.assertTrue(all(D("60") < a <= D("61") for a in amounts), amounts)
        first = self.devnet.transfer(str(amounts[1]), token=6, sender=2)
        self.settle()
        got = self.wait_status(key, intents[1]["topup_id"], "credited_auto")
        self.assertEqual(got["deposit"]["tx_id"], first["tx_hash"])
        # The same amount again: its intent is credited already (the amount stays held), and
        # nobody else gets it.
        second = self.devnet.transfer(str(amounts[1]), token=6, sender=3)
        self.settle()
        row = self.wait_deposit(second["tx_hash"])
        self.assertEqual((row["status"], row["reason"], row["key_id"]),
                         ("unmatched", "already_credited", None))
        for t in (intents[0], intents[2]):
            self.assertEqual(self.topup(key, t["topup_id"])["status"], "pending")
        self.assertBalance(key, amounts[1])

    def test_18_decimals_dust_is_not_credited(self):
        k = self.new_key("dec18")
        net18 = self.net(18)
        created = self.intent(k["api_key"], 25.5, network=net18)
        self.assertEqual(created["payment_network"], net18)
        amount = created["amount_usdt"]
        self.assertTrue(D("25.5") < amount <= D("26.5"), created)
        # The amount and 7 wei of dust: below a micro-USDT, so the amount itself is credited.
        raw = str(int(amount * 10**18) + 7)
        tx = self.devnet.transfer(str(amount.quantize(D("0.01"))) + "0000000000000007", token=18,
                                  sender=4)
        self.assertEqual(tx["raw_amount"], raw)
        self.settle()
        got = self.wait_status(k["api_key"], created["topup_id"], "credited_auto")
        self.assertEqual(got["deposit"]["amount_usdt"], amount)
        self.assertEqual(got["deposit"]["network"], net18)
        self.assertBalance(k["api_key"], amount)
        rows = self.rows_of(tx["tx_hash"], net18)
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0]["raw_amount"], raw)
        self.assertEqual(D(rows[0]["amount_usdt"]), amount)
        self.assertEqual(rows[0]["status"], "credited")
        # Nothing for the 6-decimals network.
        self.assertEqual(self.rows_of(tx["tx_hash"], self.net(6)), [])

    def test_reorged_transfer_is_never_credited(self):
        k = self.new_key("reorg")
        key = k["api_key"]
        created = self.intent(key, 44.44)
        tid = created["topup_id"]
        amount = created["amount_usdt"]
        snap = self.devnet.snapshot()
        gone = self.devnet.transfer(str(amount), token=6, sender=5)
        self.devnet.mine(1)  # one confirmation: seen, not final
        # The watcher must have sighted it (recorded as unconfirmed) before the reorg.
        seen = self.wait_status(key, tid, "confirming")  # test_topup_progress has the rest
        self.assertEqual((seen["confirming"]["tx_id"], seen["deposit"]), (gone["tx_hash"], None))
        self.assertEqual(self.sightings(gone["tx_hash"]), ["seen"])
        self.devnet.revert(snap)
        self.devnet.mine(5)  # the old block numbers are final now, with other blocks
        # Then the sighting is marked reorged: its block is final and holds no such transfer.
        deposit_harness.wait_until(lambda: self.sightings(gone["tx_hash"]) == ["reorged"],
                                   deposit_harness.CREDIT_TIMEOUT,
                                   what="the sighting is marked reorged")
        # A control transfer after those blocks: once it is recorded, the watcher has passed the
        # reorged block.
        control = self.devnet.transfer("901.23", token=6, sender=1)
        self.settle()
        control_row = self.wait_deposit(control["tx_hash"])
        self.assertEqual((control_row["status"], control_row["reason"]), ("unmatched", "no_intent"))
        self.assertEqual(self.rows_of(gone["tx_hash"]), [])
        got = self.topup(key, tid)
        self.assertEqual(got["status"], "pending")  # the reorg took the sighting away
        self.assertIsNone(got["deposit"])
        self.assertIsNone(got["confirming"])
        self.assertBalance(key, 0)

        # Paying again after the reorg (another sender: another tx hash) credits normally.
        paid = self.devnet.transfer(str(amount), token=6, sender=2)
        self.assertNotEqual(paid["tx_hash"], gone["tx_hash"])
        self.settle()
        got = self.wait_status(key, tid, "credited_auto")
        self.assertEqual(got["deposit"]["tx_id"], paid["tx_hash"])
        self.assertBalance(key, amount)
        self.assertEqual(self.rows_of(gone["tx_hash"]), [])
        self.assertEqual(len(self.rows_of(paid["tx_hash"])), 1)

    def sightings(self, tx_hash):
        """The statuses of tx_hash's unconfirmed_transfers rows on net(6)."""
        return [r[0] for r in psql(
            "SELECT status FROM unconfirmed_transfers WHERE network = '%s' AND tx_id = '%s'"
            % (self.net(), tx_hash))]

    def test_assign_unmatched_deposit_with_the_cli(self):
        k = self.new_key("assign-cli")
        tx = self.devnet.transfer("555.55", token=6, sender=3)
        self.settle()
        row = self.wait_deposit(tx["tx_hash"])
        self.assertEqual((row["status"], row["reason"], row["key_id"], row["topup_id"]),
                         ("unmatched", "no_intent", None, None))
        self.assertEqual(D(row["amount_usdt"]), D("555.55"))
        unmatched = self.daemon.deposits(self.net(), unmatched=True)
        self.assertIn(row["id"], [r["id"] for r in unmatched])
        self.assertTrue(all(r["status"] == "unmatched" for r in unmatched), unmatched)
        self.assertBalance(k["api_key"], 0)

        out = self.daemon.admin("deposits", "assign", row["id"], k["key_id"],
                                "--reason", "e2e: customer wrote in")
        self.assertEqual(set(out), {"deposit_id", "key_id", "amount_usdt", "transaction_id",
                                    "topup_id"}, out)
        self.assertEqual((out["deposit_id"], out["key_id"], out["topup_id"]),
                         (row["id"], k["key_id"], None))
        self.assertEqual(D(out["amount_usdt"]), D("555.55"))
        self.assertIsInstance(out["transaction_id"], int)
        self.assertBalance(k["api_key"], "555.55")
        after = self.rows_of(tx["tx_hash"])[0]
        self.assertEqual((after["status"], after["key_id"]), ("assigned", k["key_id"]))
        self.assertNotIn(row["id"],
                         [r["id"] for r in self.daemon.deposits(self.net(), unmatched=True)])

        # Once only: to the same key or another one.
        other = self.new_key("assign-cli-other")
        for target in (k, other):
            rc, _, p = self.daemon.admin_fail("deposits", "assign", row["id"], target["key_id"],
                                              "--reason", "again")
            self.assertEqual(rc, 1, p.stdout + p.stderr)
        self.assertBalance(k["api_key"], "555.55")
        self.assertBalance(other["api_key"], 0)

        audits = [a for a in self.audit_items("deposits.assign")
                  if a["details"].get("deposit_id") == row["id"]]
        self.assertEqual(len(audits), 1, audits)

    def test_assign_with_the_admin_api(self):
        k = self.new_key("assign-http")
        key = k["api_key"]
        created = self.intent(key, 300)
        # 290 is within 10% of the intent's amount (300.01 to 301) but not that amount.
        tx = self.devnet.transfer("290", token=6, sender=4)
        self.settle()
        row = self.wait_deposit(tx["tx_hash"])
        self.assertEqual((row["status"], row["reason"]), ("unmatched", "amount_mismatch"))
        self.assertEqual(self.topup(key, created["topup_id"])["status"], "pending")
        self.assertBalance(key, 0)

        base = self.daemon.base + "/api/admin/deposits"
        admin = {"X-Admin-Token": harness.ADMIN_TOKEN}
        r = harness.requests.get(base + "?status=unmatched&limit=10000", headers=admin, timeout=10)
        items = self.assertJson(r)["items"]
        self.assertIn(row["id"], [i["id"] for i in items])
        self.assertTrue(all(i["status"] == "unmatched" for i in items))
        self.assertProblem(harness.requests.get(base, timeout=10), 401)
        self.assertProblem(harness.requests.get(base + "?status=bogus", headers=admin, timeout=10),
                           422, ["status"])

        url = f"{base}/{row['id']}/assign"
        body = json.dumps({"key_id": k["key_id"], "reason": "e2e: paid 290 for 300"})
        self.assertProblem(harness.requests.post(url, data=body, timeout=10), 401)
        r = harness.requests.post(url, data=body, headers=admin, timeout=10)
        out = self.assertJson(r)
        self.assertEqual((out["deposit_id"], out["key_id"], out["topup_id"]),
                         (row["id"], k["key_id"], created["topup_id"]))
        self.assertEqual(exact(r)["amount_usdt"], D("290"))
        self.assertBalance(key, "290")
        got = self.topup(key, created["topup_id"])
        self.assertEqual(got["status"], "credited_manual")
        self.assertEqual(got["deposit"]["tx_id"], tx["tx_hash"])
        self.assertEqual(got["deposit"]["amount_usdt"], D("290"))

        self.assertProblem(harness.requests.post(url, data=body, headers=admin, timeout=10), 409)
        self.assertBalance(key, "290")
        r = harness.requests.get(base + "?status=all&limit=10000", headers=admin, timeout=10)
        mine = [i for i in self.assertJson(r)["items"] if i["id"] == row["id"]]
        self.assertEqual(len(mine), 1)
        self.assertEqual((mine[0]["status"], mine[0]["key_id"], mine[0]["topup_id"]),
                         ("assigned", k["key_id"], created["topup_id"]))
        # Unknown deposit or key.
        self.assertProblem(harness.requests.post(f"{base}/999999999999/assign", data=body,
                                                 headers=admin, timeout=10), 404)


class UnmatchedTest(ChainTestCase):
    """Transfers that match no intent, come too late, or are not for us. Only the 6-decimals
    token is configured; intents expire after 10 s."""

    MODULE = "dep-unmatched"
    NETWORK_PREFIX = "dunm"
    TOKENS = (6,)
    CONFIG = {"topups": {"expiry_seconds": 10}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Created first, so its 10 s run out while the other tests run.
        cls.late = cls.daemon.create_key(harness.label(cls.MODULE, "late"))
        body = json.dumps({"amount_usdt": 33, "network": cls.net()})
        r = cls.daemon.post("/balance/topup", key=cls.late["api_key"], data=body,
                            headers={"Content-Type": "application/json"})
        assert r.status_code == 200, r.text
        cls.late_intent = exact(r)

    def test_transfer_without_intent(self):
        tx = self.devnet.transfer("777.77", token=6, sender=1)
        self.settle()
        row = self.wait_deposit(tx["tx_hash"])
        self.assertEqual((row["status"], row["reason"], row["key_id"], row["topup_id"]),
                         ("unmatched", "no_intent", None, None))
        self.assertEqual(D(row["amount_usdt"]), D("777.77"))
        self.assertEqual(row["raw_amount"], "777770000")
        self.assertEqual((row["from"], row["to"]), (self.devnet.sender(1), self.devnet.master))
        self.assertIn(row["id"], [r["id"] for r in self.daemon.deposits(self.net(), unmatched=True)])

    def test_transfer_after_expiry(self):
        key, tid = self.late["api_key"], self.late_intent["topup_id"]
        amount = D(self.late_intent["amount_usdt"])
        self.assertTrue(D("33") < amount <= D("34"), self.late_intent)
        got = self.wait_status(key, tid, "expired", timeout=25)
        self.assertGreater(time.time(), got["expires_at"])
        self.assertEqual(got["expires_at"] - got["created_at"], 10)
        tx = self.devnet.transfer(str(amount), token=6, sender=2)
        self.settle()
        row = self.wait_deposit(tx["tx_hash"])
        self.assertEqual((row["status"], row["reason"], row["key_id"]), ("unmatched", "expired", None))
        self.assertGreater(row["time"], got["expires_at"])
        self.assertEqual(self.topup(key, tid)["status"], "expired")
        self.assertIsNone(self.topup(key, tid)["deposit"])
        self.assertBalance(key, 0)

    def test_other_token_and_other_address_are_ignored(self):
        k = self.new_key("ignored")
        created = self.intent(k["api_key"], 7)
        amount = str(created["amount_usdt"])
        wrong_token = self.devnet.transfer(amount, token=18, sender=3)        # not configured
        wrong_address = self.devnet.transfer(amount, token=6, sender=4, to="other")
        paid = self.devnet.transfer(amount, token=6, sender=5)
        self.settle()
        got = self.wait_status(k["api_key"], created["topup_id"], "credited_auto")
        self.assertEqual(got["deposit"]["tx_id"], paid["tx_hash"])
        self.assertBalance(k["api_key"], created["amount_usdt"])
        txs = [r["tx_id"] for r in self.daemon.deposits(self.net())]
        self.assertNotIn(wrong_token["tx_hash"], txs)
        self.assertNotIn(wrong_address["tx_hash"], txs)
        self.assertEqual(txs.count(paid["tx_hash"]), 1)


class WrongChainTest(ChainTestCase):
    """A node of another chain than the config names (a wrong URL, a testnet) may hold our
    token and wallet addresses too: with chain_id set, `serve` refuses to start when the node
    says another chain (and every poll asks again, for failovers). One network configured twice
    is refused at start."""

    MODULE = "dep-wrongchain"
    NETWORK_PREFIX = "dwch"
    TOKENS = (6,)

    def test_a_node_of_another_chain_is_refused_at_start(self):
        wrong = [dict(self.networks[0], id=self.networks[0]["id"] + "_bsc", chain_id=56)]
        d = ChainDaemon(wrong)
        self.addCleanup(d.cleanup)
        with self.assertRaises(AssertionError) as refused:
            d.start()
        self.assertIn("exited with 1", str(refused.exception))
        self.assertIn("the node says chain id 1337, the config 56", str(refused.exception))

    def test_one_network_configured_twice_is_refused(self):
        twice = [dict(self.networks[0]), dict(self.networks[0], id=self.networks[0]["id"] + "_b")]
        for n in twice:
            n.pop("chain_id")
        d = ChainDaemon(twice)
        self.addCleanup(d.cleanup)
        p = d.run_cli("config", "check")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("every deposit would be seen twice", p.stderr)
        # Different chains that share the addresses: fine once each says which chain it is.
        twice[0]["chain_id"], twice[1]["chain_id"] = 1337, 31337
        d.write_config()
        self.assertEqual(d.run_cli("config", "check").returncode, 0)


class RestartTest(ChainTestCase):
    """kill -9 while deposits stream in: after restarts every deposit is credited exactly once."""

    MODULE = "dep-restart"
    NETWORK_PREFIX = "dkill"
    TOKENS = (6,)
    # One key pays 20 intents at once (the default cap is 3 pending per key and network).
    CONFIG = {"topups": {"max_pending_per_key": 20, "max_unpaid_held_per_key": 20}}

    def test_sigkill_mid_stream(self):
        k = self.new_key("kill9")
        key = k["api_key"]
        intents = [self.intent(key, 50 + i) for i in range(20)]
        amounts = [t["amount_usdt"] for t in intents]
        self.assertEqual(len(set(amounts)), 20, amounts)
        self.assertTrue(all(D(50 + i) < a <= D(51 + i) for i, a in enumerate(amounts)), amounts)
        sent = []
        for i, t in enumerate(intents):
            sent.append(self.devnet.transfer(str(t["amount_usdt"]), token=6, sender=i % 5 + 1))
            if i in (4, 12):
                self.devnet.mine(2)   # a batch becomes final ...
                time.sleep(0.05 if i == 4 else 0.15)
                self.daemon.sigkill()  # ... and the daemon dies while (maybe) recording it
            if i == 8:
                self.daemon.start()    # transfers 5..8 were sent while it was down
            if i == 12:
                self.daemon.start()
            if i == 16:
                time.sleep(0.1)
                self.daemon.sigkill()
                self.daemon.start()
        self.settle()
        for t, tx in zip(intents, sent):
            got = self.wait_status(key, t["topup_id"], "credited_auto")
            self.assertEqual(got["deposit"]["tx_id"], tx["tx_hash"])
            self.assertEqual(got["deposit"]["amount_usdt"], t["amount_usdt"])
        total = sum(amounts)
        self.assertTrue(D(1190) < total <= D(1210), total)
        self.assertBalance(key, total)
        # A few more rounds (and blocks) change nothing.
        self.devnet.mine(3)
        time.sleep(QUIET_SECONDS)
        self.assertBalance(key, total)
        rows = self.daemon.deposits(self.net())
        self.assertEqual(sorted(r["tx_id"] for r in rows), sorted(tx["tx_hash"] for tx in sent))
        self.assertTrue(all(r["status"] == "credited" and r["key_id"] == k["key_id"]
                            for r in rows), rows)
        self.assertEqual(sum(D(r["amount_usdt"]) for r in rows), total)
        credited = [a for a in self.audit_items("topup.credited")
                    if a["details"].get("network") == self.net()]
        self.assertEqual(sorted(a["details"]["tx_id"] for a in credited),
                         sorted(tx["tx_hash"] for tx in sent))


class RpcFaultTest(ChainTestCase):
    """The 6-decimals network reads the chain through fault_proxy.py (30% of requests fail in
    every way it knows); the 18-decimals one has a dead first RPC URL."""

    MODULE = "dep-faults"
    NETWORK_PREFIX = "dfault"
    TOKENS = (6, 18)
    # One key pays 10 intents at once (the default cap is 3 pending per key and network).
    CONFIG = {"topups": {"max_pending_per_key": 10}}

    @classmethod
    def make_networks(cls, devnet):
        cls.proxy = FaultProxy(devnet.rpc, fault_rate=0.3, hang_seconds=3, seed=7).start()
        dead = f"http://127.0.0.1:{harness.free_port()}"
        return [
            deposit_harness.network_entry(devnet, cls.NETWORK_PREFIX, 6, rpc=[cls.proxy.url],
                                          rpc_timeout_ms=1000),
            deposit_harness.network_entry(devnet, cls.NETWORK_PREFIX, 18,
                                          rpc=[dead, devnet.rpc], rpc_timeout_ms=1000),
        ]

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            proxy = getattr(cls, "proxy", None)
            if proxy is not None:
                proxy.stop()

    @classmethod
    def setUpClass(cls):
        try:
            super().setUpClass()
        except BaseException:
            proxy = getattr(cls, "proxy", None)
            if proxy is not None:
                proxy.stop()
            raise

    def test_faulty_rpc_still_credits_exactly_once(self):
        k = self.new_key("faults")
        key = k["api_key"]
        requested = [D("20.5") + i for i in range(10)]
        intents = [self.intent(key, a) for a in requested]
        amounts = [t["amount_usdt"] for t in intents]
        self.assertTrue(all(r < a <= r + 1 for r, a in zip(requested, amounts)), amounts)
        sent = [self.devnet.transfer(str(a), token=6, sender=i % 5 + 1)
                for i, a in enumerate(amounts)]
        self.settle()
        deadline = time.monotonic() + 90
        for t, tx in zip(intents, sent):
            got = self.wait_status(key, t["topup_id"], "credited_auto",
                                   timeout=max(1, deadline - time.monotonic()))
            self.assertEqual(got["deposit"]["tx_id"], tx["tx_hash"])
        self.assertBalance(key, sum(amounts))
        rows = self.daemon.deposits(self.net(6))
        self.assertEqual(sorted(r["tx_id"] for r in rows), sorted(tx["tx_hash"] for tx in sent))
        self.assertTrue(all(r["status"] == "credited" for r in rows), rows)
        stats = self.proxy.stats()
        faults = {kind: stats[kind] for kind in ("500", "429", "timeout", "garbage", "range")}
        self.assertGreater(sum(faults.values()), 0, stats)
        self.assertGreater(stats["forwarded"], 0, stats)
        # Operators see it in /metrics: RPC errors by endpoint, deposits, the watcher's heights.
        metrics = harness.requests.get(self.daemon.base + "/metrics", timeout=10).text
        net = self.net(6)
        series = {}
        for line in metrics.splitlines():
            if line.startswith("instamarket_") and f'network="{net}"' in line:
                name, _, value = line.rpartition(" ")
                series[name] = float(value)
        self.assertGreaterEqual(series.get(f'instamarket_deposits_total{{network="{net}",outcome="credited"}}', 0), 10, series)
        self.assertGreater(sum(v for k, v in series.items() if k.startswith("instamarket_rpc_errors_total")), 0, series)
        self.assertGreater(series.get(f'instamarket_chain_head{{network="{net}"}}', 0), 0, series)
        self.assertIn(f'instamarket_watcher_lag_blocks{{network="{net}"}}', series)

    def test_dead_first_rpc_fails_over(self):
        k = self.new_key("failover")
        net18 = self.net(18)
        created = self.intent(k["api_key"], 15, network=net18)
        tx = self.devnet.transfer(str(created["amount_usdt"]), token=18, sender=2)
        self.settle()
        got = self.wait_status(k["api_key"], created["topup_id"], "credited_auto")
        self.assertEqual(got["deposit"]["tx_id"], tx["tx_hash"])
        self.assertBalance(k["api_key"], created["amount_usdt"])
        self.assertEqual(len(self.rows_of(tx["tx_hash"], net18)), 1)


if __name__ == "__main__":
    harness.main()
