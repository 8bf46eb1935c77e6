#!/usr/bin/env python3
"""imapd's memory under load and after it: where it goes, and whether it
comes back. Run by hand (as root, like tests/integration), never by ctest:

    PARLEY_BIN=build/hDr/bin tests/bench/imap/memory.py [--clients 20] [--secs 60]
        [--messages 300] [--big 10] [--settle 20] [--imapd 'message_cache_mib = 16'] [--keep]

Use an optimised build without sanitizers (AddressSanitizer's allocator
hides glibc's). It starts a parleyd with the mail processes
(tests/integration/test_mail.MailServer, in a temporary directory), fills
the INBOX of each of its three accounts with --messages varied messages
(tests/bench/imap/mbox.py) plus --big messages of 0.2 to 1.5 MiB with a
base64 attachment, all APPENDed over IMAP; then --clients threads run
short sessions over implicit TLS for --secs seconds, each: LOGIN to one of
the accounts, SELECT INBOX, 3 to 10 commands drawn from FETCH (whole
bodies, BODYSTRUCTURE and ENVELOPE, a text part), UID SEARCH TEXT (every
message of the mailbox read and parsed), SORT, STORE, APPEND followed by an
EXPUNGE of another message, and LOGOUT. Then nothing for --settle seconds
(imapd drops cached messages unused for 5 minutes: --settle 330 shows it).

Every second it reads imapd's /proc/PID/smaps_rollup: Rss, Anonymous
(heap, stacks: what the process itself holds) and file-backed Rss (Rss
minus Anonymous: mostly the store's LMDB map, pages the kernel may drop
when memory is short). It prints the figures at the start of the load, their peak,
at the end of the load and after the pause, and imapd's status line from
`parleyctl --json status` (its sessions and message cache, when the
imapd gives one). One JSON line with the same figures ends the output.

Python 3 standard library only.
"""

import argparse
import base64
import imaplib
import json
import os
import random
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "../../integration"))
import mbox  # noqa: E402
from test_mail import MailServer, tls_context  # noqa: E402

ACCOUNTS = ("postmaster@example.test", "demo@example.test", "demo2@example.test")
WORDS = ("imap", "server", "mailbox", "folder", "envelope", "quota", "literal", "expunge", "nothing-matches")


def rollup(pid):
    """{field: KiB} of /proc/PID/smaps_rollup."""
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1])
    return out


def figures(pid):
    r = rollup(pid)
    return {"rss": r.get("Rss", 0) / 1024, "anon": r.get("Anonymous", 0) / 1024,
            "file": (r.get("Rss", 0) - r.get("Anonymous", 0)) / 1024}


