"""Every npm package the project locks runs on Debian 12's own Node.js (18).

A bare Debian 12 has no other Node than its nodejs package, and scripts/ensure-node.sh installs
just that; the machines we develop on come with a newer Node, which once hid a playwright-core
that refuses Node 18. So each package in each package-lock.json must accept Node 18 in its
`engines` field. Ranges use the npm semver syntax; one this test cannot read is a failure, not
a pass.
"""

import json
import os
import re
import unittest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
LOCK_FILES = ["devnet/package-lock.json", "tests/browser/package-lock.json",
              "tests/signatures/package-lock.json"]

# Debian 12's nodejs: 18.19.0 since point release 12.5, 18.20.4 now; the older is the floor.
DEBIAN_NODE = (18, 19, 0)


def parse_version(text):
    """'18', '18.2', '18.2.1', '18.x' -> a tuple, with None for the missing or wild parts."""
    parts = text.lstrip("v=").split(".")
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"not a version: {text!r}")
    out = []
    for part in parts:
        if part in ("x", "X", "*"):
            out.append(None)
        elif part.isdigit():
            out.append(int(part))
        else:
            raise ValueError(f"not a version: {text!r}")
    while len(out) < 3:
        out.append(None)
    return tuple(out)


def floor(version):
    return tuple(0 if p is None else p for p in version)


def satisfies_comparator(node, comparator):
    match = re.fullmatch(r"(>=|<=|>|<|=|\^|~)?(.+)", comparator)
    op, version = match.group(1) or "=", parse_version(match.group(2))
    low = floor(version)
    known = [p for p in version if p is not None]
    if op == ">=":
        return node >= low
    if op == ">":
        # >18 means >18.x.x when the minor is missing.
        return node > low if len(known) == 3 else node[: len(known)] > tuple(known)
    if op == "<":
        return node < low
    if op == "<=":
        return node <= low if len(known) == 3 else node[: len(known)] <= tuple(known)
    if op == "^":
        first = next((i for i, p in enumerate(low) if p != 0), 2)
        return node >= low and node[: first + 1] == low[: first + 1]
    if op == "~":
        keep = 2 if len(known) >= 2 else 1
        return node >= low and node[:keep] == low[:keep]
    # "=" or a bare version: x-ranges match any value in the wild parts.
    return all(p is None or p == n for p, n in zip(version, node))


def satisfies(node, spec):
    for alternative in spec.split("||"):
        alternative = alternative.strip()
        if alternative in ("", "*"):
            return True
        hyphen = re.fullmatch(r"(\S+)\s+-\s+(\S+)", alternative)
        if hyphen:
            comparators = [">=" + hyphen.group(1), "<=" + hyphen.group(2)]
        else:
            # ">= 12" is written with a space by some packages.
            comparators = re.sub(r"(>=|<=|>|<|=|\^|~)\s+", r"\1", alternative).split()
        if all(satisfies_comparator(node, c) for c in comparators):
            return True
    return False


class RangeReaderTest(unittest.TestCase):
    """The reader itself, so that a wrong reading cannot hide a package that refuses Node 18."""

    def test_ranges(self):
        node = (18, 19, 0)
        for spec in (">=18", ">= 12", ">=6.14.2", "^18.0.0", "~18.19", "18.x", "18", ">=16 <19",
                     "^14.17.0 || >=16", "16 - 18", "*", ">17"):
            self.assertTrue(satisfies(node, spec), spec)
        for spec in (">=20", ">= 20.0.0", "^20", "~18.20", "20.x", ">=18.20.4", "<18", ">18",
                     "^16 || >=20", "19 - 22", "<=18.18"):
            self.assertFalse(satisfies(node, spec), spec)

    def test_unreadable_range_is_an_error(self):
        with self.assertRaises(ValueError):
            satisfies((18, 19, 0), ">=eighteen")


class LockedPackagesRunOnDebianNode(unittest.TestCase):
    def test_every_locked_package_accepts_debian_node(self):
        refused = []
        for lock in LOCK_FILES:
            with open(os.path.join(REPO_ROOT, lock)) as f:
                packages = json.load(f)["packages"]
            self.assertTrue(packages, lock)
            for name, meta in packages.items():
                spec = (meta.get("engines") or {}).get("node") if isinstance(meta.get("engines"), dict) else None
                if spec and not satisfies(DEBIAN_NODE, spec):
                    refused.append(f"{lock}: {name or '(root)'} {meta.get('version', '')} wants node {spec}")
        self.assertEqual(refused, [], "packages that refuse Debian 12's Node %s:\n%s" % (
            ".".join(map(str, DEBIAN_NODE)), "\n".join(refused)))

    def test_the_installer_accepts_what_the_locks_need(self):
        with open(os.path.join(REPO_ROOT, "scripts", "ensure-node.sh")) as f:
            oldest = int(re.search(r"^oldest_major=(\d+)$", f.read(), re.M).group(1))
        self.assertEqual(oldest, DEBIAN_NODE[0])


if __name__ == "__main__":
    unittest.main()
