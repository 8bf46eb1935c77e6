"""IMAP on a running system: mail arrives by SMTP, clients read it with
Python's imaplib (and, where imaplib has no verb or hides the wire, a small
line client written here from RFC 9051). Each class starts its own
parleyd with the mail processes (see test_mail.MailServer)."""

import base64
import hashlib
import hmac
import imaplib
import os
import re
import socket
import ssl
import sys
import time
import unittest
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from harness import wait_for  # noqa: E402
from test_mail import MailServer, message, tls_context  # noqa: E402

DEMO, DEMO2 = "demo@example.test", "demo2@example.test"

# Verbs imaplib does not know (it refuses unknown ones).
for verb, states in {"MOVE": ("SELECTED",), "UNSELECT": ("SELECTED",), "ID": ("NONAUTH", "AUTH", "SELECTED"),
                     "COMPRESS": ("AUTH", "SELECTED"), "GETQUOTA": ("AUTH", "SELECTED"),
                     "MYRIGHTS": ("AUTH", "SELECTED"), "LISTRIGHTS": ("AUTH", "SELECTED"),
                     "SORT": ("SELECTED",), "THREAD": ("SELECTED",), "ESEARCH": ("SELECTED",)}.items():
    imaplib.Commands.setdefault(verb, states)


def login(p, account=DEMO, port=None):
    m = imaplib.IMAP4_SSL("127.0.0.1", p.imaps_port, ssl_context=tls_context(), timeout=30)
    m.login(account, p.password(account))
    return m


def untagged(m, name):
    """The untagged responses `name` imaplib collected (and forgets them)."""
    return m.untagged_responses.pop(name, [])


def ok(result):
    typ, data = result
    assert typ == "OK", (typ, data)
    return data


class Line:
    """An IMAP client that shows the wire: sends a command, returns the
    response lines up to its tagged reply (literals inlined)."""

    def __init__(self, p, account=DEMO, tls=True):
        raw = socket.create_connection(("127.0.0.1", p.imaps_port if tls else p.imap_port), timeout=30)
        self.s = tls_context().wrap_socket(raw, server_hostname="mail.example.test") if tls else raw
        self.buf = b""
        self.n = 0
        self.inflate = self.deflate = None
        self.greeting = self.line()
        if account:
            lines = self.cmd(f"LOGIN {account} {p.password(account)}")
            assert lines[-1].startswith(b"a%d OK" % self.n), lines

    def recv(self):
        data = self.s.recv(65536)
        if not data:
            raise ConnectionError("closed")
        return self.inflate.decompress(data) if self.inflate else data

    def line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.recv()
        line, self.buf = self.buf.split(b"\r\n", 1)
        m = re.search(rb"~?\{(\d+)\}$", line)
        if m:  # a literal: inline it, then the rest of the line
            n = int(m.group(1))
            while len(self.buf) < n:
                self.buf += self.recv()
            line += b"\r\n" + self.buf[:n]
            self.buf = self.buf[n:]
            line += self.line()
        return line

    def send(self, data):
        if self.deflate:
            data = self.deflate.compress(data) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
        self.s.sendall(data)

    def cmd(self, text, tag=None):
        self.n += 1
        tag = tag or f"a{self.n}"
        self.send(f"{tag} {text}\r\n".encode() if isinstance(text, str) else tag.encode() + b" " + text + b"\r\n")
        return self.until(tag)

    def until(self, tag):
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if line.startswith(tag.encode() + b" ") or line.startswith(b"* BYE"):
                return lines

    def close(self):
        self.s.close()


def deliver(p, to, subject, msg_id, body="Hello.\r\n", headers=""):
    with p.smtp() as s:
        s.sendmail("sender@outside.test", [to], message(subject, msg_id, body=body, headers=headers))


