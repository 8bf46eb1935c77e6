"""Calls leaving the system, end to end: the real parleyd with directory,
router and sipd; SIPp plays the local caller and the servers outside
(another domain's server found through a test DNS server, RFC 3263)."""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from dns_server import DnsServer, SRV, a, srv  # noqa: E402
from test_sip import SipServer, free_udp_tcp_port  # noqa: E402


class Located(unittest.TestCase):
    def test_call_to_a_domain_found_through_srv(self):
        # foreign.test's SIP server is a SIPp callee on a port of its own,
        # which only the domain's SRV record tells.
        port = free_udp_tcp_port()
        dns = DnsServer({"foreign.test": [], "_sip._udp.foreign.test": [srv(10, 0, port, "sip.foreign.test")],
                         "sip.foreign.test": [a("127.0.0.1")]})
        try:
            with SipServer(sipd=f'dns_servers = ["127.0.0.1:{dns.port}"]') as p:
                outside = subprocess.Popen(p.sipp_command("uas_answer.xml", "x", "u1", port), cwd=p.dir,
                                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
                p.children.append(outside)
                time.sleep(0.5)  # until SIPp listens
                r = p.sipp("uac_call_out.xml", "demo", "u1", "-s", "bob", "-key", "caller", "demo",
                           "-key", "target", "foreign.test")
                self.assertEqual(r.returncode, 0, r.stdout[-3000:])
                self.assertEqual(outside.wait(timeout=30), 0)
                self.assertIn(("_sip._udp.foreign.test", SRV), dns.queries)
        finally:
            dns.stop()


if __name__ == "__main__":
    unittest.main()
