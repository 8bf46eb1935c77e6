"""SIP presence end to end: the real parleyd with directory, router and
sipd. One device PUBLISHes its presence (open, with a note), another
account SUBSCRIBEs and finds the note in the NOTIFY: with SIPp over UDP and
TCP (uac_publish.xml, uac_subscribe.xml: the NOTIFY's state, type and body
checked by regular expressions), with the test's own client over TLS
(Debian's SIPp has no OpenSSL). A watcher of another domain waits, pending,
until `parleyctl sip allow` lets it see the account."""

import os
import re
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import wait_for  # noqa: E402,F401
from test_mail import tls_context  # noqa: E402
from test_sip import DOMAIN, SipServer, digest_authorization, request, response_to, status_of  # noqa: E402

NOTE = "Presenting over TLS"
PIDF = ('<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" '
        f'entity="pres:demo@{DOMAIN}"><tuple id="tls"><status><basic>open</basic></status>'
        f'<note>{NOTE}</note></tuple></presence>\n')


class Messages:
    """Whole SIP messages from a stream socket (Content-Length framed) or
    a datagram socket."""

    def __init__(self, sock, stream=True):
        self.sock, self.stream, self.buf = sock, stream, b""

    def send(self, text, address=None):
        if self.stream:
            self.sock.sendall(text.encode())
        else:
            self.sock.sendto(text.encode(), address)

    def recv(self):
        if not self.stream:
            return self.sock.recv(65535).decode(errors="replace")
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                head = self.buf[:end].decode(errors="replace")
                m = re.search(r"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", head)
                total = end + 4 + (int(m.group(1)) if m else 0)
                if len(self.buf) >= total:
                    message, self.buf = self.buf[:total].decode(errors="replace"), self.buf[total:]
                    return message
            data = self.sock.recv(65535)
            if not data:
                raise EOFError("connection closed")
            self.buf += data

    def recv_not_trying(self):
        while True:
            m = self.recv()
            if not m.startswith("SIP/2.0 100 "):
                return m


def header(message, name):
    m = re.search(rf"(?im)^{re.escape(name)}[ \t]*:[ \t]*(.*?)\r?$", message.split("\r\n\r\n")[0])
    return m.group(1) if m else None


def body(message):
    return message.split("\r\n\r\n", 1)[1]


def authenticated(channel, method, user, password, target, branch, extra="", body_text="", transport="TLS",
                  address=None):
    """`method` from `user` to `target` through the proxy's 407 challenge;
    the final response."""
    uri = f"sip:{target}@{DOMAIN}"
    channel.send(request(method, uri, f"sip:{user}@{DOMAIN}", uri, branch + "a", extra, body_text, transport,
                         call_id=branch), address)
    challenge = channel.recv_not_trying()
    if status_of(challenge) != 407:
        return challenge
    auth = digest_authorization(header(challenge, "Proxy-Authenticate"), user, password, method, uri, proxy=True)
    channel.send(request(method, uri, f"sip:{user}@{DOMAIN}", uri, branch + "b", extra + auth, body_text, transport,
                         cseq=2, call_id=branch), address)
    return channel.recv_not_trying()


