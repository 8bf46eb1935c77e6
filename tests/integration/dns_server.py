"""A small authoritative DNS server over UDP on 127.0.0.1 for the
integration tests (RFC 1035 4.1 wire format; A, SRV and NAPTR answers from
a table), so that sipd's RFC 3263 location reaches test peers without the
network. A name in the table answers its records of the asked type (none:
NODATA); any other name is NXDOMAIN."""

import socket
import struct
import threading

A, SRV, NAPTR = 1, 33, 35


def _name(text):
    out = b""
    for label in text.strip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def a(address):
    return (A, socket.inet_aton(address))


def srv(priority, weight, port, target):
    return (SRV, struct.pack("!HHH", priority, weight, port) + _name(target))


class DnsServer:
    """Serves `records` ({name: [(type, rdata), ...]}) until stopped."""

    def __init__(self, records):
        self.records = {k.lower().strip("."): v for k, v in records.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.queries = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            reply = self._answer(data)
            if reply is not None:
                self.sock.sendto(reply, peer)

    def _answer(self, q):
        if len(q) < 12 or q[2] & 0x80:
            return None
        pos, labels = 12, []
        while pos < len(q) and q[pos] != 0:
            n = q[pos]
            labels.append(q[pos + 1:pos + 1 + n].decode(errors="replace").lower())
            pos += 1 + n
        if pos + 5 > len(q):
            return None
        qtype = struct.unpack("!H", q[pos + 1:pos + 3])[0]
        question = q[12:pos + 5]
        name = ".".join(labels)
        self.queries.append((name, qtype))
        found = self.records.get(name)
        answers = [rd for t, rd in (found or []) if t == qtype]
        rcode = 3 if found is None else 0
        head = q[:2] + bytes([0x84 | (q[2] & 0x01), 0x80 | rcode]) + struct.pack("!HHHH", 1, len(answers), 0, 0)
        body = b"".join(struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(rd)) + rd for rd in answers)
        return head + question + body

    def stop(self):
        self.sock.close()
