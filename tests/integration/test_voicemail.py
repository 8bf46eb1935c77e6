"""Voicemail end to end: the real parleyd with sipd, media and the mail
processes. demo2's calls go to voicemail when no phone of theirs is
registered (every account's built-in sip_forward_unregistered). A
caller of the test's own (SIP over UDP, RTP on a plain socket, G.711 µ-law
and RFC 4733 events written here) hears the greeting and the tone, speaks a
440 Hz tone for three seconds and presses #; it hears goodbye and gets the
server's BYE. The message arrives in demo2's INBOX (read with imaplib) as a
mail with an audio/wav attachment, which sox measures: its length and its
pitch are what was sent. Then a real softphone, Debian's baresip, calls
demo2 and speaks a WAV file (its aufile source) into voicemail; that
message arrives too, and demo2's own baresip, subscribed to its
message-summary, is told a message waits."""

import audioop
import email
import imaplib
import math
import os
import re
import select
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, wait_for  # noqa: E402
from test_media import UserAgent, header, media_of, rtp_socket  # noqa: E402
from test_sip import DOMAIN, digest_authorization  # noqa: E402
from test_mail import tls_context  # noqa: E402
from test_sip_mwi import MwiServer  # noqa: E402
from test_softphone import MD5_ONLY, Baresip  # noqa: E402

PROMPTS = os.path.join(BIN, "..", "share", "prompts")


class VoicemailServer(MwiServer):
    """MwiServer with media, playing the prompts this build made."""

    def __init__(self, sipd=""):
        super().__init__(media=True, sipd=sipd)
        self.sections = self.sections.replace("[media]\n", f'[media]\nprompts = "{os.path.abspath(PROMPTS)}"\n', 1)
        self.write_config(self.config_text().replace("PASSWORDS", os.path.join(self.dir, "passwords")))


def rms(pcm):
    return audioop.rms(pcm, 2)


def sine_frames(hz, seconds, rate=8000):
    """µ-law frames of 20 ms of a sine at -12 dBFS."""
    samples = [int(8000 * math.sin(2 * math.pi * hz * n / rate)) for n in range(int(rate * seconds))]
    pcm = struct.pack(f"<{len(samples)}h", *samples)
    ulaw = audioop.lin2ulaw(pcm, 2)
    return [ulaw[i:i + 160] for i in range(0, len(ulaw), 160)]


def inbox(test, p, account, count):
    """The `count` messages of `account`'s INBOX, once there (imaplib)."""
    imap = imaplib.IMAP4("127.0.0.1", p.imap_port, timeout=30)
    test.addCleanup(imap.logout)
    imap.starttls(ssl_context=tls_context())
    imap.login(f"{account}@{DOMAIN}", p.password(account))

    def arrived():
        imap.select("INBOX")
        ids = imap.search(None, "ALL")[1][0].split()
        return ids if len(ids) >= count else None
    ids = wait_for(arrived, timeout=30, what=f"{count} message(s) in the INBOX")
    return [email.message_from_bytes(imap.fetch(i, "(RFC822)")[1][0][1]) for i in ids]


def sox_stat(wav_bytes):
    """(length in seconds, rough frequency, RMS amplitude) by sox."""
    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        f.write(wav_bytes)
        f.flush()
        length = float(subprocess.run(["sox", "--i", "-D", f.name], capture_output=True, text=True, check=True).stdout)
        stat = subprocess.run(["sox", f.name, "-n", "stat"], capture_output=True, text=True).stderr
    return (length, int(re.search(r"Rough\s+frequency:\s+(\d+)", stat).group(1)),
            float(re.search(r"RMS\s+amplitude:\s+([\d.]+)", stat).group(1)))


def check_message(test, message, subject, lengths, pitches):
    """A voicemail mail: its Subject's start, one audio/wav part whose
    length (s) and pitch (Hz) sox finds within the ranges, and sound in it."""
    test.assertTrue(message["Subject"].startswith(subject), message["Subject"])
    test.assertEqual(message["Message-Context"], "voice-message")
    wavs = [part for part in message.walk() if part.get_content_type() == "audio/wav"]
    test.assertEqual(len(wavs), 1)
    length, pitch, level = sox_stat(wavs[0].get_payload(decode=True))
    test.assertTrue(lengths[0] <= length <= lengths[1], length)
    test.assertTrue(pitches[0] <= pitch <= pitches[1], pitch)
    test.assertGreater(level, 0.05)