class Presence(unittest.TestCase):
    def test_publish_then_subscribe_over_udp_and_tcp_with_sipp(self):
        with SipServer() as p:
            # demo publishes over UDP and demo2 watches it; demo3 over TCP.
            for transport, publisher in (("u1", "demo"), ("t1", "demo3")):
                with self.subTest(transport=transport):
                    r = p.sipp("uac_publish.xml", publisher, transport, "-s", publisher, "-key", "caller", publisher)
                    self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])
                    r = p.sipp("uac_subscribe.xml", "demo2", transport, "-s", publisher, "-key", "caller", "demo2")
                    self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])
            # Someone who published nothing is "closed" (not registered):
            # the subscriber's check of the note fails.
            r = p.sipp("uac_subscribe.xml", "demo2", "u1", "-s", "postmaster", "-key", "caller", "demo2")
            self.assertNotEqual(r.returncode, 0, r.stdout[-3000:])

    def test_publish_then_subscribe_over_tls(self):
        with SipServer() as p:
            ctx = tls_context()
            with ctx.wrap_socket(socket.create_connection(("127.0.0.1", p.sips_port), timeout=10)) as t:
                publisher = Messages(t)
                ok = authenticated(publisher, "PUBLISH", "demo", p.password("demo"), "demo", "pubtls",
                                   "Event: presence\r\nExpires: 600\r\nContent-Type: application/pidf+xml\r\n", PIDF)
                self.assertEqual(status_of(ok), 200, ok)
                self.assertTrue(header(ok, "SIP-ETag"), ok)
                # Malformed PIDF: 400, and the server goes on.
                bad = authenticated(publisher, "PUBLISH", "demo", p.password("demo"), "demo", "pubbad",
                                    "Event: presence\r\nContent-Type: application/pidf+xml\r\n", "<presence><tuple")
                self.assertEqual(status_of(bad), 400, bad)
            with ctx.wrap_socket(socket.create_connection(("127.0.0.1", p.sips_port), timeout=10)) as t:
                watcher = Messages(t)
                ok = authenticated(watcher, "SUBSCRIBE", "demo2", p.password("demo2"), "demo", "subtls",
                                   "Event: presence\r\nExpires: 600\r\nContact: <sip:demo2@127.0.0.1:9;transport=tls>\r\n")
                self.assertEqual(status_of(ok), 200, ok)
                notify = watcher.recv()
                self.assertTrue(notify.startswith("NOTIFY sip:demo2@127.0.0.1:9;transport=tls "), notify)
                self.assertRegex(header(notify, "Subscription-State"), r"^active;expires=\d+")
                self.assertEqual(header(notify, "Content-Type"), "application/pidf+xml")
                self.assertIn("<basic>open</basic>", body(notify))
                self.assertIn(f"<note>{NOTE}</note>", body(notify))
                watcher.send(response_to(notify, 200, "OK"))

    def test_other_domain_pending_until_allowed(self):
        with SipServer() as p:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", 0))
                u.settimeout(10)
                watcher = Messages(u, stream=False)
                server = ("127.0.0.1", p.sip_port)
                uri = f"sip:demo@{DOMAIN}"
                watcher.send(request("SUBSCRIBE", uri, "sip:bob@elsewhere.test", uri, "far", "Event: presence\r\n"
                                     "Contact: <sip:bob@127.0.0.1:9>\r\n"), server)
                self.assertEqual(status_of(watcher.recv_not_trying()), 200)
                notify = watcher.recv()
                self.assertTrue(header(notify, "Subscription-State").startswith("pending"), notify)
                self.assertEqual(body(notify), "")
                watcher.send(response_to(notify, 200, "OK"), server)
                r = p.ctl("sip", "allow", f"demo@{DOMAIN}", "bob@elsewhere.test")
                self.assertEqual(r.returncode, 0, r.stderr)
                notify = watcher.recv()
                self.assertTrue(header(notify, "Subscription-State").startswith("active"), notify)
                self.assertIn("<basic>closed</basic>", body(notify))  # demo has no device registered
                watcher.send(response_to(notify, 200, "OK"), server)
                r = p.ctl("sip", "deny", f"demo@{DOMAIN}", "bob@elsewhere.test")
                self.assertEqual(r.returncode, 0, r.stderr)
                notify = watcher.recv()
                self.assertEqual(header(notify, "Subscription-State"), "terminated;reason=rejected")
                watcher.send(response_to(notify, 200, "OK"), server)
                # An unknown event package: 489 with the packages served.
                watcher.send(request("SUBSCRIBE", uri, "sip:bob@elsewhere.test", uri, "conf", "Event: conference\r\n"
                                     "Contact: <sip:bob@127.0.0.1:9>\r\n"), server)
                refused = watcher.recv_not_trying()
                self.assertEqual(status_of(refused), 489, refused)
                self.assertIn("presence", header(refused, "Allow-Events"))


if __name__ == "__main__":
    unittest.main()
