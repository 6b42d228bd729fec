"""Shared helpers for the end-to-end tests: run instamarketd over loopback against a real database.

Environment:
  INSTAMARKET_BINARY             path to instamarketd (default: <repo>/build/app/instamarketd)
  INSTAMARKET_TEST_DATABASE_URL  libpq URL of a database the tests may write to; the tests skip
                                 with a clear message when it is missing
  INSTAMARKET_E2E_REQUIRE        set to 1 (scripts/test.sh does) to make a missing prerequisite
                                 fail instead of skip
  INSTAMARKET_E2E_KEEP           set to 1 to keep the temporary config/log directories

A module exits 0 only when every test ran and passed, 1 when one failed, and SKIP_EXIT (77, the
SKIP_RETURN_CODE in CMakeLists.txt) when one was skipped: ctest then reports it as skipped, not
passed.

Every module uses its own label prefix and random product ids, so modules can share one database
(run one after another or in parallel) and never assume it is empty.

Only the Python standard library and `requests` (Debian's python3-requests) are used.
"""

import hashlib
import hmac
import json
import os
import random
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

import requests

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_BINARY = os.path.join(REPO_ROOT, "build", "app", "instamarketd")
PG_SCRIPT = os.path.join(REPO_ROOT, "scripts", "pg.sh")

ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef"
# One master key for every test daemon: they share a database, and any of them may deliver a
# webhook of a key another minted, so all must open the same sealed secrets.
TEST_MASTER_KEY = "4d2f0a8c61b37e95d0c4a1f6e8b2d73c5a9e0f1b2c3d4e5f60718293a4b5c6d7"
API = "/api/v1"
PROBLEM_CONTENT_TYPE = "application/problem+json"

# One id per test run: labels, SKUs and category names carry it, so rows of earlier runs (or of
# other modules running at the same time) never match this run's filters.
RUN_ID = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(8))

# The first line of a report by AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

# Environment variables that would override the config file we write; the daemon and the admin
# CLI must see exactly the config of the test.
_OVERRIDE_ENV = ("INSTAMARKET_DATABASE_URL", "INSTAMARKET_ADMIN_TOKEN")


def binary_path():
    return os.environ.get("INSTAMARKET_BINARY") or DEFAULT_BINARY


def database_url():
    return os.environ.get("INSTAMARKET_TEST_DATABASE_URL", "")


# The exit status of a module with a skipped test (ctest's SKIP_RETURN_CODE, see CMakeLists.txt).
SKIP_EXIT = 77


def prerequisites_required():
    return os.environ.get("INSTAMARKET_E2E_REQUIRE") == "1"


def missing_prerequisite(reason):
    """Skips (SkipTest) because something the test needs is not here; with
    INSTAMARKET_E2E_REQUIRE=1 (CI) fails instead: there a missing prerequisite is a broken set-up,
    and a suite that skips it proves nothing."""
    if prerequisites_required():
        raise AssertionError(f"{reason} (INSTAMARKET_E2E_REQUIRE=1: a missing prerequisite fails)")
    raise unittest.SkipTest(reason)


def require_environment():
    """Skips, or fails under INSTAMARKET_E2E_REQUIRE=1, when the suite cannot run here."""
    if not database_url():
        missing_prerequisite(
            "INSTAMARKET_TEST_DATABASE_URL is not set; start a database with "
            "`scripts/pg.sh start var/e2e 54333` and export the URL it prints")
    path = binary_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        # A missing binary is a build problem, not a reason to skip: fail loudly.
        raise AssertionError(f"instamarketd binary not found or not executable: {path} "
                             "(set INSTAMARKET_BINARY)")


def psql_target(url):
    """(url without its password, environment with PGPASSWORD): a command line is visible to
    every local user, the environment only to the same user."""
    parts = urllib.parse.urlsplit(url)
    env = dict(os.environ)
    if parts.password is None:
        return url, env
    env["PGPASSWORD"] = urllib.parse.unquote(parts.password)
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    bare = urllib.parse.urlunsplit(parts._replace(netloc=f"{user}@{netloc}" if user else netloc))
    return bare, env


def write_key_file(path, key_hex):
    """A master key file as the daemon accepts it: readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key_hex + "\n")


def free_port():
    """A loopback port that was free a moment ago (bind port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique_ids(count, low=100_000_000, high=2_000_000_000):
    """`count` consecutive product ids starting at a random base in a big range."""
    base = random.randrange(low, high - count - 1)
    return list(range(base, base + count))


def label(module, name=""):
    """A key label unique to this run and module, e.g. "e2e-auth-k3x9a0qz-revoke"."""
    return f"e2e-{module}-{RUN_ID}" + (f"-{name}" if name else "")


def sign(secret, ts, body):
    """The spec's X-Signature: hex(HMAC-SHA256(secret, f"{ts}\\n{body}")). body: str or bytes."""
    if isinstance(body, str):
        body = body.encode()
    if isinstance(secret, str):
        secret = secret.encode()
    msg = str(ts).encode() + b"\n" + body
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()


def _yaml_scalar(value):
    # JSON is valid YAML flow syntax, so json.dumps quotes strings and writes lists safely.
    return json.dumps(value)


def _yaml_section(name, values):
    items = ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in values.items())
    return f"{name}: {{{items}}}\n"


