"""Malformed command lines on every plain-text front end, before and after
login: POP3 (STLS + USER/PASS to log in), IMAP (STARTTLS + LOGIN) and SMTP
(EHLO on the SMTP port; STARTTLS + AUTH on submission).

Each line goes on a connection of its own. What a client must see: a
protocol error reply (POP3 -ERR, IMAP BAD, SMTP 5xx) and nothing else, then
the session goes on (a probe command succeeds) and ends cleanly (QUIT or
LOGOUT, then the server closes). An over-long line gets one error reply,
and the rest of the line is dropped, as SMTP (500 5.5.2) and IMAP (BAD) do.
What the server must show: no process restarted. After every line the test
compares each process's pid and restart count in `parleyctl --json status`
with their values before the line, so a failure names the line, the
protocol and state, and the process that died (with its last exit); a
crashed process is brought back (`parleyctl start` if it was marked
failed) so that the remaining lines are still tried. Each class runs its
own parleyd (test_mail.MailServer) and ends by checking that every process
still has its first pid and 0 restarts."""

import base64
import os
import re
import socket
import ssl
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import wait_for  # noqa: E402
from test_mail import MailServer, tls_context  # noqa: E402

DEMO = "demo@example.test"
TIMEOUT = 15.0
MIB = 1 << 20

# (name, bytes sent, error replies expected: an exact count, or None for "at least one").
COMMON = [
    ("FOO", b"FOO\r\n", 1),
    ("USER without argument", b"USER\r\n", 1),
    ("CAPA NUL", b"CAPA\x00\r\n", 1),
    ("CAPA LF NOOP LF CAPA", b"CAPA\nNOOP\nCAPA\r\n", 1),
    ("1 MiB line", b"X" * MIB + b"\r\n", 1),
]
POP3_LINES = COMMON
# IMAP ends a line at a bare LF too (and answers each piece BAD).
IMAP_LINES = [(n, d, None if b"\nNOOP\n" in d else c) for n, d, c in COMMON] + [
    ("a FOO", b"a FOO\r\n", 1),
    ("a NUL", b"a\x00\r\n", 1),
    ("bare tag", b"a\r\n", 1),
    ("unbalanced (", b'a ID ("name" "x"\r\n', 1),
    ("unbalanced )", b'a ID ("name" "x"))\r\n', 1),
    ("tagged 1 MiB line", b"a NOOP " + b"x" * MIB + b"\r\n", 1),
]
SMTP_LINES = COMMON + [
    ("MAIL FROM: garbage", b"MAIL FROM:<<>>@@ garbage\r\n", 1),
    ("MAIL FROM: nothing", b"MAIL FROM:\r\n", 1),
    ("MAIL FROM: unknown parameter", b"MAIL FROM:<a@outside.test> FOO=BAR\r\n", 1),
    ("MAIL FROM: NUL", b"MAIL FROM:<a\x00@outside.test>\r\n", 1),
    ("NOOP NUL", b"NOOP\x00\r\n", 1),
]


class Dropped(Exception):
    """The server closed or reset the connection, or did not answer in time."""


