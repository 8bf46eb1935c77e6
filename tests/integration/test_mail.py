"""The mail path end to end: smtpd -> router -> dequeuer -> local-delivery
(and outbound SMTP), driven by independent clients: Python's smtplib,
swaks, raw sockets for what clients never send, and Debian's aiosmtpd as
the remote server. Mailbox contents are read back with tests/tools/store_dump
(until imapd serves them)."""

import base64
import grp
import imaplib
import json
import os
import pwd
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, IS_ROOT, Parley, free_port, ipc_call, wait_for  # noqa: E402

SINK = os.path.join(os.path.dirname(__file__), "smtp_sink.py")
DEBIAN_PYTHON = "/usr/bin/python3"


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def make_cert(cert, key, cn):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={cn}"], check=True, capture_output=True)
    # The key must be readable by parley-smtpd (a test key; a real one is 0640 root:parley-smtpd).
    os.chmod(key, 0o644)
    os.chmod(cert, 0o644)


def served_cert(port, servername=None, version="-tls1_2"):
    """openssl s_client's view of the smtps listener: (handshake ok, subject CN)."""
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", version]
    if servername:
        cmd += ["-servername", servername]
    if version == "-tls1_1":
        cmd += ["-cipher", "DEFAULT@SECLEVEL=0"]  # so the client itself is willing to speak TLS 1.1
    r = subprocess.run(cmd, input="QUIT\n", capture_output=True, text=True, timeout=30)
    subject = next((l for l in r.stdout.splitlines() if l.startswith("subject=")), "")
    return r.returncode == 0 and "Cipher is (NONE)" not in r.stdout, subject.split("CN = ")[-1] if subject else ""