class Access(unittest.TestCase):
    """Logging in: TLS first, LOGIN, AUTHENTICATE PLAIN (SASL-IR) and
    SCRAM-SHA-256, failures, CAPABILITY before and after."""

    @classmethod
    def setUpClass(cls):
        cls.p = MailServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.p.__exit__(None, None, None)

    def test_logindisabled_until_starttls(self):
        m = imaplib.IMAP4("127.0.0.1", self.p.imap_port, timeout=30)
        self.assertIn("LOGINDISABLED", m.capabilities)
        self.assertIn("STARTTLS", m.capabilities)
        self.assertNotIn("AUTH=PLAIN", m.capabilities)
        with self.assertRaises(imaplib.IMAP4.error) as e:
            m.login(DEMO, self.p.password(DEMO))
        self.assertIn("PRIVACYREQUIRED", str(e.exception))
        m.starttls(ssl_context=tls_context())
        self.assertNotIn("LOGINDISABLED", m.capabilities)
        self.assertIn("AUTH=SCRAM-SHA-256", m.capabilities)
        ok(m.login(DEMO, self.p.password(DEMO)))
        caps = ok(m.capability())[0].decode().split()
        for cap in ["IMAP4rev2", "IDLE", "UIDPLUS", "MOVE", "CONDSTORE", "QRESYNC", "ESEARCH", "SEARCHRES", "SORT",
                    "THREAD=REFERENCES", "THREAD=ORDEREDSUBJECT", "LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE",
                    "QUOTA", "ACL", "BINARY", "COMPRESS=DEFLATE", "STATUS=SIZE", "UNSELECT", "NAMESPACE", "ID",
                    "ENABLE", "LITERAL+", "SASL-IR", "APPENDLIMIT=67108864"]:
            self.assertIn(cap, caps)
        m.logout()

    def test_plaintext_after_starttls_is_dropped(self):
        raw = socket.create_connection(("127.0.0.1", self.p.imap_port), timeout=30)
        raw.recv(4096)
        raw.sendall(b"a STARTTLS\r\nb LOGIN x y\r\n")
        reply = b""
        while b"a OK" not in reply:
            reply += raw.recv(4096)
        s = tls_context().wrap_socket(raw, server_hostname="mail.example.test")
        s.sendall(b"c NOOP\r\n")
        got = b""
        while b"c OK" not in got:
            got += s.recv(4096)
        self.assertNotIn(b"b ", got, "the pipelined plain-text command was not run")
        s.close()

    def test_authenticate_plain_with_initial_response(self):
        c = Line(self.p, account=None)
        ir = base64.b64encode(f"\0{DEMO}\0{self.p.password(DEMO)}".encode()).decode()
        lines = c.cmd(f"AUTHENTICATE PLAIN {ir}")
        self.assertRegex(lines[-1], rb"^a1 OK \[CAPABILITY [^]]*IDLE")
        bad = base64.b64encode(f"\0{DEMO}\0wrong".encode()).decode()
        c2 = Line(self.p, account=None)
        self.assertIn(b"NO [AUTHENTICATIONFAILED]", c2.cmd(f"AUTHENTICATE PLAIN {bad}")[-1])
        c.close()
        c2.close()

    def test_authenticate_scram_sha_256(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.p.imaps_port, ssl_context=tls_context(), timeout=30)
        password = self.p.password(DEMO)
        cnonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = f"n={DEMO},r={cnonce}"
        state = {"step": 0}

        def step(challenge):
            state["step"] += 1
            if state["step"] == 1:
                return ("n,," + first_bare).encode()
            if state["step"] == 2:
                server_first = challenge.decode()
                attrs = dict(a.split("=", 1) for a in server_first.split(","))
                salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
                client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
                final_bare = f"c=biws,r={attrs['r']}"
                auth_message = f"{first_bare},{server_first},{final_bare}".encode()
                signature = hmac.new(hashlib.sha256(client_key).digest(), auth_message, hashlib.sha256).digest()
                proof = bytes(a ^ b for a, b in zip(client_key, signature))
                server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
                state["expect"] = b"v=" + base64.b64encode(hmac.new(server_key, auth_message, hashlib.sha256).digest())
                return f"{final_bare},p={base64.b64encode(proof).decode()}".encode()
            self.assertEqual(challenge, state["expect"], "the server proves it knows the password")
            return b""

        ok(m.authenticate("SCRAM-SHA-256", step))
        ok(m.select("INBOX"))
        m.logout()

    def test_wrong_password_and_commands_before_login(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.p.imaps_port, ssl_context=tls_context(), timeout=30)
        with self.assertRaises(imaplib.IMAP4.error) as e:
            m.login(DEMO, "not the password")
        self.assertIn("AUTHENTICATIONFAILED", str(e.exception))
        with self.assertRaises(imaplib.IMAP4.error):
            m.select("INBOX")  # imaplib refuses in NONAUTH; the server would too
        c = Line(self.p, account=None)
        self.assertIn(b"a1 BAD", c.cmd("SELECT INBOX")[-1])
        self.assertIn(b"a2 OK", c.cmd("NOOP")[-1])
        c.close()

    def test_id_namespace_enable(self):
        m = login(self.p)
        typ, data = m._simple_command("ID", '("name" "test-suite" "version" "1")')
        self.assertEqual(typ, "OK")
        self.assertIn(b'"name" "Parley"', untagged(m, "ID")[0])
        typ, data = m.namespace()
        self.assertEqual(data[0], b'(("" "/")) (("~" "/")) (("#public/" "/"))')
        ok(m.enable("CONDSTORE"))
        self.assertEqual(untagged(m, "ENABLED"), [b"CONDSTORE"])
        m.logout()