class Conn:
    """A line connection that can switch to TLS."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.buf = b""
        self.seen = []  # every line received, for the report

    def starttls(self):
        assert not self.buf, "nothing may follow the STARTTLS reply"
        self.s = tls_context().wrap_socket(self.s, server_hostname="mail.example.test")

    def send(self, data):
        try:
            self.s.sendall(data)
        except (OSError, ssl.SSLError) as e:
            raise Dropped(f"connection dropped while sending ({e.__class__.__name__}: {e})") from None

    def line(self):
        while b"\r\n" not in self.buf:
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                raise Dropped(f"no reply within {TIMEOUT:.0f} s") from None
            except (OSError, ssl.SSLError) as e:
                raise Dropped(f"connection dropped ({e.__class__.__name__}: {e})") from None
            if not chunk:
                raise Dropped("connection closed by the server")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        self.seen.append(line)
        return line

    def closed(self):
        """Whether the server closes the connection now (after QUIT/LOGOUT)."""
        try:
            while True:
                if not self.s.recv(65536):
                    return not self.buf
                return False  # more data after the last reply
        except (ssl.SSLEOFError, ConnectionResetError):
            return not self.buf
        except (OSError, ssl.SSLError):
            return False

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def show(line, limit=100):
    text = line.decode("latin-1")
    return repr(text if len(text) <= limit else text[:limit] + f"...({len(text)} bytes)")


class Protocol:
    """What a front end answers; subclasses give the dialogue."""
    name = ""

    def __init__(self, p):
        self.p = p

    def reply(self, c):
        """One whole reply, as a list of lines."""
        return [c.line()]

    def is_error(self, reply):
        raise NotImplementedError

    def probe(self, c):
        """Sends a harmless command; returns (replies before its own, its reply ok, its reply)."""
        raise NotImplementedError


class Pop3(Protocol):
    name = "POP3"

    def open(self, logged_in):
        for attempt in range(50):
            c = Conn(self.p.pop3_port)
            greeting = c.line()
            assert greeting.startswith(b"+OK"), greeting
            if not logged_in:
                return c
            c.send(b"STLS\r\n")
            assert c.line().startswith(b"+OK")
            c.starttls()
            c.send(f"USER {DEMO}\r\n".encode())
            assert c.line().startswith(b"+OK")
            c.send(f"PASS {self.p.password(DEMO)}\r\n".encode())
            reply = c.line()
            if reply.startswith(b"+OK"):
                return c
            c.close()
            # The previous case's session may still hold the maildrop for a moment.
            assert b"[IN-USE]" in reply and attempt < 49, reply
            time.sleep(0.1)

    def is_error(self, reply):
        return reply[0].startswith(b"-ERR")

    def probe(self, c, logged_in):
        # NOOP exists only after login (RFC 1939 5); CAPA in every state.
        c.send(b"NOOP\r\n" if logged_in else b"CAPA\r\n")
        before = []
        while True:
            line = c.line()
            if not line.startswith(b"-ERR"):
                break
            before.append([line])
        if line.startswith(b"+OK") and not logged_in:
            while c.line() != b".":
                pass
        return before, line.startswith(b"+OK"), line

    def end(self, c):
        c.send(b"QUIT\r\n")
        return c.line().startswith(b"+OK")


class Imap(Protocol):
    name = "IMAP"
    BAD = re.compile(rb"^\S+ BAD( |$)")

    def open(self, logged_in):
        c = Conn(self.p.imap_port)
        greeting = c.line()
        assert greeting.startswith(b"* OK"), greeting
        if logged_in:
            assert self.command(c, b"s STARTTLS")[-1].startswith(b"s OK")
            c.starttls()
            password = self.p.password(DEMO).replace("\\", "\\\\").replace('"', '\\"')
            reply = self.command(c, f'l LOGIN {DEMO} "{password}"'.encode())
            assert reply[-1].startswith(b"l OK"), reply
        return c

    @staticmethod
    def command(c, text):
        tag = text.split(b" ", 1)[0]
        c.send(text + b"\r\n")
        lines = []
        while True:
            lines.append(c.line())
            if lines[-1].startswith(tag + b" "):
                return lines

    def is_error(self, reply):
        return bool(self.BAD.match(reply[0]))

    def probe(self, c, logged_in):
        c.send(b"p NOOP\r\n")
        before = []
        while True:
            line = c.line()
            if line.startswith(b"p "):
                return before, line.startswith(b"p OK"), line
            if self.BAD.match(line) or line.startswith(b"* BYE"):
                before.append([line])
            # Other untagged data (EXISTS, ...) may come with NOOP.

    def end(self, c):
        lines = self.command(c, b"z LOGOUT")
        return lines[-1].startswith(b"z OK")


class Smtp(Protocol):
    name = "SMTP"

    def open(self, logged_in):
        c = Conn(self.p.submission_port if logged_in else self.p.smtp_port)
        assert self.reply(c)[0].startswith(b"220")
        self.command(c, b"EHLO client.test", b"250")
        if logged_in:
            self.command(c, b"STARTTLS", b"220")
            c.starttls()
            self.command(c, b"EHLO client.test", b"250")
            creds = base64.b64encode(f"\0{DEMO}\0{self.p.password(DEMO)}".encode())
            self.command(c, b"AUTH PLAIN " + creds, b"235")
        return c

    def command(self, c, text, code):
        c.send(text + b"\r\n")
        reply = self.reply(c)
        assert reply[-1].startswith(code), (text, reply)
        return reply

    def reply(self, c):
        lines = []
        while True:
            lines.append(c.line())
            if lines[-1][3:4] != b"-":
                return lines

    def is_error(self, reply):
        return reply[-1][:1] == b"5"

    def probe(self, c, logged_in):
        c.send(b"NOOP\r\n")
        before = []
        while True:
            reply = self.reply(c)
            if not reply[-1].startswith(b"5"):
                return before, reply[-1].startswith(b"250"), reply[-1]
            before.append(reply)

    def end(self, c):
        c.send(b"QUIT\r\n")
        return self.reply(c)[-1].startswith(b"221")


def restarted(before, after):
    """Processes whose pid or restart count changed: {name: (old, new)}."""
    return {name: (before[name], now) for name, now in after.items()
            if name in before and (now["pid"] != before[name]["pid"] or now["restarts"] != before[name]["restarts"])}


class Case:
    """The test for one protocol; mixed into a TestCase per protocol below."""
    protocol = None
    lines = []

    @classmethod
    def setUpClass(cls):
        cls.p = MailServer().start()
        cls.first = cls.p.status()

    @classmethod
    def tearDownClass(cls):
        cls.p.__exit__(None, None, None)

    def exchange(self, proto, logged_in, data, expected):
        """Sends `data` on a fresh session: (what went wrong, a list of sentences; whether the connection dropped)."""
        problems = []
        c = None
        mark = 0
        try:
            c = proto.open(logged_in)
            mark = len(c.seen)
            c.send(data)
            first = proto.reply(c)
            if not proto.is_error(first):
                problems.append(f"answered {show(first[-1])}, not a protocol error")
            before, ok, reply = proto.probe(c, logged_in)
            errors = 1 + len(before)
            if expected is not None and errors != expected:
                extra = "; ".join(show(r[-1]) for r in before[:3])
                problems.append(f"{errors} error replies where {expected} was expected (the next: {extra})")
            if not ok:
                problems.append(f"the session did not go on: the probe got {show(reply)}")
            elif not proto.end(c):
                problems.append("QUIT/LOGOUT was not accepted")
            elif not c.closed():
                problems.append("the server did not close the connection after QUIT/LOGOUT")
            return problems, False
        except (Dropped, AssertionError, OSError) as e:
            if c is None:
                problems.append(f"no session to send the line on: {e!r}")
            else:
                got = c.seen[mark:]
                tail = ", ".join(show(line, 60) for line in got[-4:]) or "nothing"
                problems.append(f"{e} (replies received after the line: {len(got)}, the last: {tail})")
            return problems, True
        finally:
            if c is not None:
                c.close()

    def crashes(self, before, dropped):
        """Processes that restarted since `before`; waits a moment for parleyd to see a death."""
        deadline = time.monotonic() + (3.0 if dropped else 0.3)
        while True:
            after = self.p.status()
            changed = restarted(before, after)
            if changed or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        return {name: (old, self.back(name)) for name, (old, _) in changed.items()}

    def back(self, name):
        """Brings a crashed process back to ready for the next lines; its status then."""
        def ready():
            now = self.p.status()[name]
            if now["state"] == "failed":
                self.p.ctl("start", name)
            return now if now["state"] == "ready" else None
        return wait_for(ready, timeout=60, interval=0.1, what=f"{name} ready again")

    def test_lines(self):
        proto = self.protocol(self.p)
        crashes = []
        for logged_in in (False, True):
            state = "after login" if logged_in else "before login"
            for name, data, expected in self.lines:
                with self.subTest(state=state, line=name):
                    before = self.p.status()
                    problems, dropped = self.exchange(proto, logged_in, data, expected)
                    for proc, (old, new) in self.crashes(before, dropped).items():
                        crash = (f"{proto.name} {state}, line {name!r}: {proc} crashed "
                                 f"({new['last_exit'] or 'no exit reason'}; pid {old['pid']} -> {new['pid']}, "
                                 f"restarts {old['restarts']} -> {new['restarts']})")
                        crashes.append(crash)
                        problems.insert(0, crash)
                    if problems:
                        self.fail(f"{proto.name} {state}, line {name!r}:\n  " + "\n  ".join(problems))
        # The end: every process still the first one.
        now = self.p.status()
        summary = "\n  ".join(crashes) or "(no crash seen after any single line)"
        for name, first in self.first.items():
            self.assertEqual((now[name]["pid"], now[name]["restarts"]), (first["pid"], 0),
                             f"{name} restarted during the {proto.name} lines:\n  {summary}")


class Pop3Lines(Case, unittest.TestCase):
    protocol = Pop3
    lines = POP3_LINES


class ImapLines(Case, unittest.TestCase):
    protocol = Imap
    lines = IMAP_LINES


class SmtpLines(Case, unittest.TestCase):
    protocol = Smtp
    lines = SMTP_LINES


if __name__ == "__main__":
    unittest.main()
