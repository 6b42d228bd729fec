"""Solana continuity and authenticity end to end: instamarketd watching fake Solana nodes
(fake_chain.py) that fail like real ones, through the same watcher and ledger path as the other
chains.

- A node whose history is cut off (a short ledger) lists short; a short listing is not taken as
  "reached the cursor" until a node proves it: with a complete node next to it the deposit below
  the cut is credited, with the cut-off node alone the cursor stays until a complete one is back.
- getTransaction answering null for a signature just listed, "minimum context slot has not been
  reached" (-32016) and rate limits (429 with Retry-After): the deposit is credited once,
  eventually, and never skipped. A node answering another transaction, or the one asked for at
  another slot, is not believed.
- An answer without the pre token balance of an account that existed credits what the transfer
  moved, never the whole balance.
- Every token account the master holds for the mint is watched (found at start, by the periodic
  listing, and across restarts); a configured token_account of another owner or mint is refused.
"""

import os
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from deposit_harness import ChainDaemon, wait_until  # noqa: E402
from fake_chain import FakeChain, associated_token_account, b58encode  # noqa: E402
from order_harness import psql  # noqa: E402

TIMEOUT = 30
SOL_USDT = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"
SENDER = "8fusVwhgo4oS1fGpZKeRaXrJXQk9auKnAgcj9A97wR3t"


def raw(amount):
    return int(Decimal(str(amount)) * 1_000_000)


def new_master():
    """A fresh master wallet: each test watches accounts no other test sends to."""
    return b58encode(os.urandom(32))


