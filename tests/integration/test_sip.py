"""SIP end to end: the real parleyd with directory, router and sipd, driven
by SIPp (Debian's sip-tester; tests/sip/scenarios) over UDP and TCP, and by
small clients of the test's own where SIPp cannot go (TLS: Debian's SIPp
has no OpenSSL; bad input SIPp would not send). Every call is placed and
answered by separate SIPp processes; the callee registers itself first
(uas_register.xml, answering on its registration's socket)."""

import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import SOURCE, Parley, free_port, wait_for  # noqa: E402
from test_mail import make_cert, tls_context  # noqa: E402

SCENARIOS = os.path.join(SOURCE, "tests", "sip", "scenarios")
SIPP = shutil.which("sipp") or "/usr/bin/sipp"
DOMAIN = "example.test"


def free_udp_tcp_port():
    """A port free for both UDP and TCP on 127.0.0.1 (SIP listens on both)."""
    while True:
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            try:
                u.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


class SipServer(Parley):
    """parleyd with directory, router and sipd (UDP and TCP on one port, TLS
    on another), the demo accounts of example.test."""

    def __init__(self, log_format="human", sipd="", media=False):
        self.sip_port = free_udp_tcp_port()
        self.sips_port = free_port()
        self.ws_port = free_port()
        self.tls_dir = tempfile.mkdtemp(prefix="parley-tls-")
        os.chmod(self.tls_dir, 0o755)
        self.cert, self.key = os.path.join(self.tls_dir, "cert.pem"), os.path.join(self.tls_dir, "key.pem")
        make_cert(self.cert, self.key, "sip.example.test")
        sections = f"""[directory]
argon2_memory_kib = 1024
argon2_iterations = 1
first_run_domain = "{DOMAIN}"
first_run_accounts = ["postmaster", "demo", "demo2", "demo3"]
first_run_password_file = "PASSWORDS"
[sipd]
domain = "{DOMAIN}"
tls_certificates = ["default={self.cert},{self.key}"]
{sipd}
"""
        if media:
            # The relay's ports: a range of its own (tests run side by side).
            low = 20000 + 200 * random.randrange(50)
            self.media_ports = (low, low + 199)
            sections += f"[media]\nport_min = {self.media_ports[0]}\nport_max = {self.media_ports[1]}\ntimeout_s = 5\n"
        processes = {
            "directory": [],
            "router": [],
            "sipd": [f"sip=udp:127.0.0.1:{self.sip_port}", f"sip=tcp:127.0.0.1:{self.sip_port}",
                     f"sips=tcp:127.0.0.1:{self.sips_port}", f"sip-ws=tcp:127.0.0.1:{self.ws_port}"],
        }
        if media:
            processes["media"] = []
        super().__init__(processes=processes, sections=sections, log_format=log_format,
                         extra_server='hostname = "sip.example.test"')
        self.write_config(self.config_text().replace("PASSWORDS", os.path.join(self.dir, "passwords")))
        self.children = []

    def __exit__(self, *exc):
        for c in self.children:
            if c.poll() is None:
                c.kill()
                c.wait()
        super().__exit__(*exc)
        shutil.rmtree(self.tls_dir, ignore_errors=True)
        return False

    def password(self, account):
        path = os.path.join(self.dir, "passwords")
        wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0, what="first-run passwords")
        with open(path) as f:
            return dict(line.rstrip("\n").split("\t") for line in f if line.strip())[f"{account}@{DOMAIN}"]

    # --- SIPp ------------------------------------------------------------
    def sipp_command(self, scenario, user, transport, port, *extra):
        return [SIPP, "-sf", os.path.join(SCENARIOS, scenario), f"127.0.0.1:{self.sip_port}", "-t", transport,
                "-p", str(port), "-i", "127.0.0.1", "-m", "1", "-key", "domain", DOMAIN, "-buff_size", "8388608",
                "-nostdin", "-timeout", "30s", "-timeout_error", "-trace_err",
                "-error_file", os.path.join(self.dir, f"sipp-{scenario}-{port}.err"), *extra]

    def sipp(self, scenario, user, transport="u1", *extra, password=None):
        """Runs a scenario to its end as `user`; the CompletedProcess."""
        port = free_udp_tcp_port()
        cmd = self.sipp_command(scenario, user, transport, port, "-au", user, "-ap",
                                password if password is not None else self.password(user), *extra)
        return subprocess.run(cmd, cwd=self.dir, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=90)

    def callee(self, user, answers, transport="u1", hold_ms=60000, *extra):
        """A callee registered as `user` that handles what reaches it with
        scenario `answers`; returns once the registration is in place."""
        port = free_udp_tcp_port()
        cmd = self.sipp_command("uas_register.xml", user, transport, port, "-s", user, "-au", user, "-ap",
                                self.password(user), "-d", str(hold_ms), "-oocsf", os.path.join(SCENARIOS, answers),
                                "-trace_msg", "-message_file", os.path.join(self.dir, f"callee-{port}.msg"), *extra)
        child = subprocess.Popen(cmd, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        self.children.append(child)
        wait_for(lambda: f":{port}" in self.ctl("sip", "registrations", f"{user}@{DOMAIN}").stdout,
                 what=f"{user} registered from port {port}")
        return child, port

    def call(self, scenario, caller, callee, transport="u1", *extra):
        return self.sipp(scenario, caller, transport, "-s", callee, "-key", "caller", caller, *extra)

    def messages_seen(self, port):
        try:
            with open(os.path.join(self.dir, f"callee-{port}.msg"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


def arrival(messages, start):
    """When SIPp (-trace_msg) logged the first message beginning with
    `start`: the seconds of its time stamp line."""
    at = messages.index(start)
    stamps = re.findall(r"^-+ \d{4}-\d\d-\d\d\s+(\d\d):(\d\d):(\d\d(?:\.\d+)?)", messages[:at], re.M)
    if not stamps:
        raise AssertionError("no time stamp before " + start + " in " + messages[:at][-500:])
    h, m, sec = stamps[-1]
    return int(h) * 3600 + int(m) * 60 + float(sec)


def udp_exchange(port, text, timeout=5.0):
    """Sends one datagram; the first reply that is not 100 Trying, or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(timeout)
        s.sendto(text.encode() if isinstance(text, str) else text, ("127.0.0.1", port))
        try:
            while True:
                data = s.recv(65535).decode(errors="replace")
                if not data.startswith("SIP/2.0 100 "):
                    return data
        except socket.timeout:
            return None


def request(method, uri, from_uri, to_uri, branch, extra="", body="", transport="UDP", cseq=1, call_id=None):
    return (f"{method} {uri} SIP/2.0\r\nVia: SIP/2.0/{transport} 127.0.0.1:9;branch=z9hG4bK{branch};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <{from_uri}>;tag=t{branch}\r\nTo: <{to_uri}>\r\n"
            f"Call-ID: {call_id or branch}@test\r\nCSeq: {cseq} {method}\r\n{extra}Content-Length: {len(body)}\r\n\r\n{body}")


def status_of(reply):
    return int(reply.split(" ", 2)[1]) if reply else None


class Registrar(unittest.TestCase):
    def test_right_and_wrong_password_over_udp_and_tcp(self):
        with SipServer() as p:
            for transport in ("u1", "t1"):
                with self.subTest(transport=transport):
                    ok = p.sipp("register.xml", "demo", transport, "-s", "demo")
                    self.assertEqual(ok.returncode, 0, ok.stdout[-2000:])
                    # register_wrong.xml fails if a 200 ever comes.
                    wrong = p.sipp("register_wrong.xml", "demo", transport, "-s", "demo", password="not the password")
                    self.assertEqual(wrong.returncode, 0, wrong.stdout[-2000:])
            # An account that does not exist gets the same challenge as one that does.
            unknown = p.sipp("register_wrong.xml", "nobody", "u1", "-s", "nobody", password="guess")
            self.assertEqual(unknown.returncode, 0, unknown.stdout[-2000:])
            listed = p.ctl("sip", "registrations", f"demo@{DOMAIN}")
            self.assertEqual(listed.returncode, 0, listed.stderr)
            self.assertIn(f"demo@{DOMAIN}", listed.stdout)
            self.assertIn("udp:", listed.stdout)

    def test_tls_register_with_digest(self):
        with SipServer() as p:
            ctx = tls_context()
            with ctx.wrap_socket(socket.create_connection(("127.0.0.1", p.sips_port), timeout=10)) as t:
                self.assertIn(t.version(), ("TLSv1.2", "TLSv1.3"))
                reply = tls_register(t, "demo", p.password("demo"))
                self.assertTrue(reply.startswith("SIP/2.0 200 "), reply)
                self.assertIn("expires=", reply)
            # TLS below 1.2 is refused.
            old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            old.check_hostname = False
            old.verify_mode = ssl.CERT_NONE
            old.maximum_version = ssl.TLSVersion.TLSv1_1
            old.minimum_version = ssl.TLSVersion.TLSv1
            with self.assertRaises((ssl.SSLError, ConnectionResetError)):
                with old.wrap_socket(socket.create_connection(("127.0.0.1", p.sips_port), timeout=10)):
                    pass

    def test_registrations_survive_restart_and_kill(self):
        with SipServer() as p:
            ok = p.sipp("register.xml", "demo", "u1", "-s", "demo")
            self.assertEqual(ok.returncode, 0, ok.stdout[-2000:])
            before = p.ctl("sip", "registrations").stdout
            self.assertIn(f"demo@{DOMAIN}", before)
            self.assertEqual(p.ctl("restart", "sipd").returncode, 0)
            p.wait_state("sipd", "ready")
            self.assertEqual(p.ctl("sip", "registrations").stdout, before)
            os.kill(p.pid("sipd"), signal.SIGKILL)
            wait_for(lambda: p.status()["sipd"]["restarts"] >= 1 and p.status()["sipd"]["state"] == "ready",
                     timeout=30, what="sipd back after kill -9")
            self.assertEqual(p.ctl("sip", "registrations").stdout, before)
            # The administrator can remove them.
            self.assertIn("removed 1 registration", p.ctl("sip", "unregister", f"demo@{DOMAIN}").stdout)
            self.assertIn("no registrations", p.ctl("sip", "registrations").stdout)


def digest_authorization(challenge, user, password, method, uri, proxy=False):
    """The (Proxy-)Authorization header line answering `challenge` (MD5, qop auth)."""
    import hashlib
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)

    def md5(s):
        return hashlib.md5(s.encode()).hexdigest()
    ha1, ha2 = md5(f"{user}:{DOMAIN}:{password}"), md5(f"{method}:{uri}")
    response = md5(f"{ha1}:{nonce}:00000001:cn0nce:auth:{ha2}")
    return (f'{"Proxy-Authorization" if proxy else "Authorization"}: Digest username="{user}", realm="{DOMAIN}", '
            f'nonce="{nonce}", uri="{uri}", response="{response}", algorithm=MD5, qop=auth, nc=00000001, '
            f'cnonce="cn0nce"\r\n')


def digest_register(send, recv, user, password, transport, contact):
    """REGISTER with MD5 digest through `send`/`recv` (whole messages); the final reply."""
    uri = f"sip:{DOMAIN}"

    def register(cseq, auth=""):
        return (f"REGISTER {uri} SIP/2.0\r\nVia: SIP/2.0/{transport} 127.0.0.1:9;branch=z9hG4bKreg{cseq}\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:{user}@{DOMAIN}>;tag=reg\r\nTo: <sip:{user}@{DOMAIN}>\r\n"
                f"Call-ID: reg-{transport}@test\r\nCSeq: {cseq} REGISTER\r\nContact: <{contact}>\r\n"
                f"Expires: 600\r\n{auth}Content-Length: 0\r\n\r\n")
    send(register(1))
    challenge = recv()
    send(register(2, digest_authorization(challenge, user, password, "REGISTER", uri)))
    return recv()


def tls_register(t, user, password):
    def recv():
        data = b""
        while b"\r\n\r\n" not in data:
            data += t.recv(65535)
        return data.decode()
    return digest_register(lambda text: t.sendall(text.encode()), recv, user, password, "TLS",
                           f"sip:{user}@127.0.0.1:9;transport=tls")


class WebSocketClient:
    """A SIP over WebSocket client (RFC 7118) of the test's own: the
    opening handshake, masked text frames out, frames in."""

    def __init__(self, port, protocol="sip"):
        import base64
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                           f"Sec-WebSocket-Protocol: {protocol}\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.status_line = head.split(b"\r\n")[0].decode()

    def send(self, text):
        payload = text.encode()
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126, n >> 8, n & 0xff]))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def recv(self):
        """The next data message's text (server frames are not masked)."""
        while True:
            while len(self.buf) < 2 or len(self.buf) < self._frame_size():
                chunk = self.sock.recv(65535)
                if not chunk:
                    raise ConnectionError("closed")
                self.buf += chunk
            size, start = self._frame_size(), self._header_size()
            opcode, payload = self.buf[0] & 0x0f, self.buf[start:size]
            self.buf = self.buf[size:]
            if opcode in (1, 2):
                return payload.decode(errors="replace")

    def _header_size(self):
        n = self.buf[1] & 0x7f
        return 2 if n < 126 else 4 if n == 126 else 10

    def _frame_size(self):
        if len(self.buf) < 2:
            return 2
        n = self.buf[1] & 0x7f
        if n == 126:
            if len(self.buf) < 4:
                return 4
            n = int.from_bytes(self.buf[2:4], "big")
        elif n == 127:
            if len(self.buf) < 10:
                return 10
            n = int.from_bytes(self.buf[2:10], "big")
        return self._header_size() + n

    def close(self):
        self.sock.close()


class WebSocket(unittest.TestCase):
    def test_register_and_receive_a_message_over_websocket(self):
        with SipServer() as p:
            refused = WebSocketClient(p.ws_port, protocol="chat")
            self.assertTrue(refused.status_line.startswith("HTTP/1.1 400"), refused.status_line)
            refused.close()
            ws = WebSocketClient(p.ws_port)
            self.assertTrue(ws.status_line.startswith("HTTP/1.1 101"), ws.status_line)
            reply = digest_register(ws.send, ws.recv, "demo2", p.password("demo2"), "WS",
                                    "sip:demo2@df7jal23ls0d.invalid;transport=ws")
            self.assertTrue(reply.startswith("SIP/2.0 200 "), reply)
            self.assertIn("ws:", p.ctl("sip", "registrations", f"demo2@{DOMAIN}").stdout)
            # demo (SIPp over UDP) sends demo2 a MESSAGE; it arrives over the WebSocket.
            port = free_udp_tcp_port()
            sender = subprocess.Popen(p.sipp_command("uac_message.xml", "demo", "u1", port, "-s", "demo2", "-key",
                                                     "caller", "demo", "-au", "demo", "-ap", p.password("demo")),
                                      cwd=p.dir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            p.children.append(sender)
            message = ws.recv()
            self.assertTrue(message.startswith("MESSAGE sip:demo2@df7jal23ls0d.invalid;transport=ws SIP/2.0"), message)
            ws.send(response_to(message, 200, "OK"))
            self.assertEqual(sender.wait(timeout=60), 0)
            ws.close()


def response_to(req, status, reason):
    head = req.split("\r\n\r\n")[0].split("\r\n")[1:]
    keep = [l for l in head if l.split(":")[0].strip().lower() in ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq")]
    return f"SIP/2.0 {status} {reason}\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"


class Calls(unittest.TestCase):
    def test_call_busy_cancel_and_refusals_over_udp_and_tcp(self):
        with SipServer() as p:
            # (case, the callee's answer, the caller's scenario)
            answered = [("answered", "uas_answer.xml", "uac_call.xml"), ("busy", "uas_busy.xml", "uac_expect_486.xml"),
                        ("cancelled", "uas_noanswer.xml", "uac_cancel.xml")]
            for transport in ("u1", "t1"):
                for case, answer, scenario in answered:
                    with self.subTest(transport=transport, case=case):
                        callee, port = p.callee("demo2", answer, transport)
                        r = p.call(scenario, "demo", "demo2", transport)
                        self.assertEqual(r.returncode, 0, r.stdout[-3000:])
                        if case == "cancelled":
                            wait_for(lambda: "CANCEL sip:" in p.messages_seen(port), what="the callee's CANCEL")
                        callee.kill()
                        p.ctl("sip", "unregister", f"demo2@{DOMAIN}")
                with self.subTest(transport=transport, case="not registered"):
                    r = p.call("uac_expect_480.xml", "demo", "demo3", transport)
                    self.assertEqual(r.returncode, 0, r.stdout[-3000:])
                with self.subTest(transport=transport, case="unknown"):
                    r = p.call("uac_expect_404.xml", "demo", "nobody", transport)
                    self.assertEqual(r.returncode, 0, r.stdout[-3000:])
                with self.subTest(transport=transport, case="caller is not who it says"):
                    # demo's credentials with From: demo3.
                    r = p.sipp("uac_expect_403.xml", "demo", transport, "-s", "demo2", "-key", "caller", "demo3")
                    self.assertEqual(r.returncode, 0, r.stdout[-3000:])
            # Call-detail events for the answered calls.
            log = p.log("sipd")
            self.assertEqual(log.count("sip.call.answer"), 2, log[-3000:])
            self.assertGreaterEqual(log.count("sip.call.end"), 2)

    def test_call_reaches_a_tcp_contact_whose_connection_closed(self):
        with SipServer() as p:
            # demo2 registers over TCP a contact it listens on, then hangs up
            # that connection; sipd connects to the contact when a call comes.
            listener = socket.create_server(("127.0.0.1", 0))
            listener.settimeout(30)
            contact_port = listener.getsockname()[1]
            with socket.create_connection(("127.0.0.1", p.sip_port), timeout=10) as t:
                def recv():
                    data = b""
                    while b"\r\n\r\n" not in data:
                        data += t.recv(65535)
                    return data.decode()
                reply = digest_register(lambda text: t.sendall(text.encode()), recv, "demo2", p.password("demo2"), "TCP",
                                        f"sip:demo2@127.0.0.1:{contact_port};transport=tcp")
                self.assertTrue(reply.startswith("SIP/2.0 200 "), reply)
            caller = subprocess.Popen(p.sipp_command("uac_expect_486.xml", "demo", "t1", free_udp_tcp_port(), "-s",
                                                     "demo2", "-key", "caller", "demo", "-au", "demo", "-ap",
                                                     p.password("demo")),
                                      cwd=p.dir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            p.children.append(caller)
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(30)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65535)
                invite = data.decode(errors="replace")
                self.assertTrue(invite.startswith(f"INVITE sip:demo2@127.0.0.1:{contact_port};transport=tcp SIP/2.0"), invite)
                conn.sendall(response_to(invite, 486, "Busy Here").encode())
                self.assertEqual(caller.wait(timeout=60), 0)
            listener.close()

    def test_forking_rings_every_contact_and_cancels_the_others(self):
        with SipServer() as p:
            answering, _ = p.callee("demo2", "uas_answer.xml")
            ringing, ringing_port = p.callee("demo2", "uas_noanswer.xml")
            listed = p.ctl("sip", "registrations", f"demo2@{DOMAIN}").stdout
            self.assertEqual(listed.count(f"demo2@{DOMAIN}"), 2, listed)
            r = p.call("uac_call.xml", "demo", "demo2", "u1")
            self.assertEqual(r.returncode, 0, r.stdout[-3000:])
            wait_for(lambda: "CANCEL sip:" in p.messages_seen(ringing_port), what="the other branch cancelled")

    def test_forward_on_no_answer(self):
        with SipServer() as p:
            set_ = p.ctl("account", "set", f"demo2@{DOMAIN}", f"sip_forward_no_answer=demo3@{DOMAIN}",
                         "sip_no_answer_s=5")
            self.assertEqual(set_.returncode, 0, set_.stderr)
            p.callee("demo2", "uas_noanswer.xml")
            p.callee("demo3", "uas_answer.xml")
            started = time.monotonic()
            r = p.call("uac_call.xml", "demo", "demo2", "u1")
            self.assertEqual(r.returncode, 0, r.stdout[-3000:])
            self.assertGreaterEqual(time.monotonic() - started, 4.5, "rang demo2 first")

    def test_group_rings_in_turn(self):
        with SipServer() as p:
            group = f"hunt@{DOMAIN}"
            for args in (("group", "add", group), ("group", "member-add", group, f"demo2@{DOMAIN}"),
                         ("group", "member-add", group, f"demo3@{DOMAIN}"),
                         ("group", "set", group, "sip_ring=sequential", "sip_ring_s=5")):
                r = p.ctl(*args)
                self.assertEqual(r.returncode, 0, r.stderr)
            refused = p.ctl("group", "set", group, "sip_ring=random")
            self.assertNotEqual(refused.returncode, 0)
            self.assertIn("parallel or sequential", refused.stderr + refused.stdout)
            # demo2 rings first and never answers; demo3 answers.
            _, first_port = p.callee("demo2", "uas_noanswer.xml")
            _, second_port = p.callee("demo3", "uas_answer.xml")
            started = time.monotonic()
            r = p.call("uac_call.xml", "demo", "hunt")
            self.assertEqual(r.returncode, 0, r.stdout[-3000:])
            self.assertGreaterEqual(time.monotonic() - started, 4.5, "rang demo2 for its 5 s first")
            wait_for(lambda: "CANCEL sip:" in p.messages_seen(first_port), what="demo2's branch cancelled")
            first, second = p.messages_seen(first_port), p.messages_seen(second_port)
            self.assertIn("INVITE sip:demo2@", first)
            self.assertIn("INVITE sip:demo3@", second)
            # The order of arrival, by the callees' own clocks: demo3's
            # INVITE came once demo2 had rung its 5 s.
            self.assertGreaterEqual(arrival(second, "INVITE sip:") - arrival(first, "INVITE sip:"), 4.5)

    def test_working_hours_are_checked_when_set(self):
        with SipServer() as p:
            bad = p.ctl("account", "set", f"demo2@{DOMAIN}", "sip_working_hours=Mon-Fri 9-17")
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("is not a time HH:MM", bad.stderr + bad.stdout)
            bad = p.ctl("account", "set", f"demo2@{DOMAIN}", "sip_time_zone=Europe/Nowhere")
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("no such time zone", bad.stderr + bad.stdout)
            # Working hours on a day three days off (in UTC): now is after
            # hours, so the call goes to demo3; demo2 would answer busy.
            day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[(time.gmtime().tm_wday + 3) % 7]
            good = p.ctl("account", "set", f"demo2@{DOMAIN}", f"sip_working_hours={day} 00:00-24:00",
                         "sip_time_zone=UTC", f"sip_forward_after_hours=demo3@{DOMAIN}")
            self.assertEqual(good.returncode, 0, good.stderr)
            p.callee("demo2", "uas_busy.xml")
            p.callee("demo3", "uas_answer.xml")
            r = p.call("uac_call.xml", "demo", "demo2")
            self.assertEqual(r.returncode, 0, r.stdout[-3000:])

    def test_authenticated_call_leaves_the_system(self):
        with SipServer() as p:
            # An outside server (a SIPp callee, not registered here) at a
            # numeric address: demo, authenticated, calls it through sipd.
            port = free_udp_tcp_port()
            outside = subprocess.Popen(p.sipp_command("uas_busy.xml", "x", "u1", port), cwd=p.dir,
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            p.children.append(outside)
            time.sleep(0.5)  # until SIPp listens
            target = f"sip:someone@127.0.0.1:{port}"
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind(("127.0.0.1", 0))
                s.settimeout(10)

                def send(text):
                    s.sendto(text.encode(), ("127.0.0.1", p.sip_port))

                def final():
                    while True:
                        reply = s.recv(65535).decode()
                        if status_of(reply) >= 200:
                            return reply
                invite = request("INVITE", target, f"sip:demo@{DOMAIN}", target, "out1")
                send(invite)
                challenge = final()
                self.assertEqual(status_of(challenge), 407, challenge)
                send(request("ACK", target, f"sip:demo@{DOMAIN}", target, "out1"))
                auth = digest_authorization(challenge, "demo", p.password("demo"), "INVITE", target, proxy=True)
                send(request("INVITE", target, f"sip:demo@{DOMAIN}", target, "out2", extra=auth, cseq=2, call_id="out1"))
                answer = final()
                self.assertEqual(status_of(answer), 486, answer)  # the outside callee's answer, relayed
            self.assertEqual(outside.wait(timeout=30), 0)

    def test_no_open_relay(self):
        with SipServer() as p:
            # Unauthenticated, to another domain: refused, and logged.
            reply = udp_exchange(p.sip_port, request("INVITE", "sip:someone@far.example", "sip:bob@elsewhere.test",
                                                     "sip:someone@far.example", "relay1"))
            self.assertEqual(status_of(reply), 403, reply)
            wait_for(lambda: "router.signal.relay_denied" in p.log("router"), what="relay refusal logged")
            # Claiming a local caller without credentials: challenged, for
            # existing and unknown targets alike.
            for target in ("demo2", "nobody"):
                reply = udp_exchange(p.sip_port, request("INVITE", f"sip:{target}@{DOMAIN}", f"sip:demo@{DOMAIN}",
                                                         f"sip:{target}@{DOMAIN}", f"scan{target}"))
                self.assertEqual(status_of(reply), 407, reply)


class Messages(unittest.TestCase):
    def test_message_delivered_and_stored_then_delivered(self):
        with SipServer() as p:
            for transport in ("u1", "t1"):
                with self.subTest(transport=transport):
                    callee, port = p.callee("demo2", "uas_message.xml", transport)
                    r = p.call("uac_message.xml", "demo", "demo2", transport)
                    self.assertEqual(r.returncode, 0, r.stdout[-3000:])
                    wait_for(lambda: "MESSAGE sip:" in p.messages_seen(port), what="the MESSAGE delivered")
                    callee.kill()
                    p.ctl("sip", "unregister", f"demo2@{DOMAIN}")
            # demo3 has no device: the message is kept (202) ...
            r = p.call("uac_message.xml", "demo", "demo3", "u1")
            self.assertEqual(r.returncode, 0, r.stdout[-3000:])
            # ... and reaches the device that registers next.
            _, port = p.callee("demo3", "uas_message.xml")
            wait_for(lambda: re.search(r"MESSAGE sip:demo3@[^\n]*\n(.*\n)*Date: ", p.messages_seen(port)),
                     what="the stored MESSAGE delivered with its Date")


class BadInput(unittest.TestCase):
    # Messages of the kinds RFC 4475 (3.1.2, 3.3) describes: each gets a
    # 400/416/505/483 or nothing, and sipd goes on answering, same process.
    CASES = [
        ("unknown version", "OPTIONS sip:{h} SIP/7.0\r\nVia: SIP/7.0/UDP 127.0.0.1:9;branch=z9hG4bKv7\r\n"
         "From: <sip:x@elsewhere.test>;tag=1\r\nTo: <sip:{h}>\r\nCall-ID: v7\r\nCSeq: 1 OPTIONS\r\n"
         "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", {505, None}),
        ("unknown scheme", "OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKsc\r\n"
         "From: <sip:x@elsewhere.test>;tag=1\r\nTo: <sip:demo@example.test>\r\nCall-ID: sc\r\nCSeq: 1 OPTIONS\r\n"
         "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", {416, 400, None}),
        ("method mismatch", "OPTIONS sip:{h} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKmm\r\n"
         "From: <sip:x@elsewhere.test>;tag=1\r\nTo: <sip:{h}>\r\nCall-ID: mm\r\nCSeq: 1 INVITE\r\n"
         "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", {400, None}),
        ("negative Content-Length", "OPTIONS sip:{h} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKcl\r\n"
         "From: <sip:x@elsewhere.test>;tag=1\r\nTo: <sip:{h}>\r\nCall-ID: cl\r\nCSeq: 1 OPTIONS\r\n"
         "Max-Forwards: 70\r\nContent-Length: -999\r\n\r\n", {400, None}),
        ("no hops left", "OPTIONS sip:demo@example.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKmf\r\n"
         "From: <sip:x@elsewhere.test>;tag=1\r\nTo: <sip:demo@example.test>\r\nCall-ID: mf\r\nCSeq: 1 OPTIONS\r\n"
         "Max-Forwards: 0\r\nContent-Length: 0\r\n\r\n", {483}),
        ("escaped NUL in a header", "OPTIONS sip:{h} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKnul\r\n"
         "From: <sip:%00@elsewhere.test>;tag=1\r\nTo: <sip:{h}>\r\nCall-ID: nul\r\nCSeq: 1 OPTIONS\r\n"
         "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", {200, 400, None}),
        ("no Via", "OPTIONS sip:{h} SIP/2.0\r\nFrom: <sip:x@elsewhere.test>;tag=1\r\nTo: <sip:{h}>\r\n"
         "Call-ID: nv\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", {None}),
        ("binary noise", "\x00\x01\x02\xff SIP/2.0 garbage\r\n\r\n", {None}),
        ("huge header", "OPTIONS sip:{h} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbig\r\n"
         "From: <sip:x@elsewhere.test>;tag=1\r\nTo: <sip:{h}>\r\nCall-ID: big\r\nCSeq: 1 OPTIONS\r\n"
         "Subject: " + "x" * 20000 + "\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", {400, 513, None}),
    ]

    def test_malformed_messages_are_answered_or_dropped(self):
        with SipServer() as p:
            pid = p.pid("sipd")
            host = f"127.0.0.1:{p.sip_port}"
            ping = request("OPTIONS", f"sip:{host}", "sip:x@elsewhere.test", f"sip:{host}", "ping0")
            for n, (name, text, expected) in enumerate(self.CASES):
                with self.subTest(case=name):
                    reply = udp_exchange(p.sip_port, text.replace("{h}", host), timeout=1.0)
                    self.assertIn(status_of(reply), expected, reply)
                    self.assertEqual(status_of(udp_exchange(p.sip_port, ping.replace("ping0", f"ping{n + 1}"))), 200)
            self.assertEqual(p.pid("sipd"), pid)
            self.assertEqual(p.status()["sipd"]["restarts"], 0)


if __name__ == "__main__":
    unittest.main()