class Voicemail(unittest.TestCase):
    def test_a_message_left_arrives_as_mail_with_what_was_said(self):
        with VoicemailServer() as p:
            p.wait_state("media", "ready")
            # demo2 has voicemail by default, and no phone registered.
            caller, audio = UserAgent(p.sip_port), rtp_socket()
            self.addCleanup(caller.close)
            self.addCleanup(audio.close)
            rtp_port = audio.getsockname()[1]
            offer = (f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                     f"m=audio {rtp_port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
                     f"a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")
            target = f"sip:demo2@{DOMAIN}"
            call_id = "voicemail@test"

            def invite(cseq, auth=""):
                return (f"INVITE {target} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{caller.port};branch=z9hG4bKvm{cseq};rport\r\n"
                        f"Max-Forwards: 70\r\nFrom: \"Demo One\" <sip:demo@{DOMAIN}>;tag=caller\r\nTo: <{target}>\r\n"
                        f"Call-ID: {call_id}\r\nCSeq: {cseq} INVITE\r\n"
                        f"Contact: <sip:demo@127.0.0.1:{caller.port}>\r\n{auth}Content-Type: application/sdp\r\n"
                        f"Content-Length: {len(offer)}\r\n\r\n{offer}")
            caller.send(invite(1))
            challenge = caller.recv()
            self.assertTrue(challenge.startswith("SIP/2.0 407 "), challenge)
            caller.send(f"ACK {target} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{caller.port};branch=z9hG4bKvm1;rport\r\n"
                        f"Max-Forwards: 70\r\nFrom: <sip:demo@{DOMAIN}>;tag=caller\r\nTo: {header(challenge, 'To')}\r\n"
                        f"Call-ID: {call_id}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n")
            caller.send(invite(2, digest_authorization(challenge, "demo", p.password("demo"), "INVITE", target,
                                                       proxy=True)))
            answered = caller.recv()
            while answered.startswith("SIP/2.0 18"):
                answered = caller.recv()
            self.assertTrue(answered.startswith("SIP/2.0 200 "), answered)
            address, port = media_of(answered)
            self.assertEqual(address, "127.0.0.1")
            self.assertTrue(p.media_ports[0] <= port <= p.media_ports[1], port)
            body = answered.split("\r\n\r\n", 1)[1]
            self.assertRegex(body, r"m=audio \d+ RTP/AVP 0 101\r\n")
            to = header(answered, "To")
            contact = re.search(r"<([^>]+)>", header(answered, "Contact")).group(1)
            caller.send(f"ACK {contact} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{caller.port};branch=z9hG4bKvmack;rport\r\n"
                        f"Max-Forwards: 70\r\nFrom: <sip:demo@{DOMAIN}>;tag=caller\r\nTo: {to}\r\n"
                        f"Call-ID: {call_id}\r\nCSeq: 2 ACK\r\nContent-Length: 0\r\n\r\n")

            # The greeting and the tone: sound, then silence once the
            # recording starts; together under ten seconds.
            media = ("127.0.0.1", port)
            seq, ts = 100, 1000

            def send(payload, pt=0, marker=False):
                nonlocal seq
                audio.sendto(struct.pack("!BBHII", 0x80, pt | (0x80 if marker else 0), seq, ts, 0x01020304) + payload,
                             media)
                seq += 1

            # Like a phone, the caller sends all along: silence while it
            # listens, a frame for each frame heard.
            heard, quiet, started = [], 0, time.time()
            while time.time() - started < 15:
                send(b"\xff" * 160)
                ts += 160
                packet, source = audio.recvfrom(2048)
                self.assertEqual(source, media, "media answers from the port it gave")
                self.assertEqual(packet[1] & 0x7f, 0, "PCMU")
                level = rms(audioop.ulaw2lin(packet[12:], 2))
                heard.append(level)
                quiet = quiet + 1 if level < 50 else 0
                if quiet >= 25 and sum(1 for x in heard if x >= 50) >= 50:
                    break
            sounding = [i for i, x in enumerate(heard) if x >= 50]
            self.assertGreaterEqual(len(sounding), 50, "a greeting was heard")
            self.assertLess((sounding[-1] + 1) * 0.02, 10.0, "greeting and tone under 10 s")

            # Three seconds of 440 Hz, in real time, then # (RFC 4733: the
            # event's packets, its end three times).
            for f in sine_frames(440, 3.0):
                send(f)
                ts += 160
                time.sleep(0.02)
            for i, end in enumerate([False, False, True, True, True]):
                send(struct.pack("!BBH", 11, (0x80 if end else 0) | 10, 160 * (i + 1)), pt=101, marker=i == 0)
                time.sleep(0.02)

            # Goodbye, then the server's BYE.
            bye = None
            deadline = time.time() + 15
            goodbye = 0
            while bye is None and time.time() < deadline:
                ready, _, _ = select.select([audio, caller.sock], [], [], 1)
                if audio in ready:
                    packet = audio.recv(2048)
                    if rms(audioop.ulaw2lin(packet[12:], 2)) >= 50:
                        goodbye += 1
                if caller.sock in ready:
                    message = caller.recv()
                    if message.startswith("BYE "):
                        bye = message
            self.assertIsNotNone(bye, "the server ends the call")
            self.assertGreater(goodbye, 25, "goodbye was said")
            keep = [l for l in bye.split("\r\n\r\n")[0].split("\r\n")[1:]
                    if l.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")]
            caller.send("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n")

            # The message, in demo2's INBOX.
            # The 3 s spoken, and what the jitter buffer held of the
            # silence sent while the tone ended.
            check_message(self, inbox(self, p, "demo2", 1)[0], "Voicemail from Demo One <demo@example.test> (0:0",
                          (2.9, 4.2), (400, 480))

            # The call is over on both sides.
            wait_for(lambda: "application calls 0" in p.ctl("status").stdout, what="media's call ended")


class Softphone(unittest.TestCase):
    def test_baresip_leaves_a_message_from_a_wav_file_and_the_lamp_lights(self):
        with VoicemailServer(sipd=MD5_ONLY) as p:
            p.wait_state("media", "ready")
            # demo2's own phone is registered and watches its message-summary;
            # its calls all go to voicemail.
            r = p.ctl("account", "set", f"demo2@{DOMAIN}", "sip_forward_always=voicemail")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            # What the caller says: 12 s of 660 Hz (the greeting and the
            # tone take the first five or six).
            wav = os.path.join(p.dir, "message.wav")
            subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", wav, "synth", "12", "sine", "660",
                            "vol", "0.5"], check=True)
            with Baresip(p, "callee", "demo2", p.password("demo2"), "udp", mwi=True) as lamp, \
                    Baresip(p, "caller", "demo", p.password("demo"), "udp", wav=wav) as phone:
                for ua in (lamp, phone):
                    ok = ua.event("REGISTER_OK", "REGISTER_FAIL")
                    self.assertEqual(ok["type"], "REGISTER_OK", ok)
                self.assertTrue(phone.command("dial", f"sip:demo2@{DOMAIN}").get("ok"))
                established = phone.event("CALL_ESTABLISHED", "CALL_CLOSED")
                self.assertEqual(established["type"], "CALL_ESTABLISHED", established)
                self.assertEqual(lamp.seen("CALL_INCOMING"), [], "demo2's phone does not ring")
                time.sleep(10)
                self.assertEqual(phone.seen("CALL_CLOSED"), [], "the call is still up")
                self.assertTrue(phone.command("hangup").get("ok"))
                phone.event("CALL_CLOSED")
                message = inbox(self, p, "demo2", 1)[0]

                def lit():
                    for e in lamp.seen("MWI_NOTIFY"):
                        if "Messages-Waiting: yes" in e.get("param", ""):
                            return e
                    return None
                wait_for(lit, timeout=20, what="a message-summary NOTIFY with a message waiting on demo2's phone")
            check_message(self, message, "Voicemail from demo@example.test (", (2.0, 8.0), (600, 720))


if __name__ == "__main__":
    unittest.main()