def big_message(rng, i):
    size = int(rng.uniform(0.2, 1.5) * (1 << 20))
    blob = base64.encodebytes(rng.randbytes(size * 3 // 4)).decode().replace("\n", "\r\n")
    return (f"From: Big Sender <big@example.org>\r\nTo: demo@example.test\r\nSubject: big {i}\r\n"
            f"Message-ID: <big.{i}.{rng.getrandbits(32):08x}@example.org>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n\r\nAn attachment follows.\r\n--b{i}\r\n"
            f"Content-Type: application/octet-stream; name=\"big{i}.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            f"{blob}--b{i}--\r\n").encode()


def connect(p, account):
    m = imaplib.IMAP4_SSL("127.0.0.1", p.imaps_port, ssl_context=tls_context(), timeout=60)
    m.login(account, p.password(account))
    return m


def fill(p, corpus):
    for account in ACCOUNTS:
        m = connect(p, account)
        for msg in corpus:
            typ, data = m.append("INBOX", None, None, msg)
            assert typ == "OK", data
        m.logout()


class Load:
    def __init__(self, p, corpus, seed):
        self.p, self.corpus = p, corpus
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counts = {"sessions": 0, "commands": 0, "errors": 0}
        self.errors = []
        self.seed = seed

    def count(self, key, n=1):
        with self.lock:
            self.counts[key] += n

    @staticmethod
    def track(m, exists):
        """The message count after a command: the last EXISTS if one came
        (it follows the EXPUNGEs), else the old count less the EXPUNGEs."""
        expunged = m.untagged_responses.pop("EXPUNGE", [])
        counts = m.untagged_responses.pop("EXISTS", [])
        return int(counts[-1]) if counts else exists - len(expunged)

    def session(self, rng):
        m = connect(self.p, rng.choice(ACCOUNTS))
        exists = int(m.select("INBOX")[1][-1])
        commands = 2
        for _ in range(rng.randint(3, 10)):
            if self.stop.is_set():
                break
            what = rng.random()
            n = rng.randint(1, max(1, exists))
            if what < 0.30:
                last = min(exists, n + rng.randint(0, 9))
                m.fetch(f"{n}:{last}", rng.choice(["(BODY.PEEK[])", "(BODYSTRUCTURE ENVELOPE)", "(BODY.PEEK[1])",
                                                   "(FLAGS RFC822.SIZE)"]))
            elif what < 0.45:
                m.uid("SEARCH", "TEXT", rng.choice(WORDS))
            elif what < 0.55:
                m.sort(rng.choice(["(SUBJECT)", "(FROM)", "(DATE)"]), "UTF-8", "ALL")
            elif what < 0.80:
                m.store(str(n), rng.choice(["+FLAGS", "-FLAGS"]), rng.choice(["(\\Seen)", "(\\Flagged)", "($Work)"]))
            else:
                m.append("INBOX", None, None, rng.choice(self.corpus))
                m.store(str(n), "+FLAGS", "(\\Deleted)")
                exists = self.track(m, exists)
                # imaplib takes the EXPUNGE responses of its own EXPUNGE.
                exists -= len([x for x in m.expunge()[1] if x])
                commands += 2
            exists = self.track(m, exists)
            commands += 1
        m.logout()
        self.count("sessions")
        self.count("commands", commands + 1)

    def client(self, i):
        rng = random.Random(self.seed * 1000 + i)
        while not self.stop.is_set():
            try:
                self.session(rng)
            except Exception as e:  # noqa: BLE001 (counted and shown)
                self.count("errors")
                with self.lock:
                    if len(self.errors) < 5:
                        self.errors.append(repr(e)[:200])


def imapd_status(p):
    try:
        return p.status()["imapd"].get("status", "")
    except Exception as e:  # noqa: BLE001
        return f"(status failed: {e})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--secs", type=int, default=60)
    ap.add_argument("--messages", type=int, default=300, help="varied messages per account (mbox.py)")
    ap.add_argument("--big", type=int, default=10, help="big messages (0.2 to 1.5 MiB) per account")
    ap.add_argument("--settle", type=int, default=20, help="seconds without load before the last figure")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--imapd", default="", help="extra lines for the [imapd] section")
    ap.add_argument("--keep", action="store_true", help="keep the server's directory")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    corpus = [msg for _, msg in mbox.messages(args.messages, args.seed)] + [big_message(rng, i) for i in range(args.big)]
    p = MailServer(imapd="max_connections_per_ip = 1000\n" + args.imapd.replace("\\n", "\n"))
    p.start()
    try:
        pid = p.pid("imapd")
        start = figures(pid)
        t0 = time.monotonic()
        fill(p, corpus)
        print(f"filled {len(ACCOUNTS)} x {len(corpus)} messages "
              f"({sum(map(len, corpus)) * len(ACCOUNTS) / 2**20:.1f} MiB) in {time.monotonic() - t0:.1f} s", flush=True)
        time.sleep(6)  # one status period
        before = figures(pid)
        load = Load(p, corpus, args.seed)
        threads = [threading.Thread(target=load.client, args=(i,), daemon=True) for i in range(args.clients)]
        for t in threads:
            t.start()
        peak = dict(before)
        busy_status = ""
        t0 = time.monotonic()
        while time.monotonic() - t0 < args.secs:
            time.sleep(1)
            f = figures(pid)
            peak = {k: max(peak[k], f[k]) for k in peak}
            if int(time.monotonic() - t0) % 10 == 0:
                print(f"  {time.monotonic() - t0:4.0f} s: rss {f['rss']:.1f} MiB (anon {f['anon']:.1f}, "
                      f"file {f['file']:.1f}); {load.counts}", flush=True)
                busy_status = imapd_status(p)
        load.stop.set()
        for t in threads:
            t.join(timeout=120)
        end = figures(pid)
        t0 = time.monotonic()
        while time.monotonic() - t0 < args.settle:
            time.sleep(max(0.1, min(30, args.settle - (time.monotonic() - t0))))
            f = figures(pid)
            print(f"  idle {time.monotonic() - t0:4.0f} s: rss {f['rss']:.1f} MiB (anon {f['anon']:.1f}, "
                  f"file {f['file']:.1f}); {imapd_status(p)}", flush=True)
        after = figures(pid)
        status_after = imapd_status(p)
        restarts = p.status()["imapd"]["restarts"]

        def show(name, f):
            print(f"{name:<22} rss {f['rss']:7.1f} MiB  anon {f['anon']:7.1f} MiB  file {f['file']:7.1f} MiB")
        show("imapd started", start)
        show("after filling", before)
        show("peak under load", peak)
        show("end of load", end)
        show(f"after {args.settle} s idle", after)
        print(f"load: {args.clients} clients, {args.secs} s: {load.counts}, imapd restarts {restarts}")
        if load.errors:
            print("errors:", *load.errors, sep="\n  ")
        print(f"status under load: {busy_status}\nstatus after: {status_after}")
        print(json.dumps({"start": start, "filled": before, "peak": peak, "end": end, "after": after,
                          "counts": load.counts, "restarts": restarts, "status": status_after}))
    finally:
        p.stop()
        if not args.keep:
            p.__exit__(None, None, None)
        else:
            print("kept", p.dir)


if __name__ == "__main__":
    main()