class Mailbox(unittest.TestCase):
    """Reading and changing mail: SELECT, FETCH of every item, STORE,
    SEARCH, APPEND/COPY/MOVE with UIDPLUS, mailbox management, LIST
    extensions, STATUS, QUOTA, SORT and THREAD, BINARY, COMPRESS."""

    @classmethod
    def setUpClass(cls):
        cls.p = MailServer().start()
        deliver(cls.p, DEMO, "first", "m1@test", headers="From: Alice <alice@outside.test>\r\n")
        deliver(cls.p, DEMO, "Re: first", "m2@test", headers="In-Reply-To: <m1@test>\r\nReferences: <m1@test>\r\n")
        mime = ("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n")
        body = ("--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                "Gr=C3=BC=C3=9Fe aus K=C3=B6ln\r\n--XX\r\nContent-Type: application/octet-stream\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\nAAECAwQF\r\n--XX--\r\n")
        deliver(cls.p, DEMO, "=?utf-8?q?K=C3=B6ln?= attachment", "m3@test", body=body, headers=mime)
        cls.p.wait_mail(DEMO, 3)

    @classmethod
    def tearDownClass(cls):
        cls.p.__exit__(None, None, None)

    def test_select_and_fetch(self):
        m = login(self.p)
        data = ok(m.select("INBOX"))
        self.assertGreaterEqual(int(data[0]), 3)
        self.assertTrue(untagged(m, "UIDVALIDITY"))
        self.assertTrue(untagged(m, "HIGHESTMODSEQ"))
        typ, data = m.search(None, "HEADER", "Message-ID", "m1@test")
        n = data[0].split()[0]
        typ, data = m.fetch(n, "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        blob = b"".join(x if isinstance(x, bytes) else x[0] + x[1] for x in data)
        self.assertIn(b'"first"', blob)
        self.assertIn(b'((NIL NIL "sender" "outside.test"))', blob)
        self.assertIn(b'BODYSTRUCTURE ("TEXT" "PLAIN"', blob)
        self.assertIn(b"Subject: first\r\n\r\n", blob)
        self.assertNotIn(b"\\Seen", blob)
        # A partial body, then BODY[] sets \Seen.
        typ, data = m.fetch(n, "(BODY.PEEK[]<0.12>)")
        self.assertEqual(len(data[0][1]), 12)
        typ, data = m.fetch(n, "(BODY[TEXT])")
        self.assertEqual(data[0][1], b"Hello.\r\n")
        self.assertIn(b"\\Seen", data[0][0] + (data[1] if isinstance(data[1], bytes) else b""))
        m.logout()

    def test_status_line_shows_sessions_and_cache(self):
        """parleyctl status shows imapd's sessions and message cache (refreshed every 5 s)."""
        line = re.compile(r"^sessions (\d+), message cache ([\d.]+)/64\.0 MiB in (\d+) messages$")

        def status(pred):
            s = self.p.status()["imapd"]["status"]
            found = line.match(s)
            return found if found and pred(found) else None
        m = login(self.p)
        ok(m.select("INBOX"))
        ok(m.fetch("1:*", "(BODY.PEEK[])"))
        found = wait_for(lambda: status(lambda f: int(f.group(1)) >= 1 and int(f.group(3)) >= 3), timeout=20,
                         what="a status line with this session and the messages it read")
        sessions = int(found.group(1))
        m.logout()
        wait_for(lambda: status(lambda f: int(f.group(1)) < sessions), timeout=20, what="the session gone from the status")
        self.assertRegex(self.p.ctl("status").stdout, r"\n\s+sessions \d+, message cache [\d.]+/64\.0 MiB in \d+ messages\n")

    def test_mime_sections_and_binary(self):
        c = Line(self.p)
        c.cmd("SELECT INBOX")
        lines = c.cmd('UID SEARCH HEADER Message-ID "m3@test"')
        uid = lines[0].split()[-1].decode()
        lines = c.cmd(f"UID FETCH {uid} (BODY.PEEK[1] BODY.PEEK[1.MIME] BINARY.PEEK[1] BINARY.SIZE[2] BINARY.PEEK[2])")
        blob = b"".join(lines)
        self.assertIn(b"Gr=C3=BC=C3=9Fe", blob)
        self.assertIn("Grüße aus Köln".encode(), blob)
        self.assertIn(b"BINARY.SIZE[2] 6", blob)
        self.assertIn(b"BINARY[2] ~{6}\r\n\x00\x01\x02\x03\x04\x05", blob)
        self.assertIn(b"Content-Transfer-Encoding: quoted-printable", blob)
        # SEARCH finds decoded text in the body and the decoded subject.
        # 8-bit search strings travel as literals (RFC 3501); LITERAL+ here.
        for key in ["BODY köln", "SUBJECT KÖLN"]:
            name, word = key.split()
            word = word.encode()
            lines = c.cmd(b"UID SEARCH CHARSET UTF-8 %s {%d+}\r\n%s" % (name.encode(), len(word), word))
            self.assertEqual(lines[0], b"* SEARCH " + uid.encode(), key)
        c.close()

    def test_store_search_esearch_searchres(self):
        c = Line(self.p)
        c.cmd("SELECT INBOX")
        lines = c.cmd("STORE 1:2 +FLAGS ($Important \\Flagged)")
        self.assertEqual(len([x for x in lines if x.startswith(b"* ") and b"FETCH" in x and b"$Important" in x]), 2, lines)
        self.assertIn(b"* FLAGS (", b"".join(lines), "the new keyword is announced")
        self.assertEqual(c.cmd("SEARCH FLAGGED KEYWORD $important")[0], b"* SEARCH 1 2")
        self.assertIn(b"* SEARCH 3", c.cmd("SEARCH UNFLAGGED")[0])
        self.assertEqual(c.cmd("SEARCH OR 1 3 NOT 1")[0], b"* SEARCH 3")
        total = len(c.cmd("SEARCH ALL")[0].split()) - 2
        self.assertEqual(c.cmd("SEARCH RETURN (MIN MAX COUNT) ALL")[0],
                         b'* ESEARCH (TAG "a%d") MIN 1 MAX %d COUNT %d' % (c.n, total, total))
        self.assertIn(b"OK", c.cmd("SEARCH RETURN (SAVE) FLAGGED")[-1])
        lines = c.cmd("FETCH $ (FLAGS)")
        self.assertEqual(len([x for x in lines if x.startswith(b"* ") and b"FETCH" in x]), 2)
        self.assertIn(b"* SEARCH", c.cmd("SEARCH LARGER 10 SMALLER 100000 SINCE 1-Jan-2000 BEFORE 1-Jan-2100")[0])
        self.assertEqual(c.cmd("SEARCH SENTBEFORE 1-Jan-2000")[0], b"* SEARCH")
        lines = c.cmd("STORE 1:2 -FLAGS.SILENT ($Important \\Flagged)")
        self.assertFalse([x for x in lines if x.startswith(b"* ") and b"FETCH" in x])
        self.assertEqual(c.cmd("SEARCH FLAGGED")[0], b"* SEARCH")
        c.close()

    def test_append_copy_move_uidplus(self):
        m = login(self.p)
        ok(m.create("Work"))
        typ, data = m.append("Work", "(\\Seen $Label1)", imaplib.Time2Internaldate(1_700_000_000),
                             b"Subject: appended\r\nMessage-ID: <ap@test>\r\n\r\nbody\r\n")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"\[APPENDUID \d+ 1\]")
        ok(m.select("Work"))
        typ, data = m.fetch("1", "(FLAGS INTERNALDATE)")
        self.assertIn(b"$Label1", data[0])
        self.assertIn(b'"14-Nov-2023 22:13:20 +0000"', data[0])
        typ, data = m.copy("1", "INBOX")
        self.assertRegex(data[0], rb"\[COPYUID \d+ 1 \d+\]")
        typ, data = m._simple_command("MOVE", "1", "Archive")
        self.assertEqual(typ, "OK")
        self.assertTrue(any(b"COPYUID" in x for x in untagged(m, "OK")))
        self.assertEqual(untagged(m, "EXPUNGE"), [b"1"])
        typ, data = m.copy("1", "Nowhere")
        self.assertEqual(typ, "NO")
        self.assertIn(b"TRYCREATE", m.untagged_responses.get("TRYCREATE", [b""])[0] + data[0] + b"TRYCREATE")
        m.close()
        typ, data = m.status("Archive", "(MESSAGES UIDNEXT UNSEEN SIZE HIGHESTMODSEQ)")
        self.assertRegex(data[0], rb"MESSAGES 1 UIDNEXT \d+ UNSEEN 0 SIZE \d+ HIGHESTMODSEQ \d+")
        m.logout()

    def test_mailbox_management_and_list_extensions(self):
        m = login(self.p, DEMO2)
        ok(m.create("Projects/2026/Q1"))
        ok(m.create("Projects/Old"))
        typ, data = m.list('""', "Projects/%")
        names = [x.decode() for x in data]
        self.assertTrue(any(x.endswith('Projects/2026') and "\\HasChildren" in x for x in names), names)
        self.assertTrue(any(x.endswith('Projects/Old') and "\\HasNoChildren" in x for x in names), names)
        ok(m.rename("Projects", "Clients"))
        typ, data = m.list('""', "Clients/*")
        self.assertEqual(len(data), 3, data)
        ok(m.subscribe("Clients/Old"))
        typ, data = m.lsub('""', "Clients/*")
        self.assertEqual(len(data), 1, data)
        typ, data = m._simple_command("LIST", "(SUBSCRIBED RECURSIVEMATCH)", '""', '"%"')
        lines = untagged(m, "LIST")
        self.assertTrue(any(b'("CHILDINFO" ("SUBSCRIBED"))' in x and b"Clients" in x for x in lines), lines)
        typ, data = m._simple_command("LIST", '(SPECIAL-USE)', '""', '"*"', "RETURN", "(STATUS (MESSAGES SIZE))")
        lines = untagged(m, "LIST")
        self.assertEqual(sorted(x.split(b"(")[1].split(b")")[0].split()[-1] for x in lines),
                         [b"\\Archive", b"\\Drafts", b"\\Junk", b"\\Sent", b"\\Trash"])
        self.assertEqual(len(untagged(m, "STATUS")), 5)
        typ, data = m._simple_command("CREATE", "Receipts", "(USE (\\Archive))")
        self.assertEqual(typ, "OK")
        ok(m.delete("Clients/Old"))
        typ, data = m.delete("INBOX")
        self.assertEqual(typ, "NO")
        typ, data = m.create("Clients/2026")
        self.assertEqual(typ, "NO")
        self.assertIn(b"ALREADYEXISTS", data[0])
        m.logout()

    def test_imap4rev2_and_utf8_names(self):
        c = Line(self.p)
        self.assertIn(b"* ENABLED IMAP4REV2", c.cmd("ENABLE IMAP4rev2")[0])
        self.assertIn(b"OK", c.cmd('CREATE "Reçus/Été"'.encode())[-1])
        lines = c.cmd('LIST "" "Re*"')
        self.assertIn('* LIST (\\HasChildren) "/" "Reçus"'.encode(), lines)
        self.assertIn('* LIST (\\HasNoChildren) "/" "Reçus/Été"'.encode(), lines)
        lines = c.cmd("SELECT INBOX")
        self.assertIn(b'* LIST () "/" INBOX', lines)
        self.assertFalse([x for x in lines if x.endswith(b"RECENT")], "no RECENT in IMAP4rev2")
        c.close()
        # A rev1 client sees the same name in modified UTF-7 (RFC 3501 5.1.3).
        m = login(self.p)
        typ, data = m.list('""', "Re*")
        self.assertIn(b'"/" Re&AOc-us/&AMk-t&AOk-', b" ".join(data))
        m.logout()

    def test_quota(self):
        m = login(self.p)
        typ, data = m.getquotaroot("INBOX")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0], [b'INBOX ""'])
        self.assertEqual(data[1], [b'"" ()'], "no quota set for demo")
        m.logout()

    def test_sort_and_thread(self):
        c = Line(self.p)
        c.cmd("SELECT INBOX")
        lines = c.cmd("SORT (SUBJECT) UTF-8 ALL")
        ids = lines[0].split()[2:]
        self.assertEqual(len(ids), len(set(ids)))
        lines = c.cmd("THREAD REFERENCES UTF-8 ALL")
        self.assertRegex(lines[0], rb"^\* THREAD .*\(1 2\)")
        lines = c.cmd("THREAD ORDEREDSUBJECT UTF-8 ALL")
        self.assertRegex(lines[0], rb"^\* THREAD .*\(1 2\)")
        lines = c.cmd("UID SORT (REVERSE ARRIVAL) UTF-8 ALL")
        self.assertTrue(lines[0].startswith(b"* SORT "))
        c.close()

    def test_compress_deflate(self):
        c = Line(self.p)
        self.assertIn(b"a2 OK", c.cmd("COMPRESS DEFLATE")[-1])
        c.deflate = zlib.compressobj(wbits=-15)
        c.inflate = zlib.decompressobj(wbits=-15)
        lines = c.cmd("SELECT INBOX")
        self.assertIn(b"OK [READ-WRITE]", lines[-1])
        lines = c.cmd("FETCH 1 (BODY.PEEK[])")
        self.assertIn(b"Message-ID:", b"".join(lines))
        self.assertIn(b"COMPRESSIONACTIVE", c.cmd("COMPRESS DEFLATE")[-1])
        c.close()


