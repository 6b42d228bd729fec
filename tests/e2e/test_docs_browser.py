"""The /api/docs playground in a real browser: headless Chromium (Debian's chromium package)
driven by playwright-core (tests/browser/docs_playground.mjs). It opens the page, pastes a key
and its HMAC secret, calls health, balance and a signed top-up, and checks what the page shows;
the page must load nothing from elsewhere. A screenshot is kept as a test artifact in
var/test-artifacts/docs-playground.png.

tests/browser/install.sh (run here) installs chromium and playwright-core when missing."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from deposit_harness import ChainDaemon  # noqa: E402

BROWSER_DIR = os.path.join(harness.REPO_ROOT, "tests", "browser")
ARTIFACTS = os.path.join(harness.REPO_ROOT, "var", "test-artifacts")


class DocsBrowserTest(harness.DaemonTestCase):
    MODULE = "docs-browser"

    @classmethod
    def setUpClass(cls):
        harness.require_environment()
        install = subprocess.run(["bash", os.path.join(BROWSER_DIR, "install.sh")],
                                 capture_output=True, text=True, timeout=900)
        if install.returncode != 0:
            raise AssertionError(f"tests/browser/install.sh failed:\n{install.stderr}")
        cls.network = f"docs_{harness.RUN_ID}"
        entry = {"id": cls.network, "kind": "tron",
                 "rpc": [f"http://127.0.0.1:{harness.free_port()}"],  # nothing listens
                 "token": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "decimals": 6,
                 "address": "TXJTFuXzfoPbWKCnw47AYxMzgVPUyhJGRd", "poll_interval_ms": 1000}
        cls.daemon = ChainDaemon([entry], log={"level": "warn"})
        try:
            cls.daemon.start()
        except BaseException:
            cls.daemon.cleanup()
            raise

    def test_the_playground_calls_the_api_and_signs_posts(self):
        key = self.daemon.create_key(harness.label(self.MODULE), hmac=True)
        self.daemon.credit(key["key_id"], "3.5")
        os.makedirs(ARTIFACTS, exist_ok=True)
        screenshot = os.path.join(ARTIFACTS, "docs-playground.png")
        run = subprocess.run(
            ["node", os.path.join(BROWSER_DIR, "docs_playground.mjs"), self.daemon.base,
             key["api_key"], key["hmac_secret"], self.network, screenshot],
            capture_output=True, text=True, timeout=120, cwd=BROWSER_DIR)
        self.assertEqual(run.returncode, 0, f"{run.stdout}\n{run.stderr}")
        seen = json.loads(run.stdout.strip().splitlines()[-1])
        self.assertEqual(seen["external_requests"], [])
        # Nothing filtered: a CSP violation, a failed fetch or a script error is a defect.
        self.assertEqual(seen["console_errors"], [])
        self.assertEqual(seen["failed_responses"], [])
        self.assertIn('"balance_usdt": 3.5', seen["balance"]["text"])
        # The intent gets a random free amount above the request (topups.max_surcharge_usdt,
        # 1.00 by default): the answer carries the request and an amount in (12.5, 13.5].
        self.assertIn('"requested_amount_usdt": 12.5', seen["topup"]["text"])
        answer = json.loads(seen["topup"]["text"][seen["topup"]["text"].index("{"):])
        self.assertGreater(answer["amount_usdt"], 12.5)
        self.assertLessEqual(answer["amount_usdt"], 13.5)
        self.assertTrue(os.path.getsize(screenshot) > 10_000)
        # The top-up went through the HMAC check: the server accepted the page's signature.
        r = self.daemon.post("/balance/topup", key=key["api_key"],
                             data=json.dumps({"amount_usdt": 13, "network": self.network}))
        self.assertEqual(r.status_code, 401, "an unsigned POST of this key must be refused")


if __name__ == "__main__":
    harness.main()