class Sink:
    """An aiosmtpd server on a free port, as the remote MX."""

    def __init__(self, mode="accept"):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="parley-sink-")
        self.proc = subprocess.Popen([DEBIAN_PYTHON, SINK, str(self.port), self.dir, mode],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        assert line.strip() == "ready", f"sink did not start: {line}"

    def messages(self):
        out = []
        for name in sorted(os.listdir(self.dir)):
            if name.endswith(".json"):
                with open(os.path.join(self.dir, name)) as f:
                    out.append(json.load(f))
        return out

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class MailServer(Parley):
    """parleyd with the mail processes, a self-signed certificate, and the
    remote domain remote.test routed to a sink."""

    def __init__(self, sink_port=None, smtpd="", dequeuer="", router="", extra_certs=(), imapd=""):
        self.smtp_port, self.submission_port, self.smtps_port = free_port(), free_port(), free_port()
        self.pop3_port, self.pop3s_port = free_port(), free_port()
        self.imap_port, self.imaps_port = free_port(), free_port()
        self.sink_port = sink_port or free_port()
        tls_dir = tempfile.mkdtemp(prefix="parley-tls-")
        os.chmod(tls_dir, 0o755)
        self.cert, self.key = os.path.join(tls_dir, "cert.pem"), os.path.join(tls_dir, "key.pem")
        make_cert(self.cert, self.key, "mail.example.test")
        self.tls_dir = tls_dir
        certs = ", ".join([f'"default={self.cert},{self.key}"'] + [f'"{c}"' for c in extra_certs])
        sections = f"""[directory]
argon2_memory_kib = 1024
argon2_iterations = 1
first_run_domain = "example.test"
first_run_accounts = ["postmaster", "demo", "demo2"]
first_run_password_file = "PASSWORDS"
[smtpd]
tls_certificates = [{certs}]
error_delay_ms = 0
{smtpd}
[imapd]
tls_certificates = [{certs}]
{imapd}
[router]
{router}
[dequeuer]
routes = ["remote.test=127.0.0.1:{self.sink_port}"]
retry_first_s = 1
{dequeuer}
"""
        processes = {
            "directory": [],
            "local-delivery": [],
            "imapd": [f"pop3=tcp:127.0.0.1:{self.pop3_port}", f"pop3s=tcp:127.0.0.1:{self.pop3s_port}",
                      f"imap=tcp:127.0.0.1:{self.imap_port}", f"imaps=tcp:127.0.0.1:{self.imaps_port}"],
            "dequeuer": [],
            "router": [],
            "smtpd": [f"smtp=tcp:127.0.0.1:{self.smtp_port}", f"submission=tcp:127.0.0.1:{self.submission_port}",
                      f"smtps=tcp:127.0.0.1:{self.smtps_port}", "local=unix:SUBMIT"],
        }
        super().__init__(processes=processes, sections=sections, extra_server='hostname = "mail.example.test"')
        self.submit_socket = os.path.join(self.dir, "submit.sock")
        self.write_config(self.config_text().replace("PASSWORDS", os.path.join(self.dir, "passwords"))
                          .replace("SUBMIT", self.submit_socket))

    def __exit__(self, *exc):
        super().__exit__(*exc)
        shutil.rmtree(self.tls_dir, ignore_errors=True)
        return False

    def password(self, account):
        wait_for(lambda: os.path.exists(os.path.join(self.dir, "passwords")), what="first-run passwords")
        with open(os.path.join(self.dir, "passwords")) as f:
            return dict(line.rstrip("\n").split("\t") for line in f if line.strip())[account]

    def mailbox(self, account):
        r = subprocess.run([os.path.join(BIN, "store_dump"), os.path.join(self.dir, "data", "store", "index"), account],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        out = []
        for line in r.stdout.splitlines():
            d = json.loads(line)
            d["body"] = base64.b64decode(d["body"])
            out.append(d)
        return out

    def wait_mail(self, account, count, timeout=20.0):
        return wait_for(lambda: (lambda m: m if len(m) >= count else None)(self.mailbox(account)), timeout=timeout,
                        what=f"{count} message(s) for {account}")

    def wait_message(self, account, needle, timeout=20.0):
        """The messages of `account` that contain `needle`, once there is one."""
        return wait_for(lambda: [m for m in self.mailbox(account) if needle in m["body"]] or None, timeout=timeout,
                        what=f"a message with {needle!r} for {account}")

    def smtp(self):
        return smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=30)

    def submission(self, account="demo@example.test"):
        s = smtplib.SMTP("127.0.0.1", self.submission_port, timeout=30)
        s.starttls(context=tls_context())
        s.login(account, self.password(account))
        return s

    def queue_empty(self):
        r = self.ctl("--json", "queue", "list")
        return r.returncode == 0 and not json.loads(r.stdout or "[]")


def message(subject, msg_id, body="Hello.\r\n", headers=""):
    return (f"From: sender@outside.test\r\nTo: demo@example.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <{msg_id}>\r\n{headers}\r\n{body}").encode()


class Raw:
    """A raw SMTP connection, for what real clients never send."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        self.reply()  # greeting

    def send(self, data):
        self.s.sendall(data)

    def reply(self):
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.s.recv(65536)
                if not chunk:
                    return lines
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode("latin-1"))
            if len(line) < 4 or line[3:4] != b"-":
                return lines

    def cmd(self, line):
        self.send(line + b"\r\n")
        return self.reply()

    def close(self):
        self.s.close()


class Delivery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rules = 'rules = ["sales@example.test = demo2@example.test", "gone@example.test = error:550 5.1.6 gone; see the web site"]'
        cls.p = MailServer(router=rules).start()

    @classmethod
    def tearDownClass(cls):
        cls.p.__exit__(None, None, None)

    def test_local_delivery_adds_trace_headers(self):
        with self.p.smtp() as s:
            refused = s.sendmail("sender@outside.test", ["Demo@Example.Test"], message("local", "local-1@test"))
        self.assertEqual(refused, {})
        m = self.p.wait_message("demo@example.test", b"local-1@test")
        self.assertEqual(len(m), 1)
        body = m[0]["body"]
        self.assertTrue(body.startswith(b"Return-Path: <sender@outside.test>\r\nDelivered-To: demo@example.test\r\nReceived: "), body[:200])
        self.assertIn(b"by mail.example.test with ESMTP", body)
        self.assertTrue(body.endswith(b"\r\n\r\nHello.\r\n"))
        self.assertEqual(m[0]["mailbox"], "INBOX")

    def test_mailbox_status_counts_deliveries_and_reading(self):
        """local.mailbox_status (sipd's question for message-summary) as
        deliveries over SMTP and an IMAP client's \\Seen change the INBOX."""
        def status(account, mailbox="INBOX"):
            return ipc_call(self.p, "local-delivery", "status", "local.mailbox_status",
                            [{"account": account, "mailbox": mailbox, "sid": "test"}])[0]

        account = "demo2@example.test"
        before = status(account)
        with self.p.smtp() as s:
            s.sendmail("sender@outside.test", [account], message("counted", "counted-1@test"))
        self.p.wait_message(account, b"counted-1@test")
        after = status(account)
        self.assertEqual(after["messages"], before["messages"] + 1)
        self.assertEqual(after["unseen"], before["unseen"] + 1)
        # An IMAP client reads it: one fewer unseen, as many messages.
        imap = imaplib.IMAP4("127.0.0.1", self.p.imap_port, timeout=30)
        imap.starttls(ssl_context=tls_context())
        imap.login(account, self.p.password(account))
        imap.select("INBOX")
        typ, found = imap.uid("SEARCH", None, "HEADER", "Message-ID", "counted-1@test")
        self.assertEqual(typ, "OK")
        uids = found[0].split()
        self.assertEqual(len(uids), 1)
        imap.uid("STORE", uids[0], "+FLAGS", "(\\Seen)")
        read = status(account)
        self.assertEqual(read["messages"], after["messages"])
        self.assertEqual(read["unseen"], after["unseen"] - 1)
        imap.logout()
        # Unknown accounts have nothing waiting; junk is refused.
        self.assertEqual(status("nobody@example.test"), {"messages": 0, "unseen": 0})
        self.assertEqual(status("#public")["code"], "invalid")
        self.assertEqual(status("demo2@example.test", "x" * 300)["code"], "invalid")

    def test_unknown_user_and_relay_refused_at_rcpt(self):
        with self.p.smtp() as s:
            s.ehlo()
            s.mail("sender@outside.test")
            self.assertEqual(s.rcpt("nobody@example.test")[0], 550)
            code, text = s.rcpt("someone@remote.test")
            self.assertEqual((code, text[:5]), (554, b"5.7.1"))
            self.assertIn(b"elaying denied", text)
            self.assertEqual(s.rcpt("demo2@example.test")[0], 250, "the session goes on")

    def test_postmaster_without_a_mailbox_reaches_the_main_postmaster(self):
        # RFC 5321 4.5.1. The host name mail.example.test is not a local
        # domain; its parent example.test is, with the postmaster account.
        for n, rcpt in enumerate(["postmaster", "PostMaster", "POSTMASTER@Mail.Example.Test"]):
            with self.p.smtp() as s:
                s.ehlo()
                s.mail("sender@outside.test")
                self.assertEqual(s.rcpt(rcpt)[0], 250, rcpt)  # smtplib sends <postmaster>, <PostMaster>
                self.assertEqual(s.data(message("to postmaster", f"pm-{n}@test"))[0], 250)
        for n in range(3):
            m = self.p.wait_message("postmaster@example.test", f"pm-{n}@test".encode())
            self.assertEqual(len(m), 1, n)
        # A local domain without a postmaster address of its own, whatever its
        # policy for unknown users, takes mail for postmaster too.
        self.assertEqual(self.p.ctl("domain", "add", "second.test").returncode, 0)
        self.assertEqual(self.p.ctl("domain", "add", "discard.test").returncode, 0)
        self.assertEqual(self.p.ctl("domain", "set", "discard.test", "unknown=discard").returncode, 0)
        with self.p.smtp() as s:
            s.ehlo()
            s.mail("sender@outside.test")
            self.assertEqual(s.rcpt("nobody@second.test")[0], 550, "other unknown users are still refused")
            self.assertEqual(s.rcpt("Postmaster@Second.Test")[0], 250)
            self.assertEqual(s.rcpt("postmaster@discard.test")[0], 250)
            self.assertEqual(s.data(message("other domains", "pm-other@test"))[0], 250)
        self.p.wait_message("postmaster@example.test", b"pm-other@test")
        time.sleep(0.5)
        m = [x for x in self.p.mailbox("postmaster@example.test") if b"pm-other@test" in x["body"]]
        self.assertEqual(len(m), 1, "one copy for both addresses")

    def test_router_rules_apply_at_rcpt_and_in_routing(self):
        with self.p.smtp() as s:
            s.ehlo()
            s.mail("sender@outside.test")
            self.assertEqual(s.rcpt("gone@example.test"), (550, b"5.1.6 gone; see the web site"))
            self.assertEqual(s.rcpt("sales@example.test")[0], 250, "a rewritten address is ours")
            s.data(message("rules", "rules-1@test"))
        m = self.p.wait_message("demo2@example.test", b"rules-1@test")
        self.assertEqual(len(m), 1)

    def test_routing_loop_is_refused(self):
        loop = "".join(f"Received: from hop{n}.test by hop{n + 1}.test; Sun, 22 Nov 2026 00:00:00 +0000\r\n" for n in range(50))
        with self.p.smtp() as s:
            with self.assertRaises(smtplib.SMTPDataError) as e:
                s.sendmail("sender@outside.test", ["demo@example.test"], message("loop", "loop-1@test", headers=loop))
        self.assertEqual((e.exception.smtp_code, e.exception.smtp_error[:5]), (554, b"5.4.6"))

    def test_over_quota_is_deferred_not_lost(self):
        r = self.p.ctl("account", "set", "postmaster@example.test", "quota_bytes=2000")
        self.assertEqual(r.returncode, 0, r.stderr)
        with self.p.smtp() as s:
            s.sendmail("sender@outside.test", ["postmaster@example.test"], message("big", "quota-1@test", body=("x" * 70 + "\r\n") * 40))

        def deferred():
            r = self.p.ctl("--json", "queue", "list")
            listed = json.loads(r.stdout).get("messages", []) if r.returncode == 0 else []
            return [m for m in listed if "4.2.2" in m.get("last_reply", "")] or None
        wait_for(deferred, what="the message deferred with 452 4.2.2")
        self.assertEqual(self.p.mailbox("postmaster@example.test"), [])
        r = self.p.ctl("account", "set", "postmaster@example.test", "quota_bytes=0")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.p.ctl("queue", "flush")
        self.p.wait_message("postmaster@example.test", b"quota-1@test")

    def test_no_auth_before_tls(self):
        s = smtplib.SMTP("127.0.0.1", self.p.submission_port, timeout=30)
        s.ehlo()
        self.assertFalse(s.has_extn("auth"), "AUTH is not offered in plain text")
        self.assertTrue(s.has_extn("starttls"))
        code, _ = s.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0demo@example.test\0x").decode())
        self.assertEqual(code, 538)
        code, _ = s.docmd("MAIL", "FROM:<demo@example.test>")
        self.assertEqual(code, 530, "submission needs authentication")
        s.quit()

    def test_submission_with_auth_and_wrong_password(self):
        s = smtplib.SMTP("127.0.0.1", self.p.submission_port, timeout=30)
        s.starttls(context=tls_context())
        s.ehlo()
        self.assertIn("SCRAM-SHA-256", s.esmtp_features["auth"])
        with self.assertRaises(smtplib.SMTPAuthenticationError):
            s.login("demo@example.test", "wrong password")
        s.quit()
        with self.p.submission() as s:
            s.sendmail("demo@example.test", ["demo2@example.test"], message("submitted", "sub-1@test"))
        m = self.p.wait_message("demo2@example.test", b"sub-1@test")
        self.assertEqual(len(m), 1)
        self.assertIn(b"with ESMTPSA", m[0]["body"])

    def test_implicit_tls_and_swaks_starttls_auth(self):
        s = smtplib.SMTP_SSL("127.0.0.1", self.p.smtps_port, timeout=30, context=tls_context())
        s.login("demo2@example.test", self.p.password("demo2@example.test"))
        s.sendmail("demo2@example.test", ["demo@example.test"], message("smtps", "smtps-1@test"))
        s.quit()
        r = subprocess.run(["swaks", "--server", f"127.0.0.1:{self.p.submission_port}", "--tls", "--auth", "LOGIN",
                            "--auth-user", "demo@example.test", "--auth-password", self.p.password("demo@example.test"),
                            "--from", "demo@example.test", "--to", "demo2@example.test",
                            "--header", "Message-ID: <swaks-1@test>", "--body", "from swaks"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("250 2.0.0 Ok: queued as", r.stdout)
        wait_for(lambda: any(b"smtps-1@test" in x["body"] for x in self.p.mailbox("demo@example.test")), what="smtps message")
        wait_for(lambda: any(b"swaks-1@test" in x["body"] for x in self.p.mailbox("demo2@example.test")), what="swaks message")

    def test_8bitmime_and_smtputf8(self):
        body = "Grüße, ☃\r\n".encode()
        msg = b"From: j@outside.test\r\nSubject: utf8\r\nMessage-ID: <utf8-1@test>\r\n\r\n" + body
        with self.p.smtp() as s:
            s.ehlo()
            self.assertTrue(s.has_extn("8bitmime") and s.has_extn("smtputf8"))
            s.sendmail("jürgen@outside.test", ["demo@example.test"], msg, mail_options=["BODY=8BITMIME", "SMTPUTF8"])
        m = self.p.wait_message("demo@example.test", b"utf8-1@test")
        self.assertEqual(len(m), 1)
        self.assertTrue(m[0]["body"].endswith(body), "8-bit body kept as is")
        self.assertIn("Return-Path: <jürgen@outside.test>".encode(), m[0]["body"])
        self.assertIn(b"with UTF8SMTP", m[0]["body"])
        raw = Raw(self.p.smtp_port)
        raw.cmd(b"EHLO client.test")
        self.assertTrue(raw.cmd("MAIL FROM:<jürgen@outside.test>".encode())[0].startswith("5"), "UTF-8 needs SMTPUTF8")
        raw.close()

    def test_bdat_chunking(self):
        raw = Raw(self.p.smtp_port)
        self.assertIn("250-CHUNKING", raw.cmd(b"EHLO client.test"))
        first = b"From: a@outside.test\r\nSubject: bdat\r\nMessage-ID: <bdat-1@test>\r\n\r\n"
        second = b"line one\r\n.line starting with a dot\r\n"
        raw.send(b"MAIL FROM:<a@outside.test>\r\nRCPT TO:<demo@example.test>\r\n")
        self.assertTrue(raw.reply()[0].startswith("250"))
        self.assertTrue(raw.reply()[0].startswith("250"))
        raw.send(b"BDAT %d\r\n" % len(first) + first)
        self.assertEqual(raw.reply(), [f"250 2.0.0 {len(first)} octets received"])
        raw.send(b"BDAT %d LAST\r\n" % len(second) + second)
        self.assertTrue(raw.reply()[0].startswith("250 2.0.0 Ok: queued as"))
        raw.cmd(b"QUIT")
        raw.close()
        m = self.p.wait_message("demo@example.test", b"bdat-1@test")
        self.assertEqual(len(m), 1)
        self.assertTrue(m[0]["body"].endswith(first + second), "BDAT data is taken as is (no dot handling)")

    def test_dsn_notify_success(self):
        with self.p.submission("demo2@example.test") as s:
            s.sendmail("demo2@example.test", ["demo@example.test"], message("dsn", "dsn-1@test"),
                       mail_options=["RET=HDRS", "ENVID=env-42"], rcpt_options=["NOTIFY=SUCCESS,FAILURE"])
        wait_for(lambda: any(b"dsn-1@test" in x["body"] for x in self.p.mailbox("demo@example.test")), what="message")
        reports = wait_for(lambda: [x["body"] for x in self.p.mailbox("demo2@example.test")
                                    if b"report-type=delivery-status" in x["body"]], what="success report")
        report = reports[0]
        self.assertIn(b"Return-Path: <>", report)
        self.assertIn(b"Action: delivered", report)
        self.assertIn(b"Final-Recipient: rfc822; demo@example.test", report)
        self.assertIn(b"Original-Envelope-Id: env-42", report)
        self.assertIn(b"Message-ID: <dsn-1@test>", report, "the original's header comes back")


class Tls(unittest.TestCase):
    def test_versions_sni_and_reload(self):
        tls_dir = tempfile.mkdtemp(prefix="parley-tls-")
        os.chmod(tls_dir, 0o755)
        self.addCleanup(shutil.rmtree, tls_dir, True)
        sni_cert, sni_key = os.path.join(tls_dir, "sni.pem"), os.path.join(tls_dir, "sni.key")
        make_cert(sni_cert, sni_key, "sni.example.test")
        with MailServer(extra_certs=[f"sni.example.test={sni_cert},{sni_key}"]) as p:
            self.assertEqual(served_cert(p.smtps_port), (True, "mail.example.test"))
            self.assertEqual(served_cert(p.smtps_port, "sni.example.test"), (True, "sni.example.test"))
            self.assertEqual(served_cert(p.smtps_port, "other.example.test"), (True, "mail.example.test"))
            self.assertTrue(served_cert(p.smtps_port, version="-tls1_3")[0])
            self.assertFalse(served_cert(p.smtps_port, version="-tls1_1")[0], "TLS 1.1 is refused")
            # STARTTLS on 25 and 587 uses the same certificates.
            r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{p.smtp_port}", "-starttls", "smtp"],
                               input="QUIT\n", capture_output=True, text=True, timeout=30)
            self.assertIn("CN = mail.example.test", r.stdout)
            # A renewed certificate at the same path is served after a reload.
            make_cert(p.cert, p.key, "renewed.example.test")
            self.assertEqual(p.ctl("reload").returncode, 0)
            wait_for(lambda: served_cert(p.smtps_port)[1] == "renewed.example.test", what="the renewed certificate")


class Pop3(unittest.TestCase):
    """POP3 over the mail store, with Python's poplib."""

    @classmethod
    def setUpClass(cls):
        cls.p = MailServer().start()
        with cls.p.smtp() as s:
            for n in range(3):
                s.sendmail("sender@outside.test", ["demo2@example.test"],
                           message(f"pop {n}", f"pop-{n}@test", body=f".dotted line {n}\r\nline two\r\nline three\r\n"))
        cls.p.wait_mail("demo2@example.test", 3)

    @classmethod
    def tearDownClass(cls):
        cls.p.__exit__(None, None, None)

    def test_no_password_before_stls_then_retr_top_dele(self):
        import poplib
        pop = poplib.POP3("127.0.0.1", self.p.pop3_port, timeout=30)
        caps = pop.capa()
        self.assertIn("STLS", caps)
        self.assertNotIn("USER", caps, "no plain-text passwords before TLS")
        with self.assertRaises(poplib.error_proto) as e:
            pop.user("demo2@example.test")
        self.assertIn(b"[AUTH]", e.exception.args[0])
        pop.stls(context=tls_context())
        caps = pop.capa()
        self.assertIn("USER", caps)
        self.assertIn("SCRAM-SHA-256", caps["SASL"])
        pop.user("demo2@example.test")
        pop.pass_(self.p.password("demo2@example.test"))
        count, octets = pop.stat()
        self.assertEqual(count, 3)
        sizes = [int(line.split()[1]) for line in pop.list()[1]]
        self.assertEqual(sum(sizes), octets)
        uids = [line.split()[1] for line in pop.uidl()[1]]
        self.assertEqual(len(set(uids)), 3)
        lines = pop.retr(1)[1]
        self.assertIn(b"Message-ID: <pop-0@test>", lines)
        self.assertIn(b".dotted line 0", lines, "byte-stuffing undone by the client")
        top = pop.top(2, 1)[1]
        self.assertIn(b"Subject: pop 1", top)
        self.assertIn(b".dotted line 1", top)
        self.assertNotIn(b"line two", top, "TOP 2 1: the header and one body line")
        pop.dele(1)
        self.assertEqual(pop.stat()[0], 2)
        pop.rset()
        self.assertEqual(pop.stat()[0], 3)
        pop.dele(3)
        pop.quit()
        remaining = self.p.mailbox("demo2@example.test")
        self.assertEqual(len(remaining), 2, "QUIT expunged the deleted message")
        self.assertFalse(any(b"pop-2@test" in m["body"] for m in remaining))
        # The unique ids stay the same in the next session.
        pop = poplib.POP3_SSL("127.0.0.1", self.p.pop3s_port, timeout=30, context=tls_context())
        pop.user("demo2@example.test")
        pop.pass_(self.p.password("demo2@example.test"))
        self.assertEqual([line.split()[1] for line in pop.uidl()[1]], uids[:2])
        pop.quit()

    def test_sasl_plain_and_failures(self):
        import poplib
        holder = poplib.POP3_SSL("127.0.0.1", self.p.pop3s_port, timeout=30, context=tls_context())
        holder.user("demo@example.test")
        holder.pass_(self.p.password("demo@example.test"))
        second = poplib.POP3_SSL("127.0.0.1", self.p.pop3s_port, timeout=30, context=tls_context())
        second.user("demo@example.test")
        with self.assertRaises(poplib.error_proto) as e:
            second.pass_(self.p.password("demo@example.test"))
        self.assertIn(b"[IN-USE]", e.exception.args[0], "one POP3 session per maildrop")
        holder.quit()
        second.user("demo@example.test")
        second.pass_(self.p.password("demo@example.test"))
        second.quit()
        pop = poplib.POP3_SSL("127.0.0.1", self.p.pop3s_port, timeout=30, context=tls_context())
        with self.assertRaises(poplib.error_proto) as e:
            pop._shortcmd("AUTH PLAIN " + base64.b64encode(b"\0demo2@example.test\0wrong").decode())
        self.assertIn(b"[AUTH]", e.exception.args[0])
        creds = b"\0demo2@example.test\0" + self.p.password("demo2@example.test").encode()
        self.assertTrue(pop._shortcmd("AUTH PLAIN " + base64.b64encode(creds).decode()).startswith(b"+OK"))
        self.assertTrue(pop.noop().startswith(b"+OK"))
        with self.assertRaises(poplib.error_proto):
            pop.retr(99)
        pop.quit()


class Sendmail(unittest.TestCase):
    """The sendmail command, run by a local user, hands mail over smtpd's
    local socket."""

    @classmethod
    def setUpClass(cls):
        cls.sink = Sink("accept")
        cls.p = MailServer(sink_port=cls.sink.port).start()
        cls.user = "nobody" if IS_ROOT else None  # a local user without any privilege

    @classmethod
    def tearDownClass(cls):
        cls.p.__exit__(None, None, None)
        cls.sink.stop()

    def sendmail(self, args, text):
        from harness import as_user
        cmd = as_user(self.user, [os.path.join(BIN, "sendmail"), *args])
        env = dict(os.environ, PARLEY_SUBMIT_SOCKET=self.p.submit_socket)
        return subprocess.run(cmd, input=text.encode(), capture_output=True, env=env, timeout=60)

    def test_recipients_as_arguments_with_lf_line_ends(self):
        r = self.sendmail(["-oi", "-f", "cron@example.test", "demo@example.test"],
                          "Subject: from cron\n\n.single dot below\n.\nstill the body\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        m = self.p.wait_message("demo@example.test", b"Subject: from cron")[0]["body"]
        self.assertIn(b"Return-Path: <cron@example.test>", m)
        self.assertIn(b"\r\n.single dot below\r\n.\r\nstill the body\r\n", m, "-oi: dots are data; LF became CRLF")
        for header in (b"\r\nDate: ", b"\r\nMessage-ID: <", b"\r\nFrom: <cron@example.test>"):
            self.assertIn(header, m, "sendmail adds what the message lacks")

    def test_t_reads_recipients_and_drops_bcc(self):
        r = self.sendmail(["-t"], "To: Demo <demo@example.test>\nCc: far@remote.test\nBcc: demo2@example.test\n"
                                  "Subject: with -t\n\nbody\n.\nnot sent: a lone dot ends input without -i\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        for account in ("demo@example.test", "demo2@example.test"):
            m = self.p.wait_message(account, b"Subject: with -t")[0]["body"]
            self.assertNotIn(b"Bcc:", m)
            self.assertNotIn(b"not sent", m)
        sent = wait_for(lambda: [x for x in self.sink.messages() if "with -t" in x["data"]] or None, what="the remote copy")
        self.assertEqual(sent[0]["rcpt_tos"], ["far@remote.test"], "a local program may send out")

    def test_refused_recipient_and_no_recipient(self):
        r = self.sendmail(["nobody@example.test"], "Subject: x\n\nx\n")
        self.assertEqual(r.returncode, 67, r.stderr)
        self.assertIn(b"550", r.stderr)
        r = self.sendmail([], "Subject: x\n\nx\n")
        self.assertEqual(r.returncode, 64)

    def reconfigure(self, smtpd_lines):
        """parley.conf with these lines in [smtpd]; reloaded, and smtpd has applied it."""
        text = self.p.config_text().replace("PASSWORDS", os.path.join(self.p.dir, "passwords")) \
            .replace("SUBMIT", self.p.submit_socket).replace("[smtpd]\n", "[smtpd]\n" + smtpd_lines + "\n", 1)
        self.p.write_config(text)
        applied = self.p.log("smtpd").count("smtp.reload.ok")
        r = self.p.ctl("reload", by_socket=True)  # parleyctl itself would not read a bad file
        if r.returncode == 0:
            wait_for(lambda: self.p.log("smtpd").count("smtp.reload.ok") > applied, what="smtpd applied the reload")
        return r

    def test_submit_users_and_groups(self):
        """smtpd.submit_users/submit_groups: only those listed may submit
        (Postfix's authorized_submit_users); others get 550 5.7.1 and
        sendmail exits 77 (EX_NOPERM)."""
        self.addCleanup(self.reconfigure, "")
        pw = pwd.getpwnam(self.user) if self.user else pwd.getpwuid(os.getuid())
        groups = {pw.pw_gid} if self.user else {os.getgid(), *os.getgroups()}  # setpriv --clear-groups
        own_group = grp.getgrgid(pw.pw_gid).gr_name
        other_group = next(g.gr_name for g in grp.getgrall() if g.gr_gid not in groups and pw.pw_name not in g.gr_mem)
        self.assertNotEqual(pw.pw_name, "root")

        def send(tag):
            return self.sendmail(["demo@example.test"], f"Subject: submit {tag}\n\nbody\n")

        for lines in ('submit_users = ["root"]', f'submit_groups = ["{other_group}"]'):
            self.assertEqual(self.reconfigure(lines).returncode, 0, lines)
            r = send("refused")
            self.assertEqual(r.returncode, 77, (lines, r.stderr))
            self.assertIn(b"not allowed to send mail", r.stderr)
            self.assertIn(b"550 5.7.1", r.stderr)
        for n, lines in enumerate((f'submit_users = ["root", "{pw.pw_name}"]',
                                   f'submit_users = ["root"]\nsubmit_groups = ["{own_group}"]')):
            self.assertEqual(self.reconfigure(lines).returncode, 0, lines)
            r = send(f"allowed {n}")
            self.assertEqual(r.returncode, 0, (lines, r.stderr))
            self.p.wait_message("demo@example.test", f"Subject: submit allowed {n}".encode())
        # A name that does not exist is a configuration error with file:line;
        # the settings in force stay.
        r = self.reconfigure('submit_users = ["no-such-user-parley"]')
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, re.escape(self.p.config_path) + r":\d+: smtpd.submit_users: .*no-such-user-parley")
        r = send("still allowed")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([m for m in self.p.mailbox("demo@example.test") if b"Subject: submit refused" in m["body"]], [])

    def test_nul_is_dropped(self):
        r = self.sendmail(["demo@example.test"], "Subject: with a NUL\n\nbefore\0after\n\0.\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        m = self.p.wait_message("demo@example.test", b"Subject: with a NUL")[0]["body"]
        self.assertIn(b"\r\n\r\nbeforeafter\r\n.\r\n", m, "sendmail sends no NUL (and a dot line stays a line)")

    def test_unreachable_socket(self):
        from harness import as_user
        env = dict(os.environ, PARLEY_SUBMIT_SOCKET=os.path.join(self.p.dir, "nothing.sock"))
        r = subprocess.run(as_user(self.user, [os.path.join(BIN, "sendmail"), "demo@example.test"]), input=b"x\n",
                           capture_output=True, env=env, timeout=60)
        self.assertEqual(r.returncode, 69)


class Outbound(unittest.TestCase):
    def run_with_sink(self, mode, dequeuer="", smtpd=""):
        sink = Sink(mode)
        self.addCleanup(sink.stop)
        p = MailServer(sink_port=sink.port, dequeuer=dequeuer, smtpd=smtpd).start()
        self.addCleanup(p.__exit__, None, None, None)
        return p, sink

    def test_delivery_to_remote_with_starttls_offer_ignored_by_sink(self):
        p, sink = self.run_with_sink("accept")
        with p.submission() as s:
            s.sendmail("demo@example.test", ["one@remote.test", "two@remote.test"], message("out", "out-1@test"))
        msgs = wait_for(lambda: sink.messages() or None, what="message at the sink")
        self.assertEqual(len(msgs), 1, "one transaction for both recipients of one domain")
        self.assertEqual(sorted(msgs[0]["rcpt_tos"]), ["one@remote.test", "two@remote.test"])
        self.assertEqual(msgs[0]["mail_from"], "demo@example.test")
        self.assertIn("Message-ID: <out-1@test>", msgs[0]["data"])

    def test_allowed_nul_is_stored_but_never_sent(self):
        p, sink = self.run_with_sink("accept", smtpd="allow_nul = true")
        text = message("nul", "nul-1@test", body="a\x00b\r\n\x00.\r\n")
        with p.submission() as s:
            s.sendmail("demo@example.test", ["demo2@example.test", "far@remote.test"], text)
        stored = p.wait_message("demo2@example.test", b"nul-1@test")[0]["body"]
        self.assertTrue(stored.endswith(b"\r\n\r\na\x00b\r\n\x00.\r\n"), "smtpd.allow_nul: stored as sent")
        sent = wait_for(lambda: sink.messages() or None, what="message at the sink")[0]["data"]
        self.assertNotIn("\x00", sent)
        self.assertTrue(sent.endswith("\r\n\r\nab\r\n.\r\n"), sent[-40:])

    def test_temporary_failure_is_retried(self):
        p, sink = self.run_with_sink("tempfail:1")
        with p.submission() as s:
            s.sendmail("demo@example.test", ["later@remote.test"], message("retry", "retry-1@test"))
        msgs = wait_for(lambda: sink.messages() or None, timeout=30, what="delivery after a retry")
        self.assertIn("retry-1@test", msgs[0]["data"])
        self.assertEqual(p.mailbox("demo@example.test"), [], "no bounce for a delivered message")

    def test_delay_report_then_delivery(self):
        p, sink = self.run_with_sink("tempfail:3", dequeuer="delay_warning_s = 1")
        with p.submission() as s:
            s.sendmail("demo@example.test", ["slow@remote.test"], message("slow", "slow-1@test"))
        report = p.wait_message("demo@example.test", b"Action: delayed", timeout=30)[0]["body"]
        self.assertIn(b"Subject: Delayed Mail", report)
        self.assertIn(b"Final-Recipient: rfc822; slow@remote.test", report)
        self.assertIn(b"Will-Retry-Until: ", report)
        wait_for(lambda: sink.messages() or None, timeout=30, what="delivery after the delay")
        time.sleep(1)
        self.assertEqual(len(p.mailbox("demo@example.test")), 1, "one delay report, no failure report")

    def test_permanent_failure_bounces_with_rfc3464_report(self):
        p, sink = self.run_with_sink("reject")
        with p.submission() as s:
            s.sendmail("demo@example.test", ["gone@remote.test"], message("bounce", "bounce-1@test"))
        bounce = p.wait_mail("demo@example.test", 1)[0]["body"]
        self.assertIn(b"Return-Path: <>", bounce)
        self.assertIn(b"Content-Type: multipart/report; report-type=delivery-status;", bounce)
        self.assertIn(b"Action: failed", bounce)
        self.assertIn(b"Status: 5.1.1", bounce)
        self.assertIn(b"Final-Recipient: rfc822; gone@remote.test", bounce)
        self.assertIn(b"Diagnostic-Code: smtp; 550 5.1.1 no such user here", bounce)
        self.assertIn(b"Remote-MTA: dns; 127.0.0.1", bounce)
        self.assertIn(b"Message-ID: <bounce-1@test>", bounce, "the original comes back")
        self.assertEqual(sink.messages(), [])


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = MailServer(smtpd="data_timeout_s = 2\nmax_errors = 50\nmax_connections_per_ip = 6").start()

    @classmethod
    def tearDownClass(cls):
        cls.p.__exit__(None, None, None)

    def transaction(self, raw):
        raw.cmd(b"EHLO client.test")
        self.assertTrue(raw.cmd(b"MAIL FROM:<a@outside.test>")[0].startswith("250"))
        self.assertTrue(raw.cmd(b"RCPT TO:<demo@example.test>")[0].startswith("250"))
        self.assertTrue(raw.cmd(b"DATA")[0].startswith("354"))

    def test_long_lines_nul_and_garbage_get_replies_and_session_goes_on(self):
        raw = Raw(self.p.smtp_port)
        self.assertEqual(raw.cmd(b"EHLO " + b"x" * 100_000)[0][:9], "500 5.5.2")
        self.assertTrue(raw.cmd(b"NOOP\x00 with a NUL")[0].startswith("501"))
        raw.send(b"\x16\x03\x01garbage\r\nFOO bar\r\nMAIL FROM:<>\r\nNOOP\r\n")
        replies = [raw.reply()[0] for _ in range(4)]
        self.assertEqual([r[:3] for r in replies], ["500", "500", "503", "250"])
        self.assertEqual(raw.cmd(b"NOOP")[0][:3], "250")
        raw.close()

    def test_connection_and_error_limits(self):
        held = [Raw(self.p.smtp_port) for _ in range(6)]
        extra = socket.create_connection(("127.0.0.1", self.p.smtp_port), timeout=30)
        self.assertTrue(extra.recv(1000).startswith(b"421 4.7.0"), "a seventh connection from one address")
        extra.close()
        for r in held:
            r.close()
        raw = wait_for(lambda: (lambda r: r if r.cmd(b"NOOP")[0].startswith("250") else None)(Raw(self.p.smtp_port)),
                       what="a free slot again")
        replies = [raw.cmd(b"BOGUS")[0][:3] for _ in range(49)]
        self.assertEqual(set(replies), {"500"})
        self.assertEqual(raw.cmd(b"BOGUS")[0][:9], "421 4.7.0", "the 50th error ends the session")
        raw.close()

    def test_bare_lf_and_smuggling_variants_are_refused(self):
        variants = [b"a\n.\nMAIL FROM:<evil@x>\n", b"a\r\n.\nRCPT", b"a\n.\r\nX", b"a\r.\r\nX", b"a\r\n.\rX",
                    b"bare\nlf only\r\n"]
        for v in variants:
            raw = Raw(self.p.smtp_port)
            self.transaction(raw)
            raw.send(v + b"\r\n.\r\n")
            self.assertEqual(raw.reply()[0][:9], "550 5.6.0", v)
            self.assertEqual(raw.cmd(b"NOOP")[0][:3], "250", "the session goes on")
            raw.close()
        time.sleep(0.5)
        self.assertFalse(any(b"evil@x" in m["body"] or b"bare\nlf" in m["body"] for m in self.p.mailbox("demo@example.test")))

    # smtpsmug's "nullbefore" and "nullafter": a NUL before or after the dot
    # of a would-be end of data; and a NUL anywhere else.
    NUL_BODIES = [b"Subject: nul\r\n\r\nnullbefore\r\n\x00.\r\nMAIL FROM:<evil@x>\r\n",
                  b"Subject: nul\r\n\r\nnullafter\r\n.\x00\r\nMAIL FROM:<evil@x>\r\n",
                  b"Subject: nul\r\n\r\nnul inside\x00a line\r\n"]

    def assert_session_goes_on(self, raw, tag):
        self.assertTrue(raw.cmd(b"RCPT TO:<demo@example.test>")[0].startswith("503"), "the transaction was reset")
        self.assertTrue(raw.cmd(b"MAIL FROM:<a@outside.test>")[0].startswith("250"))
        self.assertTrue(raw.cmd(b"RCPT TO:<demo@example.test>")[0].startswith("250"))
        self.assertTrue(raw.cmd(b"DATA")[0].startswith("354"))
        self.assertTrue(raw.cmd(b"Subject: clean\r\nMessage-ID: <" + tag + b">\r\n\r\nok\r\n.")[0].startswith("250 2.0.0"))

    def test_nul_in_data_is_refused(self):
        for n, body in enumerate(self.NUL_BODIES):
            raw = Raw(self.p.smtp_port)
            self.transaction(raw)
            raw.send(body + b".\r\n")
            self.assertEqual(raw.reply(), ["554 5.6.0 Message contains NUL characters, refused"], body)
            self.assert_session_goes_on(raw, b"after-nul-data-%d@test" % n)
            raw.close()
        for n in range(len(self.NUL_BODIES)):
            self.p.wait_message("demo@example.test", b"after-nul-data-%d@test" % n)
        self.assertEqual([m for m in self.p.mailbox("demo@example.test") if b"Subject: nul" in m["body"]], [])

    def test_nul_in_bdat_is_refused(self):
        for n, body in enumerate(self.NUL_BODIES):
            raw = Raw(self.p.smtp_port)
            raw.cmd(b"EHLO client.test")
            self.assertTrue(raw.cmd(b"MAIL FROM:<a@outside.test>")[0].startswith("250"))
            self.assertTrue(raw.cmd(b"RCPT TO:<demo@example.test>")[0].startswith("250"))
            half = len(body) // 2
            raw.send(b"BDAT %d\r\n" % half + body[:half])
            self.assertEqual(raw.reply()[0][:3], "250")
            raw.send(b"BDAT %d LAST\r\n" % (len(body) - half) + body[half:])
            self.assertEqual(raw.reply(), ["554 5.6.0 Message contains NUL characters, refused"], body)
            self.assert_session_goes_on(raw, b"after-nul-bdat-%d@test" % n)
            raw.close()
        for n in range(len(self.NUL_BODIES)):
            self.p.wait_message("demo@example.test", b"after-nul-bdat-%d@test" % n)
        self.assertEqual([m for m in self.p.mailbox("demo@example.test") if b"Subject: nul" in m["body"]], [])

    def test_stalled_data_times_out_and_others_are_served(self):
        stalled = Raw(self.p.smtp_port)
        self.transaction(stalled)
        stalled.send(b"Subject: half\r\n\r\nhalf a mess")
        other = Raw(self.p.smtp_port)
        self.assertEqual(other.cmd(b"NOOP")[0][:3], "250", "another client is served meanwhile")
        other.close()
        self.assertEqual(stalled.reply()[0][:9], "421 4.4.2")
        self.assertEqual(stalled.s.recv(10), b"", "and the connection is closed")
        stalled.close()


class Durability(unittest.TestCase):
    """While 1,000 messages are sent, each of smtpd, router, dequeuer and
    local-delivery is killed with SIGKILL in turn; every message that got a
    250 is afterwards in the mailbox exactly once."""

    def test_kill_each_process_during_load(self):
        import threading
        with MailServer(smtpd="max_connections_per_ip = 100") as p:
            accepted = set()
            lock = threading.Lock()
            total = 1000
            counter = iter(range(total))

            def client():
                while True:
                    with lock:
                        n = next(counter, None)
                    if n is None:
                        return
                    msg_id = f"dur-{n}@test"
                    try:
                        with smtplib.SMTP("127.0.0.1", p.smtp_port, timeout=60) as s:
                            s.sendmail("load@outside.test", ["demo@example.test"], message("load", msg_id))
                        with lock:
                            accepted.add(msg_id)
                    except (smtplib.SMTPException, OSError):
                        pass  # no 250: the client would retry; not counted

            threads = [threading.Thread(target=client) for _ in range(4)]
            for t in threads:
                t.start()
            for step, victim in enumerate(["smtpd", "router", "dequeuer", "local-delivery"]):
                wait_for(lambda: len(accepted) >= 150 * (step + 1), timeout=120, what="progress before the next kill")
                time.sleep(0.3)
                os.kill(p.pid(victim), 9)
                p.wait_state(victim, "ready", timeout=20)
            for t in threads:
                t.join(timeout=600)
            self.assertGreater(len(accepted), total // 2)

            def stored():
                ids = {}
                for m in p.mailbox("demo@example.test"):
                    for line in m["body"].split(b"\r\n"):
                        if line.startswith(b"Message-ID: <dur-"):
                            mid = line[len("Message-ID: <"):-1].decode()
                            ids[mid] = ids.get(mid, 0) + 1
                return ids

            ids = wait_for(lambda: (lambda s: s if accepted <= set(s) else None)(stored()), timeout=120,
                           what="every accepted message delivered")
            duplicates = {k: v for k, v in ids.items() if v > 1}
            self.assertEqual(duplicates, {}, "no message stored twice")
            self.assertLessEqual(set(ids), {f"dur-{n}@test" for n in range(total)})


if __name__ == "__main__":
    unittest.main()
