"""Helpers for the deposit end-to-end tests: a real local EVM chain (devnet/devnet.js, ganache
in-process) next to an instamarketd that watches it.

    devnet = Devnet().start()                  # node devnet/devnet.js start on a free port
    nets = networks_config(devnet, "topup")    # token6 + token18 networks with unique ids
    daemon = ChainDaemon(nets, topups={...}).start()
    devnet.transfer("10.01", token=6)          # {"tx_hash", "block_number", "raw_amount", ...}
    wait_until(lambda: ..., timeout=20, what="the deposit is credited")

Network ids carry harness.RUN_ID: a fresh devnet makes the same transaction hashes on every run
(deterministic keys and nonces), and the daemon keeps a block cursor per network id, so a
network id must never be reused by another run against the same database.

Needs Node >= 18 with devnet/node_modules (install_devnet() runs devnet/install.sh, a no-op
when it is up to date).
"""

import json
import os
import signal
import subprocess
import tempfile
import shutil
import time
from decimal import Decimal

import harness

DEVNET_DIR = os.path.join(harness.REPO_ROOT, "devnet")
DEVNET_JS = os.path.join(DEVNET_DIR, "devnet.js")
FAULT_PROXY = os.path.join(DEVNET_DIR, "fault_proxy.py")

TOKEN_DECIMALS = {6: 6, 18: 18}

# How long the watcher (polling every 100 ms) gets to record a final transfer.
CREDIT_TIMEOUT = 30

_installed = False


def install_devnet():
    """Runs devnet/install.sh once per process (no-op when node_modules matches the lock)."""
    global _installed
    if _installed:
        return
    p = subprocess.run(["bash", os.path.join(DEVNET_DIR, "install.sh")], capture_output=True,
                       text=True, timeout=600)
    if p.returncode != 0:
        raise AssertionError(f"devnet/install.sh exited with {p.returncode}:\n{p.stdout}\n{p.stderr}")
    _installed = True