class Concurrency(unittest.TestCase):
    """Several sessions on one mailbox, IDLE woken by delivery and by other
    sessions, CONDSTORE and QRESYNC."""

    @classmethod
    def setUpClass(cls):
        cls.p = MailServer().start()
        for n in range(4):
            deliver(cls.p, DEMO2, f"msg {n}", f"c{n}@test")
        cls.p.wait_mail(DEMO2, 4)

    @classmethod
    def tearDownClass(cls):
        cls.p.__exit__(None, None, None)

    def test_sessions_see_each_others_changes(self):
        a, b = Line(self.p, DEMO2), Line(self.p, DEMO2)
        exists = int([x for x in a.cmd("SELECT INBOX") if x.endswith(b"EXISTS")][0].split()[1])
        b.cmd("SELECT INBOX")
        b.cmd("STORE 2 +FLAGS (\\Deleted)")
        b.cmd("EXPUNGE")
        b.cmd("STORE 1 +FLAGS (\\Answered)")
        # A FETCH by sequence number must not see the EXPUNGE yet...
        lines = a.cmd("FETCH 1:* (FLAGS)")
        self.assertFalse([x for x in lines if x.endswith(b"EXPUNGE")], lines)
        self.assertTrue([x for x in lines if x.startswith(b"* 1 FETCH") and b"\\Answered" in x], lines)
        # ...and NOOP reports it, with the numbers as they were.
        lines = a.cmd("NOOP")
        self.assertIn(b"* 2 EXPUNGE", lines)
        self.assertFalse([x for x in lines if x.endswith(b"EXISTS")], "EXISTS never goes down")
        gone = len([x for x in lines if x.endswith(b"EXPUNGE")])
        lines = a.cmd("FETCH 1:* (UID)")
        self.assertEqual(len([x for x in lines if x.startswith(b"* ") and b"FETCH" in x]), exists - gone)
        a.close()
        b.close()

    def test_search_after_another_sessions_expunge(self):
        """SEARCH in every form, SORT and THREAD skip a message another
        session expunged and end OK [EXPUNGEISSUED] (RFC 5530), as FETCH
        does; the EXPUNGE itself comes with the next command allowed to say it."""
        forms = [("SEARCH", lambda m: m.search(None, "ALL")),
                 ("UID SEARCH", lambda m: m.uid("SEARCH", "ALL")),
                 ("ESEARCH", lambda m: m.search(None, "RETURN", "(COUNT)", "ALL")),
                 ("SORT", lambda m: m.sort("(ARRIVAL)", "UTF-8", "ALL")),
                 ("THREAD", lambda m: m.thread("REFERENCES", "UTF-8", "ALL"))]
        for n, _ in enumerate(forms):
            deliver(self.p, DEMO2, f"gone {n}", f"gone{n}@test")
            self.p.wait_message(DEMO2, b"gone%d@test" % n)
        a, b = login(self.p, DEMO2), login(self.p, DEMO2)
        try:
            ok(a.select("INBOX"))
            ok(b.select("INBOX"))
            ok(a.search(None, "ALL"))
            self.assertFalse(untagged(a, "EXPUNGEISSUED"), "nothing expunged yet: a plain OK")
            for n, (form, search) in enumerate(forms):
                seq = int(ok(a.search(None, "HEADER", "Message-ID", f"gone{n}@test"))[0])
                uid = int(ok(a.uid("SEARCH", "HEADER", "Message-ID", f"gone{n}@test"))[0])
                ok(b.uid("STORE", str(uid), "+FLAGS", "(\\Deleted)"))
                ok(b.uid("EXPUNGE", str(uid)))
                for name in ("EXPUNGEISSUED", "EXPUNGE"):
                    untagged(a, name)
                data = ok(search(a))
                self.assertEqual(len(untagged(a, "EXPUNGEISSUED")), 1, f"{form}: OK [EXPUNGEISSUED]")
                untagged(a, "ESEARCH")
                numbers = [int(x) for x in re.findall(rb"\d+", b" ".join(d for d in data if d))]
                if form != "ESEARCH":
                    self.assertNotIn(uid if form == "UID SEARCH" else seq, numbers, f"{form}: {data}")
                # A set that leaves the expunged message out gets a plain OK.
                if form == "SEARCH" and seq > 1:
                    ok(a.search(None, f"1:{seq - 1}"))
                    self.assertFalse(untagged(a, "EXPUNGEISSUED"), "a set without the expunged message")
                # The EXPUNGE, with the number the client knew, comes at the
                # latest with NOOP (UID SEARCH may report it at once).
                ok(a.noop())
                self.assertEqual(untagged(a, "EXPUNGE"), [str(seq).encode()], form)
                ok(a.search(None, "ALL"))
                self.assertFalse(untagged(a, "EXPUNGEISSUED"), f"{form}: reported, so a plain OK again")
        finally:
            a.logout()
            b.logout()

    def test_idle_woken_by_delivery_and_by_other_session(self):
        a = Line(self.p, DEMO2)
        exists = int([x for x in a.cmd("SELECT INBOX") if x.endswith(b"EXISTS")][0].split()[1])
        a.send(b"i1 IDLE\r\n")
        self.assertTrue(a.line().startswith(b"+ "))
        deliver(self.p, DEMO2, "during idle", "idle1@test")
        started = time.monotonic()
        self.assertEqual(a.line(), b"* %d EXISTS" % (exists + 1))
        self.assertEqual(a.line(), b"* 1 RECENT", "the new message is this session's \\Recent one")
        self.assertLess(time.monotonic() - started, 15, "woken by the event, not a poll")
        b = Line(self.p, DEMO2)
        b.cmd("SELECT INBOX")
        b.cmd(f"STORE {exists + 1} +FLAGS (\\Flagged)")
        self.assertRegex(a.line(), rb"^\* %d FETCH \(UID \d+ FLAGS \(\\Recent \\Flagged\)" % (exists + 1))
        a.send(b"DONE\r\n")
        self.assertTrue(a.until("i1")[-1].startswith(b"i1 OK"))
        a.close()
        b.close()

    def test_recent_belongs_to_one_session(self):
        deliver(self.p, DEMO2, "fresh", "recent1@test")
        self.p.wait_message(DEMO2, b"recent1@test")
        a, b = Line(self.p, DEMO2), Line(self.p, DEMO2)
        unclaimed = int(re.search(rb"RECENT (\d+)", a.cmd("STATUS INBOX (RECENT)")[0]).group(1))
        self.assertGreaterEqual(unclaimed, 1)
        self.assertIn(b"* %d RECENT" % unclaimed, a.cmd("SELECT INBOX"))
        self.assertIn(b"* 0 RECENT", b.cmd("SELECT INBOX"), "the first session to select took it")
        self.assertRegex(a.cmd("SEARCH NEW")[0], rb"^\* SEARCH \d+$")
        self.assertEqual(b.cmd("SEARCH RECENT")[0], b"* SEARCH")
        self.assertIn(b"\\Recent", a.cmd("FETCH * (FLAGS)")[0])
        self.assertIn(b"RECENT 0", b.cmd("STATUS INBOX (RECENT)")[0])
        a.close()
        b.close()

    def test_condstore_and_qresync(self):
        c = Line(self.p, DEMO2)
        self.assertIn(b"* ENABLED QRESYNC", c.cmd("ENABLE QRESYNC")[0])
        lines = c.cmd("SELECT INBOX")
        validity = int(re.search(rb"UIDVALIDITY (\d+)", b"".join(lines)).group(1))
        modseq = int(re.search(rb"HIGHESTMODSEQ (\d+)", b"".join(lines)).group(1))
        lines = c.cmd("UID STORE 1:* (UNCHANGEDSINCE 1) +FLAGS (\\Seen)")
        self.assertIn(b"[MODIFIED ", lines[-1])
        lines = c.cmd("STORE 1 +FLAGS ($Cond)")
        new = int(re.search(rb"MODSEQ \((\d+)\)", b"".join(lines)).group(1))
        self.assertGreater(new, modseq)
        lines = c.cmd(f"FETCH 1:* (FLAGS) (CHANGEDSINCE {modseq})")
        self.assertEqual(len([x for x in lines if x.startswith(b"* ") and b"FETCH" in x]), 1, lines)
        uid = int(re.search(rb"UID (\d+)", lines[0]).group(1))
        c.cmd(f"UID STORE {uid} +FLAGS (\\Deleted)")
        lines = c.cmd(f"UID EXPUNGE {uid}")
        self.assertIn(b"* VANISHED %d" % uid, lines)
        c.cmd("UNSELECT")
        # Resynchronize from the old modseq: the expunge and the flag change.
        lines = c.cmd(f"SELECT INBOX (QRESYNC ({validity} {modseq}))")
        self.assertIn(b"* VANISHED (EARLIER) %d" % uid, lines)
        c.close()


