#!/usr/bin/env python3
"""Who listens on a TCP port of this machine, so a script can say "port 8080 is taken by the
quick start of /srv/other-clone" instead of a bare "address already in use".

  scripts/port-owner.py PORT         print who listens on PORT and exit 0; exit 1 if nobody does
  scripts/port-owner.py --free PORT  print PORT if nobody listens on it, else the next free port
  scripts/port-owner.py --pid PORT   print the pid of the process listening on PORT (exit 1: none known)

Reads /proc (Linux only). Another user's processes can only be named when run as root.
"""

import os
import pwd
import shlex
import socket
import stat
import sys

LISTEN = "0A"


def listening_inodes(port):
    """Socket inodes listening on `port` (any local address, IPv4 or IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def bindable(port):
    # /proc misses nothing in our own network namespace, but a bind also catches the ports that
    # the kernel holds for other reasons. SO_REUSEADDR as servers set it: connections of a server
    # that just stopped, still in TIME_WAIT, do not keep the next one from listening.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def process_holding(inodes):
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in wanted:
                    return int(pid)
        except OSError:
            continue  # gone, or another user's process
    return None


# Where scripts/pg.sh keeps root's clusters; an `owner` file is believed only there.
CLUSTERS = "/var/lib/instamarketd-dev"


def read(path, limit=1 << 16):
    """At most `limit` bytes of a file, never through a symlink (the path may be a stranger's)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return b""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        return os.read(fd, limit)
    except OSError:
        return b""
    finally:
        os.close(fd)


def printable(text):
    return "".join(c if c.isprintable() else "?" for c in text)


def describe(pid):
    argv = [a.decode(errors="replace") for a in read(f"/proc/{pid}/cmdline").split(b"\0") if a]
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        cwd = "?"
    try:
        user = pwd.getpwuid(os.stat(f"/proc/{pid}").st_uid).pw_name
    except (OSError, KeyError):
        user = "?"
    who = f"pid {pid}, user {user}"
    if "-D" in argv[:-1] and os.path.basename(argv[0]) in ("postgres", "postmaster"):
        data = os.path.normpath(os.path.join(cwd, argv[argv.index("-D") + 1]))
        cluster = os.path.dirname(data)
        owner = ""
        if os.path.dirname(cluster) == CLUSTERS:
            # scripts/pg.sh writes the state directory a cluster belongs to next to its data.
            owner = read(os.path.join(cluster, "owner"), 4096).decode(errors="replace").strip()
        elif os.path.basename(cluster) == "pg":
            owner = os.path.dirname(cluster)
        if owner:
            return printable(f"the PostgreSQL cluster of {owner} ({who}; "
                             f"scripts/pg.sh destroy {shlex.quote(owner)} deletes it)")
        return printable(f"PostgreSQL with data in {data} ({who})")
    return printable(f"{' '.join(argv) or '?'} (in {cwd}, {who})")


def owner_of(port):
    inodes = listening_inodes(port)
    if not inodes:
        return None if bindable(port) else "an unknown process (the port cannot be bound)"
    pid = process_holding(inodes)
    if pid is None:
        return "a process of another user (run as root to name it)"
    return describe(pid)


def port_arg(text):
    if not (text.isdigit() and 0 < int(text) < 65536):
        print(f"port-owner.py: not a port: {text!r}", file=sys.stderr)
        sys.exit(2)
    return int(text)


def main(argv):
    if len(argv) == 2 and argv[1].isdigit():
        owner = owner_of(port_arg(argv[1]))
        if owner is None:
            return 1
        print(owner)
        return 0
    if len(argv) == 3 and argv[1] == "--pid" and argv[2].isdigit():
        inodes = listening_inodes(port_arg(argv[2]))
        pid = process_holding(inodes) if inodes else None
        if pid is None:
            return 1
        print(pid)
        return 0
    if len(argv) == 3 and argv[1] == "--free" and argv[2].isdigit():
        port = port_arg(argv[2])
        while owner_of(port) is not None:
            port += 1
            if port > 65535:
                print("port-owner.py: no free port", file=sys.stderr)
                return 1
        print(port)
        return 0
    print("usage: port-owner.py PORT | --free PORT | --pid PORT", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