def wait_until(fn, timeout, interval=0.1, what=None):
    """Calls fn() until it returns something truthy and returns that; fails the test with `what`
    (and fn's last value) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting until "
                                 f"{what or getattr(fn, '__name__', 'condition')}; last: {last!r}")
        time.sleep(interval)


def exact(response):
    """A JSON body with every number as Decimal, so 10.01 or 0.000001 compare exactly."""
    return json.loads(response.text, parse_float=Decimal, parse_int=Decimal)


class DevnetError(AssertionError):
    pass


class Devnet:
    """One `node devnet/devnet.js start` process on a free port with its own state directory."""

    def __init__(self):
        self.tmpdir = tempfile.mkdtemp(prefix="instamarket-devnet-")
        self.state_path = os.path.join(self.tmpdir, "devnet.json")
        self.log_path = os.path.join(self.tmpdir, "devnet.log")
        self.port = None
        self.proc = None
        self.state = None
        self._log = None

    def start(self, timeout=60.0):
        self.port = harness.free_port()
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            ["node", DEVNET_JS, "start", "--port", str(self.port), "--state", self.tmpdir],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            cwd=harness.REPO_ROOT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.state_path):
            if self.proc.poll() is not None:
                raise DevnetError(f"devnet exited with {self.proc.returncode} during start-up:\n"
                                  + self.log_tail())
            if time.monotonic() > deadline:
                self.stop()
                raise DevnetError(f"devnet did not write {self.state_path} within {timeout} s:\n"
                                  + self.log_tail())
            time.sleep(0.05)
        with open(self.state_path) as f:
            self.state = json.load(f)
        return self

    def stop(self, timeout=10.0):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def cleanup(self):
        self.stop()
        if os.environ.get("INSTAMARKET_E2E_KEEP") != "1":
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return "(no devnet log)"
        return "--- devnet log (last lines) ---\n" + "\n".join(data[-lines:])

    # ----- chain facts ---------------------------------------------------------------------

    @property
    def rpc(self):
        return self.state["rpc"]

    @property
    def master(self):
        return self.state["master"].lower()

    @property
    def other(self):
        return self.state["other"].lower()

    def token(self, decimals):
        return self.state[f"token{decimals}"].lower()

    @property
    def chain_id(self):
        return int(self.state["chain_id"])

    def sender(self, n):
        return self.state["senders"][n - 1]["address"].lower()

    # ----- commands ------------------------------------------------------------------------

    def command(self, name, *args, rpc=None, timeout=60):
        """Runs `node devnet.js NAME --state DIR ARGS...` and returns its JSON line."""
        cmd = ["node", DEVNET_JS, name, "--state", self.tmpdir] + [str(a) for a in args]
        if rpc is not None:
            cmd += ["--rpc", rpc]
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout, cwd=harness.REPO_ROOT)
        try:
            out = json.loads(p.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            out = None
        if p.returncode != 0 or not isinstance(out, dict) or "error" in out:
            raise DevnetError(f"`devnet.js {name} {' '.join(map(str, args))}` exited with "
                              f"{p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
        return out

    def transfer(self, amount, token=6, sender=1, to="master"):
        """Sends `amount` (exact decimal string) of TestUSDT{token}; returns the receipt JSON
        ({"tx_hash", "block_number", "log_index", "raw_amount", "amount", "from", "to", ...})."""
        return self.command("transfer", "--token", token, "--from", sender, "--to", to,
                            "--amount", amount)

    def mine(self, blocks=1):
        return self.command("mine", "--blocks", blocks)["head"]

    def head(self):
        return self.command("head")["head"]

    def snapshot(self):
        return self.command("snapshot")["snapshot_id"]

    def revert(self, snapshot_id):
        out = self.command("revert", "--id", snapshot_id)
        if out.get("reverted") is not True:
            raise DevnetError(f"revert to {snapshot_id} failed: {out}")
        return out


class FaultProxy:
    """devnet/fault_proxy.py in front of an upstream RPC URL, on a free port."""

    def __init__(self, upstream, fault_rate=0.0, faults="500,429,timeout,garbage,range",
                 seed=7, hang_seconds=3.0):
        self.args = ["--upstream", upstream, "--port", "0", "--fault-rate", str(fault_rate),
                     "--faults", faults, "--seed", str(seed), "--hang-seconds", str(hang_seconds)]
        self.proc = None
        self.url = None

    def start(self, timeout=10.0):
        self.proc = subprocess.Popen(["/usr/bin/python3", FAULT_PROXY] + self.args,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        try:
            self.url = json.loads(line)["listening"]
        except (ValueError, KeyError):
            self.stop()
            raise AssertionError(f"fault_proxy.py did not print its address: {line!r}")
        return self

    def stats(self):
        return harness.requests.get(self.url + "/stats", timeout=5).json()

    def configure(self, **cfg):
        r = harness.requests.post(self.url + "/config", data=json.dumps(cfg), timeout=5)
        r.raise_for_status()
        return r.json()

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            if self.proc.stdout:
                self.proc.stdout.close()
        self.proc = None


# ----- daemon config -----------------------------------------------------------------------

def network_id(prefix, decimals):
    """A network id unique to this run, e.g. "chain_k3x9a0qz_t6" (lowercase, digits, _)."""
    return f"{prefix}_{harness.RUN_ID}_t{decimals}"


def network_entry(devnet, prefix, decimals=6, rpc=None, **overrides):
    """One `networks:` item for TestUSDT{decimals} paid to the devnet's master address."""
    entry = {
        "id": network_id(prefix, decimals),
        "kind": "evm",
        "enabled": True,
        "rpc": list(rpc) if rpc is not None else [devnet.rpc],
        "token": devnet.token(decimals),
        "decimals": TOKEN_DECIMALS[decimals],
        "address": devnet.master,
        "confirmations": 2,
        "poll_interval_ms": 100,
        "start": 0,
        "chain_id": devnet.chain_id,  # so every chain test also passes the chain id check
    }
    entry.update(overrides)
    return entry


def networks_config(devnet, prefix, tokens=(6, 18), **overrides):
    """`networks:` items for each token in `tokens` (confirmations 2, poll 100 ms, start 0)."""
    return [network_entry(devnet, prefix, d, **overrides) for d in tokens]


class ChainDaemon(harness.Daemon):
    """A harness.Daemon whose config also has a `networks:` list."""

    def __init__(self, networks, **overrides):
        super().__init__(**overrides)
        self.networks = list(networks)

    def write_config(self):
        text = "".join(harness._yaml_section(name, values) for name, values in self.sections.items())
        # JSON is YAML flow syntax.
        text += "networks: " + json.dumps(self.networks) + "\n"
        with open(self.config_path, "w") as f:
            f.write(text)
        return text

    def sigkill(self):
        """kill -9, no clean-up in the daemon; the next start() gets a fresh port."""
        self.kill()

    # ----- deposits ------------------------------------------------------------------------

    def deposits(self, network=None, unmatched=False):
        """`admin deposits list` (JSON), oldest first, only `network`'s rows when given."""
        args = ["deposits", "list", "--limit", "1000000"]
        if unmatched:
            args.append("--unmatched")
        rows = self.admin(*args)
        if network is not None:
            rows = [r for r in rows if r["network"] == network]
        return sorted(rows, key=lambda r: r["id"])


