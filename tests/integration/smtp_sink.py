"""A remote mail server for the outbound tests: Debian's aiosmtpd (run it
with /usr/bin/python3, where Debian's modules live).

    smtp_sink.py PORT OUTDIR MODE

MODE: "accept" takes every message; "tempfail:N" answers the first N
transactions' DATA with 451 and accepts later ones; "reject" answers every
RCPT with 550. Each accepted message is written to OUTDIR as NNNN.json:
{"mail_from", "rcpt_tos", "data" (latin-1 text), "tls"}. Prints "ready" when
listening; stops on SIGTERM.
"""

import json
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, outdir, mode):
        self.outdir = outdir
        self.mode = mode
        self.transactions = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode == "reject":
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.transactions += 1
            n = self.transactions
        if self.mode.startswith("tempfail:") and n <= int(self.mode.split(":")[1]):
            return "451 4.3.0 try again later"
        path = os.path.join(self.outdir, f"{n:04d}.json")
        with open(path + ".tmp", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "data": envelope.original_content.decode("latin-1"),
                       "tls": session.ssl is not None}, f)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 accepted"


def main():
    port, outdir, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    controller = Controller(Handler(outdir, mode), hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    print("ready", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    done.wait()
    controller.stop()


if __name__ == "__main__":
    main()
