"""The quick start from where a newcomer's clone really lands: root, in a home of mode 0700, in a
folder whose name has a space. PostgreSQL refuses to run as root, so root's clusters run as the
`postgres` user, who cannot enter such a home; scripts/pg.sh keeps them outside the clone.

Copies this checkout (tracked and new files) to TMP/home (0700)/my clone and runs
`scripts/quickstart.sh --setup-only` there with the binary under test, then checks:
  - it succeeds (cluster, devnet, migrate, demo catalog, demo key) and the home stays 0700;
  - the daemon serves the demo key's balance from that setup;
  - running it again is harmless and keeps the key and ports;
  - a second clone asking for the same ports gets a clear error naming the first clone;
  - deleting var/quickstart really starts from scratch (fresh database, new key).

Needs root (exit 77, a skip for ctest, otherwise): as any other user the cluster runs as that
user inside the clone, which needs no test of its own.
"""

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BINARY = os.environ.get("INSTAMARKET_BINARY") or os.path.join(REPO_ROOT, "build", "app", "instamarketd")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_checkout(dest):
    """The files of this checkout (tracked and not ignored), as a fresh clone would have them."""
    listing = subprocess.run(["git", "-C", REPO_ROOT, "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], capture_output=True, check=True).stdout
    os.makedirs(dest)
    for rel in filter(None, listing.decode().split("\0")):
        src = os.path.join(REPO_ROOT, rel)
        if not os.path.isfile(src):
            continue  # deleted in the work tree
        os.makedirs(os.path.join(dest, os.path.dirname(rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, rel))
    # The devnet's npm packages as installed here: the quick start would fetch the same ones.
    os.symlink(os.path.join(REPO_ROOT, "devnet", "node_modules"), os.path.join(dest, "devnet", "node_modules"))


def read_pid(path):
    with open(path) as f:
        return int(f.read())


def stop_process(pid):
    """SIGTERM, then wait until it is gone (or a zombie nobody has reaped yet)."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except OSError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def psql(url, sql):
    return subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                          capture_output=True, text=True, check=True).stdout.strip()


@unittest.skipUnless(os.geteuid() == 0, "needs root")
class QuickStartInPrivateHome(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(BINARY, os.X_OK):
            raise AssertionError(f"instamarketd binary not found: {BINARY} (set INSTAMARKET_BINARY)")
        subprocess.run(["bash", os.path.join(REPO_ROOT, "devnet", "install.sh")], check=True)
        cls.tmp = tempfile.mkdtemp(prefix="imd-setup-")
        cls.home = os.path.join(cls.tmp, "home")
        os.mkdir(cls.home, 0o700)
        cls.clone = os.path.join(cls.home, "my clone")
        cls.other = os.path.join(cls.home, "other clone")
        copy_checkout(cls.clone)
        copy_checkout(cls.other)
        cls.ports = {name: str(free_port()) for name in
                     ("QUICKSTART_API_PORT", "QUICKSTART_PG_PORT", "QUICKSTART_DEVNET_PORT")}

    @classmethod
    def tearDownClass(cls):
        for clone in (cls.clone, cls.other):
            state = os.path.join(clone, "var", "quickstart")
            pidfile = os.path.join(state, "devnet", "devnet.pid")
            if os.path.exists(pidfile):
                stop_process(read_pid(pidfile))
            subprocess.run(["bash", os.path.join(clone, "scripts", "pg.sh"), "destroy", state],
                           capture_output=True)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def quickstart(self, clone, ports=None):
        env = dict(os.environ, INSTAMARKET_BINARY=BINARY, **(ports or self.ports))
        return subprocess.run(["bash", os.path.join(clone, "scripts", "quickstart.sh"), "--setup-only"],
                              env=env, capture_output=True, text=True, timeout=300, cwd="/")

    def state(self, *parts):
        return os.path.join(self.clone, "var", "quickstart", *parts)

    def demo_key(self):
        with open(self.state("demo-key.json")) as f:
            return json.load(f)["api_key"]

    def database_url(self):
        pg = os.path.join(self.clone, "scripts", "pg.sh")
        return subprocess.run(["bash", pg, "url", self.state(), str(self.ports["QUICKSTART_PG_PORT"])],
                              capture_output=True, text=True, check=True).stdout.strip()

    def serve_and_read_balance(self, key):
        daemon = subprocess.Popen([BINARY, "--config", self.state("instamarketd.yaml"), "serve"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.clone)
        try:
            url = f"http://127.0.0.1:{self.ports['QUICKSTART_API_PORT']}/api/v1/balance"
            request = urllib.request.Request(url, headers={"X-API-Key": key})
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(request, timeout=2) as answer:
                        return answer.status, json.load(answer)
                except OSError:
                    if time.monotonic() > deadline or daemon.poll() is not None:
                        raise
                    time.sleep(0.2)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=30)

    def test_quick_start_from_a_private_home(self):
        # 1. First run: every step up to and including migrate, the catalog and the demo key.
        first = self.quickstart(self.clone)
        self.assertEqual(first.returncode, 0, f"{first.stdout}\n{first.stderr}")
        self.assertIn("Demo API key", first.stdout)
        self.assertEqual(stat.S_IMODE(os.stat(self.home).st_mode), 0o700, "the home was loosened")
        link = self.state("pg")
        self.assertTrue(os.path.islink(link), "root's cluster should live outside the clone")
        cluster = os.readlink(link)
        self.assertTrue(cluster.startswith("/var/lib/postgresql/instamarketd/"), cluster)
        with open(os.path.join(cluster, "owner")) as f:
            self.assertEqual(f.read().strip(), self.state())
        url = self.database_url()
        self.assertGreater(int(psql(url, "SELECT count(*) FROM products")), 0)
        key = self.demo_key()
        self.assertIn(key, first.stdout)
        status, balance = self.serve_and_read_balance(key)
        self.assertEqual(status, 200)
        self.assertIn("balance_usdt", balance)

        # 2. Again: harmless, same key, same cluster, same ports (without naming them this time).
        psql(url, "CREATE TABLE setup_test_marker ()")
        again = self.quickstart(self.clone, ports={})
        self.assertEqual(again.returncode, 0, f"{again.stdout}\n{again.stderr}")
        self.assertEqual(self.demo_key(), key)
        self.assertEqual(os.readlink(link), cluster)
        self.assertEqual(psql(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'setup_test_marker'"), "1")

        # 3. A second clone on the same ports: refused before it builds anything, naming the first.
        clash = self.quickstart(self.other)
        self.assertNotEqual(clash.returncode, 0, clash.stdout)
        self.assertIn("is taken by", clash.stderr)
        self.assertIn(self.clone, clash.stderr)
        self.assertIn("QUICKSTART_DEVNET_PORT=", clash.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.other, "var", "quickstart", "pg")))

        # 4. Deleting the state starts from scratch: a fresh database and a new key.
        # The devnet is left running, as a user would leave it; the next run stops it.
        shutil.rmtree(self.state())
        fresh = self.quickstart(self.clone)
        self.assertEqual(fresh.returncode, 0, f"{fresh.stdout}\n{fresh.stderr}")
        self.assertNotEqual(self.demo_key(), key)
        self.assertIn("stopping the devnet of a deleted", fresh.stderr)
        self.assertEqual(os.readlink(link), cluster)
        self.assertEqual(psql(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'setup_test_marker'"), "0")


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: needs root", file=sys.stderr)
        sys.exit(77)
    unittest.main()
