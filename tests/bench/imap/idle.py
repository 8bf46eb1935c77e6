#!/usr/bin/env python3
"""Hold N idle, authenticated IMAP sessions open against one server, for
tests/bench/imap/run to measure the server's memory per idle connection:

    IMAP_PASSWORD=PW tests/bench/imap/idle.py --port P [--tls] --user U [--connections 1000]
                                              [--concurrency 50] [--open-timeout 300]

Each session: connect (implicit TLS with --tls, any certificate accepted),
read the greeting, LOGIN, SELECT INBOX, then nothing more: no IDLE, no NOOP.
At most --concurrency sessions are being set up at once. When all are open
(or some failed), one JSON line goes to standard output:

    {"open": 1000, "failed": 0, "errors": [], "tls": "TLSv1.3", "seconds": 4.2}

and the sessions stay open until standard input is closed or SIGTERM/SIGINT
arrives; then they are dropped (no LOGOUT) and the program exits. It gives
up (prints the line with what it has) after --open-timeout seconds.

Python 3 standard library only (asyncio, ssl). Raise RLIMIT_NOFILE first
(run does): N sessions need N descriptors.
"""

import argparse
import asyncio
import json
import os
import signal
import ssl
import sys
import time


class Session:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.n = 0

    async def line(self):
        data = await self.reader.readline()
        if not data:
            raise ConnectionError("connection closed by the server")
        return data.decode("utf-8", "replace").rstrip("\r\n")

    async def command(self, text):
        self.n += 1
        tag = f"i{self.n}"
        self.writer.write(f"{tag} {text}\r\n".encode())
        await self.writer.drain()
        while True:
            line = await self.line()
            if line.startswith(tag + " "):
                status = line[len(tag) + 1:]
                if not status.upper().startswith("OK"):
                    raise ConnectionError(f"{text.split()[0]}: {status}")
                return


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def open_one(args, ctx, held, errors, sem):
    async with sem:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", args.port, ssl=ctx,
                                                           server_hostname="localhost" if ctx else None,
                                                           limit=1 << 20)
        except OSError as e:
            errors.append(f"connect: {e}")
            return
        s = Session(reader, writer)
        try:
            greeting = await s.line()
            if not greeting.startswith("* OK"):
                raise ConnectionError(f"greeting: {greeting}")
            await s.command(f"LOGIN {quote(args.user)} {quote(args.password)}")
            await s.command("SELECT INBOX")
            held.append(s)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ssl.SSLError) as e:
            errors.append(str(e))
            writer.close()


async def main_async(args):
    ctx = None
    if args.tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    held, errors = [], []
    sem = asyncio.Semaphore(args.concurrency)
    t0 = time.monotonic()
    tasks = [asyncio.create_task(open_one(args, ctx, held, errors, sem)) for _ in range(args.connections)]
    done, pending = await asyncio.wait(tasks, timeout=args.open_timeout)
    for t in pending:
        t.cancel()
    if pending:
        errors.append(f"{len(pending)} sessions not open after {args.open_timeout:.0f} s")
    tls = None
    if held and args.tls:
        tls = held[0].writer.get_extra_info("ssl_object").version()
    distinct = sorted(set(errors))
    print(json.dumps({"open": len(held), "failed": args.connections - len(held), "errors": distinct[:5],
                      "tls": tls, "seconds": round(time.monotonic() - t0, 2)}), flush=True)

    # Hold until standard input closes or a signal arrives.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.buffer.read1(4096) else None)
    await stop.wait()
    for s in held:
        s.writer.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tls", action="store_true", help="implicit TLS (any certificate accepted)")
    ap.add_argument("--user", required=True)
    ap.add_argument("--connections", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=50, help="sessions being set up at once (default 50)")
    ap.add_argument("--open-timeout", type=float, default=300.0)
    args = ap.parse_args()
    args.password = os.environ.get("IMAP_PASSWORD")
    if args.password is None:
        ap.error("the password comes from the environment: IMAP_PASSWORD")
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