class ChainTestCase(harness.DaemonTestCase):
    """One devnet and one ChainDaemon per test class.

    NETWORK_PREFIX names the class's networks; TOKENS the tokens it configures; CONFIG the other
    config sections (as in DaemonTestCase); NETWORK_OVERRIDES extra keys for every network."""

    NETWORK_PREFIX = "e2e"
    TOKENS = (6, 18)
    NETWORK_OVERRIDES = {}

    @classmethod
    def make_networks(cls, devnet):
        return networks_config(devnet, cls.NETWORK_PREFIX, cls.TOKENS, **cls.NETWORK_OVERRIDES)

    @classmethod
    def setUpClass(cls):
        harness.require_environment()
        install_devnet()
        cls.devnet = Devnet()
        try:
            cls.devnet.start()
            cls.networks = cls.make_networks(cls.devnet)
            cls.daemon = ChainDaemon(cls.networks, **{k: dict(v) for k, v in cls.CONFIG.items()})
            try:
                cls.daemon.start()
            except BaseException:
                cls.daemon.cleanup()
                raise
        except BaseException:
            cls.devnet.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.devnet.cleanup()

    # ----- helpers -------------------------------------------------------------------------

    @classmethod
    def net(cls, decimals=6):
        return network_id(cls.NETWORK_PREFIX, decimals)

    def new_key(self, name, **kw):
        return self.daemon.create_key(harness.label(self.MODULE, name), **kw)

    def intent(self, key, amount, network=None):
        """POST /balance/topup (asserting 200); the answer with Decimal numbers. `amount` is
        written as the JSON number text of str(amount), so 25.5 or Decimal("20.5") stay exact."""
        body = '{"amount_usdt": %s, "network": %s}' % (amount, json.dumps(network or self.net()))
        r = self.daemon.post("/balance/topup", key=key, data=body,
                             headers={"Content-Type": "application/json"})
        self.assertJson(r)
        return exact(r)

    def topup(self, key, topup_id):
        """GET /balance/topup/{id} (asserting 200) with Decimal numbers."""
        r = self.daemon.get(f"/balance/topup/{topup_id}", key=key)
        self.assertJson(r)
        return exact(r)

    def exact_balance(self, key):
        r = self.daemon.get("/balance", key=key)
        self.assertJson(r)
        return exact(r)

    def assertBalance(self, key, amount):
        """balance_usdt and total_topup_usdt are exactly `amount`, nothing spent."""
        body = self.exact_balance(key)
        want = Decimal(str(amount))
        self.assertEqual((body["balance_usdt"], body["total_topup_usdt"]), (want, want), body)
        self.assertEqual(body["total_spent_usdt"], 0, body)
        return body

    def settle(self):
        """Mines 2 blocks: every transfer so far is final (confirmations: 2)."""
        return self.devnet.mine(2)

    def wait_status(self, key, topup_id, status, timeout=CREDIT_TIMEOUT):
        """Polls GET /balance/topup/{id} until its status is `status`; returns that answer."""
        def check():
            t = self.topup(key, topup_id)
            return t if t["status"] == status else None
        return wait_until(check, timeout, what=f"top-up {topup_id} is {status}")

    def rows_of(self, tx_hash, network=None):
        """The `admin deposits list` rows of tx_hash on `network` (default: net(6))."""
        return [r for r in self.daemon.deposits(network or self.net()) if r["tx_id"] == tx_hash]

    def wait_deposit(self, tx_hash, network=None, timeout=CREDIT_TIMEOUT):
        """The deposits-list row of tx_hash once the watcher has recorded it."""
        def row():
            rows = self.rows_of(tx_hash, network)
            return rows[0] if rows else None
        return wait_until(row, timeout, interval=0.2, what=f"deposit {tx_hash} is recorded")

    def audit_items(self, action):
        """The last audit entries (GET /api/admin/api-audit) with `action`, details parsed."""
        r = self.daemon.audit()
        self.assertEqual(r.status_code, 200, r.text)
        items = [i for i in r.json()["items"] if i["action"] == action]
        for i in items:
            if isinstance(i.get("details"), str):
                i["details"] = json.loads(i["details"])
        return items
