"""Calls leaving the system, end to end: the real parleyd with directory,
router and sipd; SIPp plays the local caller and the servers outside
(another domain's server found through a test DNS server, RFC 3263)."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from dns_server import DnsServer, SRV, a, srv  # noqa: E402
from test_sip import DOMAIN, SCENARIOS, SIPP, SipServer, free_udp_tcp_port  # noqa: E402
from harness import wait_for  # noqa: E402


def provider_sipp(scenario, port, directory):
    """SIPp playing the provider (a UAS on `port`), started now."""
    cmd = [SIPP, "-sf", os.path.join(SCENARIOS, scenario), "-t", "u1", "-p", str(port), "-i", "127.0.0.1", "-m", "1",
           "-nostdin", "-timeout", "60s", "-timeout_error", "-trace_err",
           "-error_file", os.path.join(directory, f"sipp-{scenario}-{port}.err")]
    return subprocess.Popen(cmd, cwd=directory, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


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



def errors_of(directory):
    """What the SIPp processes of `directory` reported, for failure messages."""
    out = ""
    for name in sorted(os.listdir(directory)):
        if name.startswith("sipp-") and name.endswith(".err"):
            with open(os.path.join(directory, name), errors="replace") as f:
                out += f"\n--- {name}\n" + f.read()[-3000:]
    return out


class Trunks(unittest.TestCase):
    def test_registers_with_digest_calls_out_and_in(self):
        # The provider: provider.test's registrar and gw.provider.test's
        # proxy, each a SIPp on a port its SRV record names.
        registrar_port, gateway_port = free_udp_tcp_port(), free_udp_tcp_port()
        dns = DnsServer({
            "provider.test": [], "_sip._udp.provider.test": [srv(10, 0, registrar_port, "reg.provider.test")],
            "reg.provider.test": [a("127.0.0.1")],
            "gw.provider.test": [], "_sip._udp.gw.provider.test": [srv(10, 0, gateway_port, "gw1.provider.test")],
            "gw1.provider.test": [a("127.0.0.1")],
        })
        work = tempfile.mkdtemp(prefix="parley-trunk-")
        os.chmod(work, 0o755)
        secret = os.path.join(work, "provider.secret")
        with open(secret, "w") as f:
            f.write("trunk-secret\n")
        os.chmod(secret, 0o644)
        registrar = provider_sipp("trunk_registrar.xml", registrar_port, work)
        try:
            time.sleep(0.5)  # until SIPp listens
            # The router's section goes after sipd's keys (the last section).
            settings = (f'dns_servers = ["127.0.0.1:{dns.port}"]\n'
                        f'trunks = ["provider registrar=sip:provider.test username=4930123 password_file={secret} '
                        f'realm=provider.test proxy=sip:gw.provider.test"]\n'
                        f'trunk_dids = ["4930123=demo2@{DOMAIN}"]\n'
                        '[router]\nsip_gateways = ["0* = trunk:provider:+4930*"]\n')
            with SipServer(sipd=settings) as p:
                p.children.append(registrar)
                # Challenged, answered with the trunk's credentials, registered.
                self.assertEqual(registrar.wait(timeout=30), 0, "the registrar's scenario failed")
                wait_for(lambda: "registered" in p.ctl("sip", "trunks").stdout, what="trunk registered")
                self.assertNotIn("trunk-secret", p.log("sipd"))

                # Out: demo dials 0301234; the gateway rule sends it to the
                # trunk as +4930301234, whose proxy challenges the INVITE.
                gateway = provider_sipp("trunk_gateway.xml", gateway_port, p.dir)
                p.children.append(gateway)
                time.sleep(0.5)
                r = p.sipp("uac_call_out.xml", "demo", "u1", "-s", "0301234", "-key", "caller", "demo",
                           "-key", "target", DOMAIN)
                self.assertEqual(r.returncode, 0, r.stdout[-3000:] + p.log("sipd")[-3000:] + errors_of(p.dir))
                self.assertEqual(gateway.wait(timeout=30), 0, "the provider's proxy scenario failed")

                # In: the provider calls the registered contact for the
                # number 4930123, which trunk_dids maps to demo2.
                p.callee("demo2", "uas_answer.xml")
                # (SipServer.sipp names example.test as the caller's domain.)
                cmd = [SIPP, "-sf", os.path.join(SCENARIOS, "uac_call_out.xml"), f"127.0.0.1:{p.sip_port}", "-t", "u1",
                       "-p", str(free_udp_tcp_port()), "-i", "127.0.0.1", "-m", "1", "-s", "4930123",
                       "-key", "domain", "provider.test", "-key", "caller", "caller",
                       "-key", "target", f"127.0.0.1:{p.sip_port}", "-au", "caller", "-ap", "not-asked",
                       "-nostdin", "-timeout", "30s", "-timeout_error", "-trace_err",
                       "-error_file", os.path.join(p.dir, "sipp-incoming.err")]
                r = subprocess.run(cmd, cwd=p.dir, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=90)
                self.assertEqual(r.returncode, 0, r.stdout[-3000:] + errors_of(p.dir))
                self.assertNotIn("trunk-secret", p.log("sipd"))
        finally:
            dns.stop()
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