class SolanaContinuityTest(harness.DaemonTestCase):
    MODULE = "solana-continuity"

    @classmethod
    def setUpClass(cls):
        harness.require_environment()
        cls.chain = FakeChain().start()   # a complete node
        cls.daemon = None

    @classmethod
    def tearDownClass(cls):
        cls.chain.stop()

    def setUp(self):
        pass  # each test starts its own daemon

    # ----- helpers -------------------------------------------------------------------------

    def node(self):
        """Another node of the chain, stopped after the test."""
        node = self.chain.solana_node()
        self.addCleanup(node.stop)
        return node

    def watch(self, master, rpc, **keys):
        """A daemon watching `master`'s USDT through the nodes `rpc`, stopped after the test."""
        self.network = f"sol_{harness.RUN_ID}_{os.urandom(3).hex()}"
        entry = {"id": self.network, "kind": "solana", "rpc": [n.url for n in rpc], "decimals": 6,
                 "poll_interval_ms": 100, "page_size": 2, "start": 0, "rpc_timeout_ms": 5000,
                 "token": SOL_USDT, "address": master}
        entry.update(keys)
        daemon = ChainDaemon([entry], log={"level": "info"})
        daemon.start()
        self.addCleanup(daemon.cleanup)
        self.addCleanup(daemon.stop_and_check)
        self.daemon = daemon
        return daemon

    def send(self, master, amount, account=None, **kw):
        account = account or associated_token_account(master, SOL_USDT)
        return self.chain.solana_add(account, master, SOL_USDT, raw(amount), SENDER, **kw)

    def deposits(self):
        return self.daemon.deposits(self.network)

    def wait_deposit(self, tx_id):
        def row():
            rows = [r for r in self.deposits() if r["tx_id"] == tx_id]
            return rows[0] if rows else None
        try:
            return wait_until(row, TIMEOUT, interval=0.2, what=f"deposit {tx_id} is recorded")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.daemon.log_tail(20)}") from None

    def assertCountedOnce(self):
        keys = [(r["tx_id"], r["index"]) for r in self.deposits()]
        self.assertEqual(len(keys), len(set(keys)), "a transfer was recorded twice")

    def cursor(self):
        rows = psql(f"SELECT position, position_state FROM chain_cursors "
                    f"WHERE network = '{self.network}'")
        return tuple(rows[0]) if rows else None

    # ----- a short listing is proven -------------------------------------------------------

    PROOF = "getFirstAvailableBlock+getSignaturesForAddress"
    LISTING = "getSlot+getSignaturesForAddress"  # a page, with the same node's finalized slot

    def watch_then_cut(self, master, rpc, cut):
        """Watches until a first deposit is taken (the cursor: its signature), then cuts `cut`'s
        history off just above the next deposit: it never has `below`, only `above`."""
        self.watch(master, rpc)
        first = self.send(master, "0.99")
        self.wait_deposit(first["signature"])
        proofs = cut.count(self.PROOF)
        cut.solana_history_from(self.chain.solana_slot + 14)  # solana_add: 7 slots each
        below = self.send(master, "1.02")
        above = self.send(master, "1.03")
        self.assertEqual(above["slot"], self.chain.solana_slot)
        self.assertGreater(above["slot"], below["slot"])
        return first, below, above, proofs

    def test_1_a_deposit_below_a_nodes_cut_off_history_is_credited_via_a_complete_node(self):
        master = new_master()
        cut = self.node()
        first, below, above, proofs = self.watch_then_cut(master, [cut, self.chain], cut)
        self.wait_deposit(above["signature"])
        self.wait_deposit(below["signature"])
        self.assertCountedOnce()
        self.assertEqual(sorted(Decimal(str(r["amount_usdt"])) for r in self.deposits()),
                         [Decimal("0.99"), Decimal("1.02"), Decimal("1.03")])
        # The cut-off node was asked for the proof after the cut (and could not give it).
        self.assertGreater(cut.count(self.PROOF), proofs)

    def test_2_with_only_a_cut_off_node_the_cursor_stays_until_a_complete_one_is_back(self):
        master = new_master()
        cut = self.node()
        first, below, above, proofs = self.watch_then_cut(master, [cut], cut)
        # The watcher has listed several times since the cut (and been refused the proof).
        listings = cut.count(self.LISTING)
        wait_until(lambda: cut.count(self.LISTING) >= listings + 3, TIMEOUT,
                   what="the cut-off node is listed again")
        self.assertEqual([r["tx_id"] for r in self.deposits()], [first["signature"]])
        ata = associated_token_account(master, SOL_USDT)
        self.assertEqual(self.cursor(), (str(first["slot"]), f"v2|0|{ata}:{first['signature']}:{first['slot']}"))
        self.assertGreater(cut.count(self.PROOF), proofs)
        cut.solana_history_from(0)  # the node has its whole history again
        self.wait_deposit(below["signature"])
        self.wait_deposit(above["signature"])
        self.assertCountedOnce()

    def test_3_a_start_slot_is_proven_too(self):
        master = new_master()
        floor = self.chain.solana_slot + 1
        below = self.send(master, "3.02")  # above the start slot, below the node's cut
        above = self.send(master, "3.03")
        cut = self.node()
        cut.solana_history_from(above["slot"])
        self.watch(master, [cut, self.chain], start=floor)
        self.wait_deposit(above["signature"])
        self.wait_deposit(below["signature"])
        self.assertCountedOnce()

    # ----- nodes that fail like real ones ----------------------------------------------------

    def check_fault(self, method, kind, n, amount):
        """`n` faults in a row, more than one request's attempts over the endpoints (4): the poll
        fails and the watcher must come back for the same signature."""
        master = new_master()
        node = self.node()
        self.watch(master, [node])
        first = self.send(master, "0.5")
        self.wait_deposit(first["signature"])
        node.solana_fault(method, n, kind)
        tx = self.send(master, amount)
        row = self.wait_deposit(tx["signature"])
        self.assertEqual(Decimal(str(row["amount_usdt"])), Decimal(amount))
        self.assertEqual(row["block"], tx["slot"])
        self.assertEqual(node.solana_faults_served(kind), n)
        after = self.send(master, "0.7")
        self.wait_deposit(after["signature"])
        self.assertCountedOnce()
        self.assertEqual(len(self.deposits()), 3)

    def test_4_a_transaction_not_served_yet_is_retried_never_skipped(self):
        self.check_fault("getTransaction", "null", 6, "4.04")

    def test_5_minimum_context_slot_not_reached_is_retried(self):
        self.check_fault("getSignaturesForAddress", "min_context_slot", 6, "5.05")
        self.check_fault("getTransaction", "min_context_slot", 6, "5.06")

    def test_6_a_rate_limit_with_retry_after_is_waited_out(self):
        self.check_fault("getTransaction", "rate_limit", 5, "6.06")

    def test_6b_a_node_answering_another_transaction_is_not_believed(self):
        self.check_fault("getTransaction", "other_transaction", 6, "6.07")
        self.check_fault("getTransaction", "other_slot", 6, "6.08")

    # ----- amounts ---------------------------------------------------------------------------

    def test_7_a_missing_pre_balance_credits_the_transfer_not_the_balance(self):
        master = new_master()
        self.watch(master, [self.chain])
        tx = self.send(master, "7.07", lost_pre=raw("500"))
        row = self.wait_deposit(tx["signature"])
        self.assertEqual(Decimal(str(row["amount_usdt"])), Decimal("7.07"))


    # ----- every token account of the master -------------------------------------------------

    def second_account(self, master):
        """Another token account `master` holds for USDT (not the associated one)."""
        account = new_master()
        self.chain.solana_token_account(account, master, SOL_USDT)
        return account

    def test_8_a_deposit_to_another_token_account_of_the_master_is_credited(self):
        master = new_master()
        second = self.second_account(master)
        early = self.send(master, "8.01", account=second)  # before the watch: found at start
        self.watch(master, [self.chain])
        self.wait_deposit(early["signature"])
        to_ata = self.send(master, "8.02")
        to_second = self.send(master, "8.03", account=second)
        self.wait_deposit(to_ata["signature"])
        row = self.wait_deposit(to_second["signature"])
        self.assertEqual(Decimal(str(row["amount_usdt"])), Decimal("8.03"))
        self.assertCountedOnce()
        # A token account opened later is found by the next listing (every 60 poll intervals:
        # 6 s here) and listed from where the watch began.
        # A deposit to the ATA after it moves the cursor past it first: the new account is
        # still listed down to where the watch began, not from the cursor.
        third = self.second_account(master)
        late = self.send(master, "8.04", account=third)
        after = self.send(master, "8.09")
        self.wait_deposit(after["signature"])
        self.wait_deposit(late["signature"])
        # Across a restart: deposits to each account while the daemon is down, and to an
        # account opened meanwhile, are all taken; nothing twice.
        self.assertEqual(self.daemon.stop(), 0)
        fourth = self.second_account(master)
        while_down = [self.send(master, "8.05"), self.send(master, "8.06", account=second),
                      self.send(master, "8.07", account=third), self.send(master, "8.08", account=fourth)]
        self.daemon.start()
        for tx in while_down:
            self.wait_deposit(tx["signature"])
        self.assertCountedOnce()
        self.assertEqual(sorted(Decimal(str(r["amount_usdt"])) for r in self.deposits()),
                         [Decimal(f"8.0{i}") for i in range(1, 10)])

    def test_8b_a_listed_account_of_another_owner_or_mint_is_not_watched(self):
        master = new_master()
        foreign, other_mint = new_master(), new_master()
        # What the chain holds: someone else's USDT account, and the master's USDC account.
        self.chain.solana_token_account(foreign, new_master(), SOL_USDT)
        self.chain.solana_token_account(other_mint, master, "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
        # Deposits to them that would pass as ours if the accounts were watched (a lying node
        # lists them for the master and the USDT mint).
        spoofed = [self.send(master, "8.51", account=foreign),
                   self.send(master, "8.52", account=other_mint)]
        self.chain.solana_fault("getTokenAccountsByOwner", 1, "foreign_account", account=foreign)
        self.chain.solana_fault("getTokenAccountsByOwner", 1, "other_mint_account",
                                account=other_mint)
        self.watch(master, [self.chain])
        marker = self.send(master, "8.53")
        self.wait_deposit(marker["signature"])
        wait_until(lambda: self.chain.solana_faults_served("other_mint_account") >= 1, TIMEOUT,
                   what="the accounts are listed twice")
        marker = self.send(master, "8.54")  # a poll after the second listing
        self.wait_deposit(marker["signature"])
        recorded = {r["tx_id"] for r in self.deposits()}
        for tx in spoofed:
            self.assertNotIn(tx["signature"], recorded)

    def test_8c_a_secondary_account_no_node_can_prove_does_not_stop_the_others(self):
        """Anyone can open a token account for our master; on a node without old history (here:
        cut above the floor) its listing down to the floor is never proven. It is skipped; the
        primary and the account listed after it go on."""
        master = new_master()
        second = self.second_account(master)  # nothing taken from it: listed down to the floor
        third = self.second_account(master)   # listed after it
        node = self.node()
        self.watch(master, [node])
        first = self.send(master, "8.61")
        to_third = self.send(master, "8.62", account=third)
        self.wait_deposit(first["signature"])
        self.wait_deposit(to_third["signature"])
        node.solana_history_from(first["slot"])  # both cursors' signatures still in its history
        after = [self.send(master, "8.63", account=third), self.send(master, "8.64")]
        for tx in after:
            self.wait_deposit(tx["signature"])
        self.wait_log(f"token account {second} skipped this poll")
        self.assertCountedOnce()
        self.assertEqual(self.daemon.stop(), 0)

    def wait_log(self, *parts):
        """Until a line of the daemon's log has all of `parts`."""
        def found():
            with open(self.daemon.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return any(all(p in line for p in parts) for line in lines)
        try:
            wait_until(found, TIMEOUT, what=f"the log says {parts!r}")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.daemon.log_tail(20)}") from None

    def test_9_a_configured_token_account_of_another_owner_or_mint_is_refused(self):
        for owner_is_ours, mint in ((False, SOL_USDT), (True, "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")):
            master, stranger = new_master(), new_master()
            account = new_master()
            self.chain.solana_token_account(account, master if owner_is_ours else stranger, mint)
            # Sent to it as if it were the master's USDT account.
            self.chain.solana_add(account, master, SOL_USDT, raw("9.01"), SENDER)
            self.watch(master, [self.chain], token_account=account)
            if owner_is_ours:
                self.wait_log(f"token_account {account} holds the mint", mint, "not watching it")
            else:
                self.wait_log(f"token_account {account} is owned by", stranger, "not watching it")
            self.assertEqual(self.deposits(), [])
            self.assertIsNone(self.daemon.proc.poll(), "the daemon stopped")
            self.assertEqual(self.daemon.stop(), 0)


    def test_9c_a_node_lying_about_the_configured_account_is_passed_over(self):
        """A node that says the configured token_account is someone else's is refused like any
        unusable answer: the next node is asked (not the same one for ever)."""
        master, account = new_master(), new_master()
        self.chain.solana_token_account(account, master, SOL_USDT)
        liar = self.node()
        liar.solana_fault("getAccountInfo", 1000, "foreign_owner")
        self.watch(master, [liar, self.chain], token_account=account)
        tx = self.chain.solana_add(account, master, SOL_USDT, raw("9.61"), SENDER)
        self.wait_deposit(tx["signature"])
        self.assertGreaterEqual(liar.solana_faults_served("foreign_owner"), 1)
        self.assertEqual(self.daemon.stop(), 0)

    # ----- hostile listing entries ------------------------------------------------------------

    def test_9b_a_listing_entry_that_is_no_signature_or_in_the_future_never_reaches_the_cursor(self):
        """A failed entry is never fetched, so only the listing's own check keeps it out of the
        cursor: "a:b|c" there would make the cursor unreadable for ever, slot 10^15 would make
        every later deposit to the account read as below the cursor."""
        for kind in ("bad_signature_entry", "future_slot_entry"):
            master = new_master()
            node = self.node()
            self.watch(master, [node])
            first = self.send(master, "9.51")
            self.wait_deposit(first["signature"])
            node.solana_fault("getSignaturesForAddress", 1, kind)
            wait_until(lambda: node.solana_faults_served(kind) == 1, TIMEOUT,
                       what=f"the {kind} listing is served")
            after = self.send(master, "9.52")
            self.wait_deposit(after["signature"])
            position, state = self.cursor()
            self.assertNotIn("a:b|c", state)
            self.assertLessEqual(int(position), self.chain.solana_slot)
            self.assertCountedOnce()
            self.assertEqual(self.daemon.stop(), 0)

    # ----- a real recorded answer through every check ---------------------------------------

    def test_10_a_real_recorded_transfer_passes_every_check(self):
        """The recorded mainnet USDC transfer (its listing entry and its transaction, verbatim),
        watched as USDC: the token accounts are listed, a cut-off node is refused the proof, the
        transaction is the one listed at its slot, the account was created in it (no pre
        balance), its owner is the master; once null (not served yet)."""
        cut = self.node()
        cut.solana_history_from(184930611)
        recorded = self.chain.solana_add_recorded()
        self.chain.solana_fault("getTransaction", 6, "null")
        self.watch("3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui", [cut, self.chain],
                   token="EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
        row = self.wait_deposit(recorded["signature"])
        self.assertEqual(Decimal(str(row["amount_usdt"])), Decimal("0.001"))
        self.assertEqual(row["block"], 184930610)
        self.assertEqual(row["from"], SENDER)  # the source account's owner
        self.assertEqual(row["memo"], "transfer")
        self.assertEqual(self.chain.solana_faults_served("null"), 6)
        self.assertGreaterEqual(cut.count(self.PROOF), 1)
        self.assertGreaterEqual(cut.count("getTokenAccountsByOwner")
                                + self.chain.count("getTokenAccountsByOwner"), 1)
        self.assertCountedOnce()


if __name__ == "__main__":
    harness.main()
