#!/usr/bin/env python3
"""A deterministic mbox of varied test messages for imaptest (its `mbox=`
setting: the messages it APPENDs) and for filling benchmark mailboxes:

    tests/bench/imap/mbox.py OUT.mbox [--messages N] [--seed S]

The same arguments always give the same bytes, so every server in a
comparison gets the same mail. Messages have unique Message-IDs (imaptest's
state tracking requires it), threads (In-Reply-To/References), plain text,
multipart/alternative, base64 attachments, quoted-printable and 8-bit
UTF-8 bodies, sizes from about 0.5 KiB to 40 KiB. Lines end in LF, as mbox
files do (imaptest converts to CRLF when it appends; `messages()` gives
CRLF). No body line starts with "From ", so no line needs mbox quoting.
imaptest appends each message with the empty line that follows it in the
mbox (the one before the next From-line): `messages()` + CRLF is what it
sends, which run's imaplib filling step sends too.

Python 3 standard library only.
"""

import argparse
import base64
import random
import sys
import time

WORDS = ("imap server mailbox message folder flag seen answered draft deleted expunge fetch search sort thread "
         "envelope header body section literal sequence uid validity modseq quota namespace idle notify append "
         "copy move store select examine status list subscribe rename create delete capability login logout "
         "the a of and to in is for on with as by at from that this be are was it or an not have has").split()
NAMES = ("Alice Martin", "Bob Dupont", "Carol Nguyen", "Dave Okafor", "Eve Larsen", "Frank Moreau",
         "Grace Kim", "Heidi Schmidt", "Ivan Petrov", "Judy Rossi", "Mallory Stone", "Zoë Ångström")
DOMAINS = ("example.org", "example.net", "example.com", "mail.test")
EPOCH = 1704067200  # 2024-01-01T00:00:00Z


def address(rng):
    name = rng.choice(NAMES)
    local = name.split()[0].lower().replace("ë", "e")
    return name, f"{local}@{rng.choice(DOMAINS)}"


def header_name(name):
    if name.isascii():
        return f'"{name}"'
    return "=?UTF-8?B?" + base64.b64encode(name.encode()).decode() + "?="


def paragraph(rng, words):
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    lines, line = [], ""
    for w in text.split():
        if len(line) + len(w) + 1 > 72:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    lines.append(line)
    return "\n".join(lines).capitalize()


def body_text(rng, size):
    parts = []
    while sum(len(p) + 2 for p in parts) < size:
        parts.append(paragraph(rng, rng.randint(20, 120)))
    # No line may start with "From ": mbox would quote it as ">From " and
    # imaptest appends the quoted line, imaplib the unquoted one.
    return "\n".join("f" + l[1:] if l.startswith("From ") else l for l in "\n\n".join(parts).split("\n")) + "\n"


def quoted_printable(text):
    import quopri
    qp = quopri.encodestring(text.encode("utf-8")).decode("ascii")
    return "\n".join("=46" + l[1:] if l.startswith("From ") else l for l in qp.split("\n"))


def one_message(rng, i, ids, stamp):
    fname, faddr = address(rng)
    tname, taddr = address(rng)
    subject = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8))).capitalize()
    msg_id = f"<bench.{i}.{rng.getrandbits(40):010x}@{rng.choice(DOMAINS)}>"
    headers = [
        f"Return-Path: <{faddr}>",
        f"From: {header_name(fname)} <{faddr}>",
        f"To: {header_name(tname)} <{taddr}>",
    ]
    if rng.random() < 0.3:
        cname, caddr = address(rng)
        headers.append(f"Cc: {header_name(cname)} <{caddr}>")
    if ids and rng.random() < 0.35:  # a reply in a thread
        parent = rng.choice(ids[-20:])
        subject = "Re: " + subject
        headers += [f"In-Reply-To: {parent}", f"References: {parent}"]
    if rng.random() < 0.1:
        subject = "=?UTF-8?Q?" + "".join(f"={b:02X}" if b > 126 or chr(b) in " ?=_" else chr(b)
                                          for b in ("Ünïcödé " + subject).encode()) + "?="
    headers += [
        f"Subject: {subject}",
        "Date: " + time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(stamp)),
        f"Message-ID: {msg_id}",
        "MIME-Version: 1.0",
    ]
    size = int(rng.choice((600, 1200, 2500, 5000, 12000, 30000)) * rng.uniform(0.7, 1.3))
    kind = rng.random()
    if kind < 0.45:
        headers.append("Content-Type: text/plain; charset=us-ascii")
        body = body_text(rng, size)
    elif kind < 0.6:
        headers += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"]
        body = quoted_printable("Grüße, ça va? Ärger über Öl. " + body_text(rng, size))
    elif kind < 0.7:
        headers += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
        body = "Naïve café résumé — 日本語のテキスト.\n\n" + body_text(rng, size)
    elif kind < 0.85:
        boundary = f"=_alt_{i}_{rng.getrandbits(32):08x}"
        text = body_text(rng, size // 2)
        html = "<html><body>" + "".join(f"<p>{p}</p>" for p in text.split("\n\n")) + "</body></html>\n"
        headers.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        body = (f"This is a multi-part message in MIME format.\n\n--{boundary}\n"
                f"Content-Type: text/plain; charset=us-ascii\n\n{text}\n--{boundary}\n"
                f"Content-Type: text/html; charset=us-ascii\n\n{html}\n--{boundary}--\n")
    else:
        boundary = f"=_mixed_{i}_{rng.getrandbits(32):08x}"
        blob = base64.encodebytes(rng.randbytes(max(256, size // 2))).decode()
        headers.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
        body = (f"--{boundary}\nContent-Type: text/plain; charset=us-ascii\n\n{body_text(rng, size // 3)}\n"
                f"--{boundary}\nContent-Type: application/octet-stream; name=\"data{i}.bin\"\n"
                f"Content-Disposition: attachment; filename=\"data{i}.bin\"\n"
                f"Content-Transfer-Encoding: base64\n\n{blob}\n--{boundary}--\n")
    return msg_id, "\n".join(headers) + "\n\n" + body


def messages(count=100, seed=1):
    """[(mbox From-line date, RFC 5322 message with CRLF line endings)], the same every call."""
    rng = random.Random(seed)
    ids, out = [], []
    stamp = EPOCH
    for i in range(1, count + 1):
        stamp += rng.randint(60, 86400)
        msg_id, text = one_message(rng, i, ids, stamp)
        ids.append(msg_id)
        out.append((stamp, text.replace("\n", "\r\n").encode("utf-8")))
    return out


def write_mbox(path, count=100, seed=1):
    with open(path, "wb") as f:
        for stamp, msg in messages(count, seed):
            f.write(("From bench@mbox.test " + time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(stamp)) + "\n")
                    .encode())
            text = msg.replace(b"\r\n", b"\n")
            assert not text.startswith(b"From ") and b"\nFrom " not in text
            f.write(text + b"\n")  # the blank line before the next From-line


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="the mbox file to write")
    ap.add_argument("--messages", type=int, default=100, help="how many messages (default 100)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = ap.parse_args()
    write_mbox(args.out, args.messages, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
