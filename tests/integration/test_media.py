"""The media relay end to end: parleyd with directory, router, sipd and
media. A caller whose SDP names a private address (it is behind NAT) calls a
registered callee; both are small SIP user agents of the test's own over
UDP, and their RTP is sent and read with plain sockets. The relay's address
and ports reach each side in the SDP, the caller's media is latched to where
it really comes from, and the call's end frees the ports."""

import os
import re
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import wait_for  # noqa: E402
from test_sip import DOMAIN, SipServer, digest_authorization, digest_register  # noqa: E402


class UserAgent:
    """A SIP endpoint on a UDP socket: sends text, reads whole messages."""

    def __init__(self, server_port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(10)
        self.port = self.sock.getsockname()[1]
        self.server = ("127.0.0.1", server_port)

    def send(self, text):
        self.sock.sendto(text.encode(), self.server)

    def recv(self, skip_trying=True):
        while True:
            data = self.sock.recv(65535).decode(errors="replace")
            if not (skip_trying and data.startswith("SIP/2.0 100 ")):
                return data

    def close(self):
        self.sock.close()


def rtp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(5)
    return s


def rtp(payload, seq=1):
    return bytes([0x80, 0x00, seq >> 8, seq & 0xff, 0, 0, 0, 160, 0x11, 0x22, 0x33, 0x44]) + payload


def sdp(address, port):
    return (f"v=0\r\no=- 1 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
            f"a=sendrecv\r\n")


def media_of(message):
    """(c= address, m=audio port) of a message's SDP."""
    body = message.split("\r\n\r\n", 1)[1]
    return re.search(r"^c=IN IP4 (\S+)", body, re.M).group(1), int(re.search(r"^m=audio (\d+)", body, re.M).group(1))


def header(message, name):
    return re.search(rf"^{name}:\s*(.*?)\r$", message, re.M | re.I).group(1)


class Call:
    """A call from demo (behind NAT: its SDP and Contact name 10.20.30.40)
    to demo2, both user agents of the test's own on loopback, with an RTP
    socket each; set up through the relay by Relay.relayed_call."""


class Relay(unittest.TestCase):
    def relayed_call(self, p, call_id):
        c = Call()
        c.callee, c.caller = UserAgent(p.sip_port), UserAgent(p.sip_port)
        c.caller_rtp, c.callee_rtp = rtp_socket(), rtp_socket()
        for s in (c.callee, c.caller, c.caller_rtp, c.callee_rtp):
            self.addCleanup(s.close)
        reply = digest_register(c.callee.send, c.callee.recv, "demo2", p.password("demo2"), "UDP",
                                f"sip:demo2@127.0.0.1:{c.callee.port}")
        self.assertTrue(reply.startswith("SIP/2.0 200 "), reply)

        # The caller's SDP: a private address and a port nobody reads.
        c.offer = sdp("10.20.30.40", 4000)
        target = f"sip:demo2@{DOMAIN}"

        def invite(cseq, auth=""):
            return (f"INVITE {target} SIP/2.0\r\nVia: SIP/2.0/UDP 10.20.30.40:5060;branch=z9hG4bKinv{cseq};rport\r\n"
                    f"Max-Forwards: 70\r\nFrom: <sip:demo@{DOMAIN}>;tag=caller\r\nTo: <{target}>\r\n"
                    f"Call-ID: {call_id}\r\nCSeq: {cseq} INVITE\r\n"
                    f"Contact: <sip:demo@10.20.30.40:5060>\r\n{auth}Content-Type: application/sdp\r\n"
                    f"Content-Length: {len(c.offer)}\r\n\r\n{c.offer}")
        c.caller.send(invite(1))
        challenge = c.caller.recv()
        self.assertTrue(challenge.startswith("SIP/2.0 407 "), challenge)
        challenged_to = header(challenge, "To")
        c.caller.send(f"ACK {target} SIP/2.0\r\nVia: SIP/2.0/UDP 10.20.30.40:5060;branch=z9hG4bKinv1;rport\r\n"
                      f"Max-Forwards: 70\r\nFrom: <sip:demo@{DOMAIN}>;tag=caller\r\nTo: {challenged_to}\r\n"
                      f"Call-ID: {call_id}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n")
        c.caller.send(invite(2, digest_authorization(challenge, "demo", p.password("demo"), "INVITE", target,
                                                     proxy=True)))

        # The callee is offered the relay's address and a port of its range.
        c.incoming = c.callee.recv()
        self.assertTrue(c.incoming.startswith("INVITE "), c.incoming)
        address, c.callee_sends_to = media_of(c.incoming)
        self.assertEqual(address, "127.0.0.1")
        self.assertTrue(p.media_ports[0] <= c.callee_sends_to <= p.media_ports[1], c.callee_sends_to)
        self.assertNotIn("c=IN IP4 10.20.30.40", c.incoming.split("\r\n\r\n", 1)[1])

        answer = sdp("127.0.0.1", c.callee_rtp.getsockname()[1])
        keep = [l for l in c.incoming.split("\r\n\r\n")[0].split("\r\n")[1:]
                if l.split(":")[0].lower() in ("via", "from", "call-id", "cseq", "record-route")]
        c.to = header(c.incoming, "To") + ";tag=callee"
        c.callee.send("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + f"\r\nTo: {c.to}\r\n"
                      f"Contact: <sip:demo2@127.0.0.1:{c.callee.port}>\r\nContent-Type: application/sdp\r\n"
                      f"Content-Length: {len(answer)}\r\n\r\n{answer}")

        # The caller hears the relay's address and its other port.
        c.answered = c.caller.recv()
        self.assertTrue(c.answered.startswith("SIP/2.0 200 "), c.answered)
        address, c.caller_sends_to = media_of(c.answered)
        self.assertEqual(address, "127.0.0.1")
        self.assertTrue(p.media_ports[0] <= c.caller_sends_to <= p.media_ports[1], c.caller_sends_to)
        self.assertNotEqual(c.caller_sends_to, c.callee_sends_to)
        return c

    def test_a_caller_behind_nat_is_relayed_latched_and_released(self):
        with SipServer(media=True) as p:
            p.wait_state("media", "ready")
            c = self.relayed_call(p, "relayed@test")
            caller, callee, caller_rtp, callee_rtp = c.caller, c.callee, c.caller_rtp, c.callee_rtp
            caller_sends_to, callee_sends_to = c.caller_sends_to, c.callee_sends_to
            incoming, answered, to, offer = c.incoming, c.answered, c.to, c.offer
            # Media both ways: the callee's first packet goes where the
            # caller's SDP said (nowhere); once the caller has sent, its
            # packets and the callee's meet through the relay.
            caller_rtp.sendto(rtp(b"hello from behind nat"), ("127.0.0.1", caller_sends_to))
            data, source = callee_rtp.recvfrom(2048)
            self.assertEqual(data, rtp(b"hello from behind nat"))
            self.assertEqual(source, ("127.0.0.1", callee_sends_to), "the relay sends from the callee's port")
            callee_rtp.sendto(rtp(b"hello back", 2), ("127.0.0.1", callee_sends_to))
            data, source = caller_rtp.recvfrom(2048)
            self.assertEqual(data, rtp(b"hello back", 2), "latched to where the caller's packets came from")
            self.assertEqual(source, ("127.0.0.1", caller_sends_to))

            listed = p.ctl("--json", "media", "calls")
            self.assertEqual(listed.returncode, 0, listed.stderr)
            self.assertIn("relayed@test", listed.stdout)
            self.assertIn(f"127.0.0.1:{caller_rtp.getsockname()[1]}", listed.stdout)

            # A stranger's packets to the caller's port are not relayed.
            with rtp_socket() as stranger:
                stranger.sendto(rtp(b"injected", 3), ("127.0.0.1", caller_sends_to))
                callee_rtp.settimeout(0.5)
                with self.assertRaises(socket.timeout):
                    callee_rtp.recvfrom(2048)

            # The callee puts the call on hold from a new port (a
            # re-INVITE): the caller is offered the relay again, and the
            # caller's media goes to the callee's new port.
            held_rtp = rtp_socket()
            held = sdp("127.0.0.1", held_rtp.getsockname()[1]).replace("a=sendrecv", "a=sendonly")
            routes = re.findall(r"^Record-Route:\s*(.*?)\r$", incoming, re.M)
            callee.send(f"INVITE sip:demo@10.20.30.40:5060 SIP/2.0\r\n"
                        f"Via: SIP/2.0/UDP 127.0.0.1:{callee.port};branch=z9hG4bKhold;rport\r\nMax-Forwards: 70\r\n"
                        f"Route: {', '.join(routes)}\r\nFrom: {to}\r\nTo: {header(incoming, 'From')}\r\n"
                        f"Call-ID: relayed@test\r\nCSeq: 1 INVITE\r\nContact: <sip:demo2@127.0.0.1:{callee.port}>\r\n"
                        f"Content-Type: application/sdp\r\nContent-Length: {len(held)}\r\n\r\n{held}")
            reinvite = caller.recv()
            self.assertTrue(reinvite.startswith("INVITE "), reinvite)
            self.assertEqual(media_of(reinvite), ("127.0.0.1", caller_sends_to))
            self.assertIn("a=sendonly", reinvite)
            keep = [l for l in reinvite.split("\r\n\r\n")[0].split("\r\n")[1:]
                    if l.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq", "record-route")]
            caller.send("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContact: <sip:demo@10.20.30.40:5060>\r\n"
                        f"Content-Type: application/sdp\r\nContent-Length: {len(offer)}\r\n\r\n{offer}")
            held_ok = callee.recv()
            self.assertTrue(held_ok.startswith("SIP/2.0 200 "), held_ok)
            self.assertEqual(media_of(held_ok), ("127.0.0.1", callee_sends_to))
            caller_rtp.sendto(rtp(b"music on hold", 4), ("127.0.0.1", caller_sends_to))
            data, _ = held_rtp.recvfrom(2048)
            self.assertEqual(data, rtp(b"music on hold", 4))
            held_rtp.close()
            # The re-INVITE is not a new call.
            self.assertEqual(p.log("sipd").count("sip.call.answer"), 1)

            # The caller hangs up: the relay's ports are freed.
            route = ", ".join(re.findall(r"^Record-Route:\s*(.*?)\r$", answered, re.M))
            caller.send(f"BYE sip:demo2@127.0.0.1:{callee.port} SIP/2.0\r\n"
                        f"Via: SIP/2.0/UDP 10.20.30.40:5060;branch=z9hG4bKbye;rport\r\nMax-Forwards: 70\r\n"
                        f"Route: {route}\r\nFrom: <sip:demo@{DOMAIN}>;tag=caller\r\nTo: {header(answered, 'To')}\r\n"
                        f"Call-ID: relayed@test\r\nCSeq: 3 BYE\r\nContent-Length: 0\r\n\r\n")
            bye = callee.recv()
            self.assertTrue(bye.startswith("BYE "), bye)
            wait_for(lambda: "media.relay.released" in p.log("media"), what="the relay released")
            listed = p.ctl("--json", "media", "calls")
            self.assertNotIn("relayed@test", listed.stdout)
            self.assertIn('"ports_in_use":0', listed.stdout)

    def test_a_call_without_media_is_ended_by_the_relay(self):
        with SipServer(media=True) as p:
            p.wait_state("media", "ready")
            self.relayed_call(p, "silent@test")
            # Nobody sends: after media.timeout_s (5 s here) the relay ends
            # the call, and sipd's call record ends with it.
            wait_for(lambda: "media.relay.ended" in p.log("media"), timeout=30, what="the relay's timeout")
            self.assertIn("media timeout", p.log("media"))
            wait_for(lambda: "media timeout" in p.log("sipd"), timeout=10, what="sipd's call end")
            self.assertNotIn("silent@test", p.ctl("sip", "calls").stdout)

    def test_calls_between_public_addresses_are_not_relayed_by_default(self):
        with SipServer(media=True) as p:
            p.wait_state("media", "ready")
            callee, port = p.callee("demo2", "uas_answer.xml")
            r = p.call("uac_call.xml", "demo", "demo2")
            self.assertEqual(r.returncode, 0, r.stdout[-3000:])
            self.assertNotIn("media.relay.started", p.log("media"))
            callee.kill()


if __name__ == "__main__":
    unittest.main()