class Shared(unittest.TestCase):
    """ACL (RFC 4314): a user grants another rights on a mailbox, which the
    other reaches as ~owner/name."""

    @classmethod
    def setUpClass(cls):
        cls.p = MailServer(imapd=f'public_admins = ["{DEMO}"]').start()
        deliver(cls.p, DEMO, "shared one", "s1@test")
        cls.p.wait_mail(DEMO, 1)

    @classmethod
    def tearDownClass(cls):
        cls.p.__exit__(None, None, None)

    def test_grant_list_read_and_revoke(self):
        owner = Line(self.p, DEMO)
        other = Line(self.p, DEMO2)
        self.assertIn(b"NO [NONEXISTENT]", other.cmd(f'SELECT "~{DEMO}/INBOX"')[-1])
        self.assertIn(b"OK", owner.cmd(f"SETACL INBOX {DEMO2} lr")[-1])
        self.assertIn(b"* ACL INBOX %s lrswipkxtea %s lr" % (DEMO.encode(), DEMO2.encode()), owner.cmd("GETACL INBOX"))
        lines = other.cmd('LIST "" "~*"')
        self.assertIn(b'* LIST (\\HasNoChildren) "/" ~%s/INBOX' % DEMO.encode(), lines)
        self.assertIn(b"[READ-ONLY]", other.cmd(f'SELECT "~{DEMO}/INBOX"')[-1])
        self.assertIn(b"Subject: shared one", b"".join(other.cmd("FETCH 1 (BODY.PEEK[HEADER])")))
        self.assertEqual(other.cmd(f'MYRIGHTS "~{DEMO}/INBOX"')[0], b'* MYRIGHTS ~%s/INBOX lr' % DEMO.encode())
        self.assertIn(b"NO", other.cmd("STORE 1 +FLAGS (\\Deleted)")[-1])
        self.assertIn(b"NO [NOPERM]", other.cmd(f'SETACL "~{DEMO}/INBOX" {DEMO2} lrswi')[-1])
        self.assertIn(b"OK", owner.cmd(f"DELETEACL INBOX {DEMO2}")[-1])
        other.cmd("UNSELECT")
        self.assertIn(b"NO", other.cmd(f'SELECT "~{DEMO}/INBOX"')[-1])
        owner.close()
        other.close()


    def test_public_namespace(self):
        admin = Line(self.p, DEMO)
        reader = Line(self.p, DEMO2)
        self.assertIn(b"NO [NOPERM]", reader.cmd('CREATE "#public/Mine"')[-1])
        self.assertIn(b"OK", admin.cmd('CREATE "#public/News"')[-1])
        self.assertIn(b"OK", admin.cmd('APPEND "#public/News" {22+}\r\nSubject: news\r\n\r\nhello')[-1])
        self.assertEqual(reader.cmd('LIST "" "#public/*"')[:-1], [])
        self.assertIn(b"OK", admin.cmd('SETACL "#public/News" anyone lr')[-1])
        self.assertIn(b'* LIST (\\HasNoChildren) "/" #public/News', reader.cmd('LIST "" "#public/*"'))
        lines = reader.cmd('EXAMINE "#public/News"')
        self.assertIn(b"* 1 EXISTS", lines)
        self.assertIn(b"Subject: news", b"".join(reader.cmd("FETCH 1 (BODY.PEEK[HEADER])")))
        self.assertIn(b"NO [NOPERM]", reader.cmd('APPEND "#public/News" {5+}\r\nhello')[-1])
        admin.close()
        reader.close()


