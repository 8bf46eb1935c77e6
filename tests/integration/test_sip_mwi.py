"""Message waiting (SIP message-summary, RFC 3842) end to end: the real
parleyd with the mail processes and sipd. A SIPp phone registers and
subscribes to its own account's message-summary; a mail delivered over SMTP
(Python's smtplib) turns its lamp on with the new count, and the mail read
with an IMAP client (imaplib) turns it off. sipd learns the counts from
local-delivery (local.mailbox_status, mailbox events) and imapd (mailbox
events), over ipc endpoints it reaches only through the groups parleyd gives
it; run as root, the test checks that another front end cannot."""

import imaplib
import os
import smtplib
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import IS_ROOT, free_port, wait_for  # noqa: E402
from test_mail import tls_context  # noqa: E402
from test_sip import DOMAIN, SCENARIOS, SIPP, SipServer, free_udp_tcp_port  # noqa: E402


class MwiServer(SipServer):
    """SipServer plus the mail processes: SMTP in, local delivery, IMAP."""

    def __init__(self, media=False, sipd=""):
        super().__init__(media=media, sipd=sipd)
        self.smtp_port, self.imap_port = free_port(), free_port()
        self.sections += f"""[smtpd]
tls_certificates = ["default={self.cert},{self.key}"]
error_delay_ms = 0
[imapd]
tls_certificates = ["default={self.cert},{self.key}"]
"""
        self.processes.update({
            "local-delivery": [],
            "dequeuer": [],
            "imapd": [f"imap=tcp:127.0.0.1:{self.imap_port}"],
            "smtpd": [f"smtp=tcp:127.0.0.1:{self.smtp_port}"],
        })
        self.write_config(self.config_text().replace("PASSWORDS", os.path.join(self.dir, "passwords")))

    def notifies(self, path):
        try:
            with open(path, errors="replace") as f:
                text = f.read()
        except FileNotFoundError:
            return []
        # SIPp's message trace: each received NOTIFY starts a request line.
        return [part for part in text.split("NOTIFY sip:")[1:]]


def can_connect(pid, path):
    """Whether a process with the credentials of process `pid` (its user,
    group and supplementary groups, as parleyd gave them) may connect to the
    Unix socket `path`."""
    ids = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            ids[key] = value.split()
    groups = ",".join(ids["Groups"]) or ids["Gid"][0]
    probe = ("import socket, sys\n"
             "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
             "try:\n    s.connect(sys.argv[1])\nexcept PermissionError:\n    sys.exit(3)\n")
    cmd = ["setpriv", f"--reuid={ids['Uid'][0]}", f"--regid={ids['Gid'][0]}", f"--groups={groups}",
           sys.executable, "-c", probe, path]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if r.returncode not in (0, 3):
        raise AssertionError(f"probe failed: {r.stderr}")
    return r.returncode == 0


class MessageSummary(unittest.TestCase):
    def test_lamp_follows_delivery_and_reading(self):
        with MwiServer() as p:
            account = f"demo@{DOMAIN}"
            r = p.sipp("register.xml", "demo", "u1", "-s", "demo")
            self.assertEqual(r.returncode, 0, r.stdout[-3000:])

            port = free_udp_tcp_port()
            trace = os.path.join(p.dir, f"mwi-{port}.msg")
            cmd = [SIPP, "-sf", os.path.join(SCENARIOS, "subscribe_mwi.xml"), f"127.0.0.1:{p.sip_port}", "-t", "u1",
                   "-p", str(port), "-i", "127.0.0.1", "-m", "1", "-key", "domain", DOMAIN, "-s", "demo",
                   "-au", "demo", "-ap", p.password("demo"), "-nostdin", "-timeout", "90s", "-timeout_error",
                   "-trace_err", "-error_file", os.path.join(p.dir, f"mwi-{port}.err"),
                   "-trace_msg", "-message_file", trace]
            phone = subprocess.Popen(cmd, cwd=p.dir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
            p.children.append(phone)
            # The initial NOTIFY: the subscription is in place.
            wait_for(lambda: len(p.notifies(trace)) >= 1, timeout=30, what="the initial NOTIFY")
            self.assertIn("Messages-Waiting: no", p.notifies(trace)[0])

            with smtplib.SMTP("127.0.0.1", p.smtp_port, timeout=30) as s:
                s.sendmail("sender@outside.test", [account],
                           b"From: sender@outside.test\r\nTo: demo@example.test\r\nSubject: lamp\r\n"
                           b"Message-ID: <lamp-1@test>\r\n\r\nCall me.\r\n")
            wait_for(lambda: len(p.notifies(trace)) >= 2, timeout=30, what="the NOTIFY after the delivery")
            lit = p.notifies(trace)[1]
            self.assertIn("Messages-Waiting: yes", lit)
            self.assertIn("Text-Message: 1/0", lit)

            imap = imaplib.IMAP4("127.0.0.1", p.imap_port, timeout=30)
            imap.starttls(ssl_context=tls_context())
            imap.login(account, p.password("demo"))
            imap.select("INBOX")
            typ, found = imap.uid("SEARCH", None, "HEADER", "Message-ID", "lamp-1@test")
            self.assertEqual(typ, "OK")
            self.assertEqual(len(found[0].split()), 1)
            imap.uid("STORE", found[0].split()[0], "+FLAGS", "(\\Seen)")
            imap.logout()
            wait_for(lambda: len(p.notifies(trace)) >= 3, timeout=30, what="the NOTIFY after reading")
            off = p.notifies(trace)[2]
            self.assertIn("Messages-Waiting: no", off)
            self.assertIn("Text-Message: 0/1", off)

            # SIPp checked each NOTIFY's body too (its exit status).
            out, _ = phone.communicate(timeout=60)
            self.assertEqual(phone.returncode, 0, out[-3000:])

            if IS_ROOT:
                # sipd reaches local-delivery's "status" and imapd's "events"
                # through their groups; smtpd, which uses neither, cannot.
                status = os.path.join(p.dir, "run", "local-delivery", "status.sock")
                events = os.path.join(p.dir, "run", "imapd", "events.sock")
                sipd, smtpd = p.pid("sipd"), p.pid("smtpd")
                self.assertTrue(can_connect(sipd, status))
                self.assertTrue(can_connect(sipd, events))
                self.assertFalse(can_connect(smtpd, status))
                self.assertFalse(can_connect(smtpd, events))


if __name__ == "__main__":
    unittest.main()