class AdminError(AssertionError):
    pass


class Daemon:
    """One instamarketd process with its own temporary config, on a free loopback port.

    Overrides go by section: Daemon(api={"rate_limit_per_minute": 60}, log={"level": "info"}).
    """

    def __init__(self, **overrides):
        self.binary = binary_path()
        self.db_url = database_url()
        self.port = None
        self.proc = None
        self.tmpdir = tempfile.mkdtemp(prefix="instamarket-e2e-")
        self.config_path = os.path.join(self.tmpdir, "instamarketd.yaml")
        self.log_path = os.path.join(self.tmpdir, "daemon.log")
        self._log_file = None
        self.master_key_path = os.path.join(self.tmpdir, "master.key")
        write_key_file(self.master_key_path, TEST_MASTER_KEY)
        self.sections = {
            "database": {"url": self.db_url, "pool_size": 4},
            "api": {
                "listen": None,  # filled in by start()
                "rate_limit_per_minute": 100000,
                "max_body_bytes": 65536,
                "trusted_proxies": [],
                "key_cache_ttl_ms": 200,
            },
            "admin": {"token": ADMIN_TOKEN},
            "log": {"level": "warn"},
            "secrets": {"master_key_file": self.master_key_path},
        }
        for section, values in overrides.items():
            self.sections.setdefault(section, {}).update(values)

    # ----- configuration -------------------------------------------------------------------

    @property
    def key_cache_ttl(self):
        return self.sections["api"]["key_cache_ttl_ms"] / 1000.0

    def wait_key_cache(self):
        """Sleeps long enough for a revoke / IP / secret change to reach the API."""
        time.sleep(self.key_cache_ttl + 0.3)

    def write_config(self):
        text = "".join(_yaml_section(name, values) for name, values in self.sections.items())
        with open(self.config_path, "w") as f:
            f.write(text)
        return text

    def env(self):
        env = dict(os.environ)
        for name in _OVERRIDE_ENV:
            env.pop(name, None)
        return env

    # ----- lifecycle -----------------------------------------------------------------------

    def start(self, timeout=20.0, migrate=True):
        """migrate=False: `serve` alone, e.g. while the database is down (it cannot migrate)."""
        # A fresh port on every start, so a restart never waits for the old socket's TIME_WAIT.
        self.port = free_port()
        self.sections["api"]["listen"] = f"127.0.0.1:{self.port}"
        self.write_config()
        if migrate:
            self.run_cli("migrate")
        self._log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--config", self.config_path, "serve"],
            stdin=subprocess.DEVNULL, stdout=self._log_file, stderr=subprocess.STDOUT,
            env=self.env())
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"instamarketd exited with {self.proc.returncode} during start-up:\n"
                    + self.log_tail())
            try:
                requests.get(self.url("/health"), timeout=1.0)
                return self
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(
                    f"instamarketd did not answer GET {API}/health within {timeout} s:\n"
                    + self.log_tail())
            time.sleep(0.05)

    def stop(self, timeout=15.0, check=True):
        """SIGTERM, wait, and return the exit code. With `check` (the default) asserts that the
        code is 0 and that the log holds no sanitizer report: a leak or a use-after-free found
        at exit shows nowhere else."""
        if self.proc is None:
            if check:
                self.check_log()
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"instamarketd did not exit within {timeout} s of SIGTERM:\n" + self.log_tail())
        finally:
            self._close_log()
        self.proc = None
        if check:
            if rc != 0:
                raise AssertionError(
                    f"instamarketd exited with {rc} after SIGTERM (expected 0):\n"
                    + self.log_tail())
            self.check_log()
        return rc

    def stop_and_check(self, timeout=15.0):
        self.stop(timeout, check=True)

    def sanitizer_report(self):
        """The first log line of an ASan, LSan or UBSan report, or None."""
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return None
        for line in text.splitlines():
            if any(marker in line for marker in SANITIZER_MARKERS):
                return line
        return None

    def check_log(self):
        line = self.sanitizer_report()
        if line is not None:
            raise AssertionError(f"sanitizer report in the daemon log: {line}\n"
                                 + self.log_tail(200))

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        self._close_log()

    def _close_log(self):
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def cleanup(self):
        """Kills what still runs and removes the files; fails if the log (of every run of this
        daemon, killed ones included) holds a sanitizer report."""
        self.kill()
        report = self.sanitizer_report()
        failure = None
        if report is not None:
            failure = AssertionError(f"sanitizer report in the daemon log: {report}\n"
                                     + self.log_tail(200))
        if os.environ.get("INSTAMARKET_E2E_KEEP") != "1":
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        if failure is not None:
            raise failure

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return "(no daemon log)"
        return "--- daemon log (last lines) ---\n" + "\n".join(data[-lines:])

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            if exc[0] is None:
                self.stop_and_check()
        finally:
            self.cleanup()

    # ----- HTTP ----------------------------------------------------------------------------

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def url(self, path):
        """url("/health") -> http://127.0.0.1:PORT/api/v1/health; absolute /api/... kept as is."""
        if not path.startswith("/api/"):
            path = API + path
        return self.base + path

    def get(self, path, key=None, headers=None, **kw):
        h = dict(headers or {})
        if key is not None:
            h["X-API-Key"] = key
        kw.setdefault("timeout", 10)
        return requests.get(self.url(path), headers=h, **kw)

    def post(self, path, key=None, data=None, headers=None, **kw):
        h = dict(headers or {})
        if key is not None:
            h["X-API-Key"] = key
        kw.setdefault("timeout", 10)
        return requests.post(self.url(path), data=data, headers=h, **kw)

    def signed_post(self, path, key, secret, body, ts=None, headers=None):
        ts = str(int(time.time())) if ts is None else str(ts)
        h = {"Content-Type": "application/json", "X-Timestamp": ts,
             "X-Signature": sign(secret, ts, body)}
        h.update(headers or {})
        return self.post(path, key=key, data=body.encode() if isinstance(body, str) else body,
                         headers=h)

    def audit(self, token=ADMIN_TOKEN):
        headers = {} if token is None else {"X-Admin-Token": token}
        return requests.get(self.base + "/api/admin/api-audit", headers=headers, timeout=10)

    # ----- admin CLI -----------------------------------------------------------------------

    def run_cli(self, *args, timeout=60):
        """Runs `BIN --config CFG ARGS...`; returns the CompletedProcess (text mode)."""
        if not os.path.exists(self.config_path):
            if self.sections["api"]["listen"] is None:
                self.sections["api"]["listen"] = "127.0.0.1:1"
            self.write_config()
        cmd = [self.binary, "--config", self.config_path] + [str(a) for a in args]
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout, env=self.env())
        if args and args[0] == "migrate" and p.returncode != 0:
            raise AdminError(f"`{' '.join(cmd)}` exited with {p.returncode}\n"
                             f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def admin(self, *args):
        """Runs `BIN --config CFG admin ARGS...`, asserts exit 0, returns stdout parsed as JSON."""
        p = self.run_cli("admin", *args)
        if p.returncode != 0:
            raise AdminError(f"`admin {' '.join(map(str, args))}` exited with {p.returncode}\n"
                             f"stdout: {p.stdout}\nstderr: {p.stderr}")
        try:
            return json.loads(p.stdout)
        except ValueError as e:
            raise AdminError(f"`admin {' '.join(map(str, args))}` printed no single JSON "
                             f"document ({e}):\nstdout: {p.stdout!r}\nstderr: {p.stderr}")

    def admin_fail(self, *args):
        """Runs an admin command expected to fail; returns (exit code, parsed stderr or None, p)."""
        p = self.run_cli("admin", *args)
        err = None
        try:
            err = json.loads(p.stderr.strip().splitlines()[-1]) if p.stderr.strip() else None
        except ValueError:
            err = None
        return p.returncode, err, p

    def create_key(self, label, hmac=False, allow_ips=()):
        args = ["keys", "create", "--label", label]
        if hmac:
            args.append("--hmac")
        for ip in allow_ips:
            args += ["--allow-ip", ip]
        return self.admin(*args)

    def credit(self, key_id, amount, reason="e2e test credit"):
        return self.admin("credit", key_id, amount, "--reason", reason)

    def import_catalog(self, products):
        """products: list of dicts (see catalog_line); returns the CLI's JSON."""
        path = self.write_lines("catalog", [catalog_line(p) for p in products])
        return self.admin("catalog", "import", path)

    def import_stock(self, product_id, items):
        """items: list of dicts (one JSON object per line); returns the CLI's JSON."""
        path = self.write_lines(f"stock-{product_id}", [json.dumps(i) for i in items])
        return self.admin("stock", "import", product_id, path)

    def write_lines(self, name, lines):
        fd, path = tempfile.mkstemp(prefix=name + "-", suffix=".jsonl", dir=self.tmpdir)
        with os.fdopen(fd, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        return path


def catalog_line(p):
    """One line of a catalog import file. `price_usdt` is written as the JSON number text given
    (a string such as "1.25"), so the exact decimal reaches the daemon without float rounding."""
    fields = dict(p)
    price = fields.pop("price_usdt")
    head = json.dumps(fields)[:-1]  # without the closing brace
    return f'{head}, "price_usdt": {price}}}'


def stock_items(prefix, count):
    """`count` distinct account items, e.g. {"login": "pfx-0", "password": "pw-pfx-0"}."""
    return [{"login": f"{prefix}-{i}", "password": f"pw-{prefix}-{i}"} for i in range(count)]


class DaemonTestCase(unittest.TestCase):
    """Starts one daemon per test class (config overrides in CONFIG) and stops it afterwards,
    asserting that SIGTERM makes it exit 0."""

    CONFIG = {}
    MODULE = "e2e"

    @classmethod
    def setUpClass(cls):
        require_environment()
        cls.daemon = Daemon(**{k: dict(v) for k, v in cls.CONFIG.items()})
        try:
            cls.daemon.start()
        except BaseException:
            cls.daemon.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        d = cls.daemon
        try:
            d.stop_and_check()
        finally:
            d.cleanup()

    def setUp(self):
        # A test that crashed the daemon must not make every later test time out.
        if self.daemon.proc is None or self.daemon.proc.poll() is not None:
            self.fail("instamarketd is not running:\n" + self.daemon.log_tail())

    # ----- assertions ----------------------------------------------------------------------

    def assertProblem(self, response, status, field_names=None):
        """Asserts an RFC 7807 problem response with the given status; returns the body."""
        self.assertEqual(response.status_code, status,
                         f"expected {status}, got {response.status_code}: {response.text[:500]}")
        ctype = response.headers.get("Content-Type", "")
        self.assertEqual(ctype.split(";")[0].strip().lower(), PROBLEM_CONTENT_TYPE,
                         f"Content-Type of a {status} response")
        body = response.json()
        self.assertIsInstance(body, dict)
        for name in ("type", "title", "status", "detail"):
            self.assertIn(name, body, f"problem JSON lacks '{name}': {body}")
        self.assertIsInstance(body["type"], str)
        self.assertTrue(urllib.parse.urlparse(body["type"]).scheme,
                        f"problem 'type' is not a URL: {body['type']!r}")
        self.assertIsInstance(body["title"], str)
        self.assertTrue(body["title"])
        self.assertIsInstance(body["detail"], str)
        self.assertIs(type(body["status"]), int)
        self.assertEqual(body["status"], status)
        if status == 422:
            self.assertIn("errors", body)
            self.assertIsInstance(body["errors"], list)
            self.assertGreater(len(body["errors"]), 0)
            for e in body["errors"]:
                self.assertIsInstance(e.get("field"), str, e)
                self.assertIsInstance(e.get("message"), str, e)
            if field_names is not None:
                self.assertEqual(sorted({e["field"] for e in body["errors"]}),
                                 sorted(set(field_names)), body)
        return body

    def assertJson(self, response, status=200):
        self.assertEqual(response.status_code, status,
                         f"expected {status}, got {response.status_code}: {response.text[:500]}")
        ctype = response.headers.get("Content-Type", "")
        self.assertEqual(ctype.split(";")[0].strip().lower(), "application/json",
                         f"Content-Type of a {status} response")
        return response.json()

    def assertHealthy(self, key):
        r = self.daemon.get("/health", key=key)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["status"], "ok")

    def assertAlive(self):
        self.assertIsNone(self.daemon.proc.poll(),
                          "instamarketd died:\n" + self.daemon.log_tail())


def raw_http(port, data, timeout=5.0, read_limit=1 << 20):
    """Sends raw bytes over a fresh TCP connection; returns whatever came back (maybe b"")."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may close early (e.g. a huge header); read what it said
        buf = b""
        try:
            while len(buf) < read_limit:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
                if _complete_response(buf):
                    break
        except (socket.timeout, ConnectionResetError):
            pass
        return buf


def _complete_response(buf):
    """True once buf holds a whole response with a Content-Length body (keep-alive safe)."""
    head, sep, body = buf.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return len(body) >= int(value.strip())
            except ValueError:
                return False
    return False


def status_of(raw_response):
    """The status code of a raw HTTP/1.x response, or None when nothing parsable came back."""
    if not raw_response.startswith(b"HTTP/1."):
        return None
    try:
        return int(raw_response.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def main():
    """Runs the module: exit 0 when every test ran and passed, 1 on a failure or when nothing ran,
    SKIP_EXIT when something was skipped (unittest itself would exit 0)."""
    result = unittest.main(verbosity=2, exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.skipped:
        print(f"{len(result.skipped)} skipped: exiting {SKIP_EXIT} so that ctest reports a skip",
              file=sys.stderr)
        sys.exit(SKIP_EXIT)
    if result.testsRun == 0:
        print("no tests ran", file=sys.stderr)
        sys.exit(1)
    sys.exit(0)