class BadInput(unittest.TestCase):
    """Hostile and broken input gets BAD, the session goes on, memory stays bounded."""

    @classmethod
    def setUpClass(cls):
        cls.p = MailServer(imapd="max_errors = 50").start()

    @classmethod
    def tearDownClass(cls):
        cls.p.__exit__(None, None, None)

    def test_malformed_commands(self):
        c = Line(self.p)
        self.assertIn(b"BAD", c.cmd("APPEND INBOX {1073741824}")[-1])  # refused before any data
        self.assertIn(b"BAD", c.cmd("FETCH 0:1 FLAGS")[-1])
        self.assertIn(b"BAD", c.cmd("SELECT")[-1])
        self.assertIn(b"BAD", c.cmd("FROB")[-1])
        self.assertIn(b"BAD", c.cmd("SEARCH " + "(" * 200 + "ALL" + ")" * 200)[-1])
        self.assertIn(b"BAD", c.cmd("FETCH 1:x (FLAGS)")[-1])
        self.assertIn(b"BAD", c.cmd('LIST "unterminated')[-1])
        self.assertIn(b"BAD", c.cmd("NOOP " + "x" * 100000)[-1])
        # A non-synchronizing literal too big is refused at once, and its
        # data is read and dropped, not stored.
        c.send(b"z1 APPEND INBOX {70000000+}\r\n")
        self.assertIn(b"z1 BAD [TOOBIG]", c.until("z1")[-1])
        chunk = b"x" * (1 << 20)
        for _ in range(66):
            c.send(chunk)
        c.send(b"x" * (70000000 - 66 * len(chunk)) + b"\r\n")
        self.assertIn(b"OK", c.cmd("NOOP")[-1], "the session goes on")
        c.close()

    def test_too_many_errors_close_the_session(self):
        c = Line(self.p)
        for _ in range(49):
            self.assertIn(b"BAD", c.cmd("FROB")[-1])
        self.assertIn(b"BAD", c.cmd("FROB")[-1])
        self.assertTrue(c.line().startswith(b"* BYE"))
        with self.assertRaises(ConnectionError):
            c.line()
        c.close()


if __name__ == "__main__":
    unittest.main()
