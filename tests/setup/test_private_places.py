"""The quick start from where a newcomer's clone really lands: root, in a home of mode 0700, in a
folder whose name has a space. PostgreSQL refuses to run as root, so root's clusters run as the
`postgres` user, who cannot enter such a home; scripts/pg.sh keeps them outside the clone.

Copies this checkout (tracked and new files) to TMP/home (0700)/my clone and runs
`scripts/quickstart.sh --setup-only` there with the binary under test, then checks:
  - it succeeds (cluster, devnet, migrate, demo catalog, demo key) and the home stays 0700;
  - the daemon serves the demo key's balance from that setup;
  - running it again is harmless and keeps the key and ports;
  - the cluster and its socket are outside the clone and /tmp, and TCP logins need the password;
  - a second clone asking for any one of the same ports gets a clear error naming the first;
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
import urllib.parse
import urllib.request

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BINARY = os.environ.get("INSTAMARKET_BINARY") or os.path.join(REPO_ROOT, "build", "app", "instamarketd")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_text():
    return str(free_port())


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
    # The password through the environment, as the scripts do: a command line is public.
    parts = urllib.parse.urlsplit(url)
    bare = urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username}@{parts.hostname}:{parts.port}"))
    env = dict(os.environ, PGPASSWORD=parts.password or "")
    return subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", bare, "-c", sql],
                          capture_output=True, text=True, check=True, env=env).stdout.strip()


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

    def quickstart(self, clone, ports=None, serve=False):
        env = dict(os.environ, INSTAMARKET_BINARY=BINARY, **(self.ports if ports is None else ports))
        for name in ("QUICKSTART_API_PORT", "QUICKSTART_PG_PORT", "QUICKSTART_DEVNET_PORT"):
            if ports is not None and name not in ports:
                env.pop(name, None)
        args = [] if serve else ["--setup-only"]
        return subprocess.run(["bash", os.path.join(clone, "scripts", "quickstart.sh"), *args],
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

    def serve(self):
        return subprocess.Popen([BINARY, "--config", self.state("instamarketd.yaml"), "serve"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.clone)

    def read_balance(self, daemon, key):
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

    def assert_refused_naming_first_clone(self, port_name, holder):
        """The other clone, sharing just `port_name` with the first, is refused before any work."""
        ports = {name: (value if name == port_name else str(free_port()))
                 for name, value in self.ports.items()}
        clash = self.quickstart(self.other, ports=ports, serve=port_name == "QUICKSTART_API_PORT")
        self.assertNotEqual(clash.returncode, 0, clash.stdout)
        self.assertIn(f"port {self.ports[port_name]}", clash.stderr)
        self.assertIn(f"is taken by {holder}", clash.stderr)
        self.assertIn(self.clone, clash.stderr)
        self.assertIn(f"{port_name}=", clash.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.other, "var", "quickstart", "pg")),
                         "the refused clone made a cluster")

    def test_quick_start_from_a_private_home(self):
        # 1. First run: every step up to and including migrate, the catalog and the demo key.
        first = self.quickstart(self.clone)
        self.assertEqual(first.returncode, 0, f"{first.stdout}\n{first.stderr}")
        self.assertIn("Demo API key", first.stdout)
        self.assertEqual(stat.S_IMODE(os.stat(self.home).st_mode), 0o700, "the home was loosened")
        link = self.state("pg")
        self.assertTrue(os.path.islink(link), "root's cluster should live outside the clone")
        cluster = os.readlink(link)
        self.assertTrue(cluster.startswith("/var/lib/instamarketd-dev/"), cluster)
        self.assertEqual(os.stat(os.path.dirname(cluster)).st_uid, 0, "the clusters' parent is root's")
        with open(os.path.join(cluster, "owner")) as f:
            self.assertEqual(f.read().strip(), self.state())
        with open(os.path.join(cluster, "data", "postmaster.pid")) as f:
            socket_dir = f.read().splitlines()[4]
        self.assertEqual(socket_dir, os.path.join(cluster, "run"), "the socket must stay out of /tmp")
        url = self.database_url()
        self.assertGreater(int(psql(url, "SELECT count(*) FROM products")), 0)
        no_password = url.replace(url[url.index("instamarket:"):url.index("@")], "instamarket")
        refused = subprocess.run(["psql", "-X", "-w", no_password, "-c", "SELECT 1"],  # no PGPASSWORD
                                 capture_output=True, text=True, env=dict(os.environ, PGPASSWORD=""))
        self.assertNotEqual(refused.returncode, 0, "TCP logins without the password must fail")
        key = self.demo_key()
        self.assertIn(key, first.stdout)
        daemon = self.serve()
        try:
            status, balance = self.read_balance(daemon, key)
            self.assertEqual(status, 200)
            self.assertIn("balance_usdt", balance)
            # A second clone wanting the API port while this one serves is refused, naming it.
            self.assert_refused_naming_first_clone("QUICKSTART_API_PORT", "")
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=30)

        # 2. Again: harmless, same key, same cluster, same ports (without naming them this time).
        psql(url, "CREATE TABLE setup_test_marker ()")
        again = self.quickstart(self.clone, ports={})  # from var/quickstart/ports
        self.assertEqual(again.returncode, 0, f"{again.stdout}\n{again.stderr}")
        self.assertEqual(self.demo_key(), key)
        self.assertEqual(os.readlink(link), cluster)
        self.assertEqual(psql(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'setup_test_marker'"), "1")

        # 3. A second clone on one of the same ports: refused before it builds anything, naming
        #    the first clone's cluster or devnet.
        self.assert_refused_naming_first_clone("QUICKSTART_PG_PORT", "the PostgreSQL cluster of ")
        self.assert_refused_naming_first_clone("QUICKSTART_DEVNET_PORT", "")

        # 4. Deleting the state starts from scratch: a fresh database and a new key.
        # The devnet is left running, as a user would leave it; the next run stops it.
        shutil.rmtree(self.state())
        fresh = self.quickstart(self.clone)
        self.assertEqual(fresh.returncode, 0, f"{fresh.stdout}\n{fresh.stderr}")
        self.assertNotEqual(self.demo_key(), key)
        self.assertIn("stopping the devnet of a deleted", fresh.stderr)
        self.assertEqual(os.readlink(link), cluster)
        fresh_url = self.database_url()
        self.assertNotEqual(fresh_url, url, "a fresh cluster gets a fresh password")
        self.assertEqual(psql(fresh_url, "SELECT count(*) FROM pg_tables WHERE tablename = 'setup_test_marker'"), "0")

        # 5. A clone deleted without `pg.sh destroy` leaves a stopped cluster; a start of any
        #    cluster as root deletes it once it has been unused for a week, so they do not pile up.
        pg = os.path.join(self.clone, "scripts", "pg.sh")
        gone = os.path.join(self.tmp, "deleted clone", "var", "test")
        subprocess.run(["bash", pg, "start", gone, free_port_text()], check=True, capture_output=True)
        orphan = os.readlink(os.path.join(gone, "pg"))
        subprocess.run(["bash", pg, "stop", gone], check=True, capture_output=True)
        shutil.rmtree(os.path.join(self.tmp, "deleted clone"))
        start_first = ["bash", pg, "start", self.state(), self.ports["QUICKSTART_PG_PORT"]]
        subprocess.run(start_first, check=True, capture_output=True)
        self.assertTrue(os.path.isdir(orphan), "a cluster used today must be kept")
        week_ago = time.time() - 8 * 86400
        os.utime(os.path.join(orphan, "log"), (week_ago, week_ago))
        subprocess.run(start_first, check=True, capture_output=True)
        self.assertFalse(os.path.exists(orphan), "the orphaned cluster was kept")


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: needs root", file=sys.stderr)
        sys.exit(77)
    unittest.main()
