"""The directory process driven through its real interfaces: parleyctl (via
parleyd's control socket) for administration, and the directory's ipc
service (resolve, SASL, digest) through tests/tools/ipc_call, as the front
ends use it. Python's standard library implements the SCRAM and digest
clients independently of the server's code."""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Parley, ipc_call, wait_for  # noqa: E402

FAST_HASH = """[directory]
argon2_memory_kib = 1024
argon2_iterations = 1
first_run_domain = "example.test"
first_run_accounts = ["postmaster", "demo", "demo2"]
auth_max_failures_per_ip = 5
auth_max_failures_per_account = 50
"""


def directory_parley(**kw):
    return Parley(processes={"directory": []}, sections=kw.pop("sections", FAST_HASH), **kw)


def auth(p, steps, mechanism, ip="192.0.2.1", service="SERVICE_IMAP"):
    """Runs a SASL exchange; `steps` is a function(challenge) -> response bytes or None to stop."""
    exchange = ""
    challenge = b""
    for _ in range(5):
        response = steps(challenge)
        req = {"mechanism": mechanism, "response": base64.b64encode(response).decode(), "exchangeId": exchange,
               "service": service, "clientAddress": ip, "sid": "test-1"}
        reply = ipc_call(p, "directory", "directory", "directory.auth", [req])[0]
        if reply.get("outcome") != "OUTCOME_CONTINUE":
            return reply
        exchange = reply["exchangeId"]
        challenge = base64.b64decode(reply.get("challenge", ""))
    raise AssertionError("exchange did not end")


def plain(p, user, password, **kw):
    return auth(p, lambda c: f"\0{user}\0{password}".encode(), "PLAIN", **kw)["outcome"]


def scram(p, user, password, **kw):
    """A SCRAM-SHA-256 client per RFC 5802/7677, written from the RFC."""
    cnonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n={user},r={cnonce}"
    state = {}

    def steps(challenge):
        if "sent" not in state:
            state["sent"] = 1
            return ("n,," + first_bare).encode()
        if state["sent"] == 1:
            server_first = challenge.decode()
            attrs = dict(a.split("=", 1) for a in server_first.split(","))
            assert attrs["r"].startswith(cnonce)
            salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
            client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
            stored = hashlib.sha256(client_key).digest()
            final_bare = f"c={base64.b64encode(b'n,,').decode()},r={attrs['r']}"
            auth_message = f"{first_bare},{server_first},{final_bare}".encode()
            signature = hmac.new(stored, auth_message, hashlib.sha256).digest()
            proof = bytes(a ^ b for a, b in zip(client_key, signature))
            server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
            state["server_signature"] = hmac.new(server_key, auth_message, hashlib.sha256).digest()
            state["sent"] = 2
            return f"{final_bare},p={base64.b64encode(proof).decode()}".encode()
        raise AssertionError("unexpected third challenge")

    reply = auth(p, steps, "SCRAM-SHA-256", **kw)
    if reply["outcome"] == "OUTCOME_OK":
        final = base64.b64decode(reply["finalData"]).decode()
        assert final == "v=" + base64.b64encode(state["server_signature"]).decode(), "server signature checks out"
    return reply["outcome"]


def ctl_in(p, args, stdin, json_output=True):
    """parleyctl with standard input (passwords are never arguments)."""
    cmd = [os.path.join(BIN, "parleyctl"), "--config", p.config_path] + (["--json"] if json_output else []) + list(args)
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=p.dir, timeout=120)


def b64(text):
    """A protobuf bytes field in JSON (the fields a client wrote are bytes)."""
    return base64.b64encode(text.encode()).decode()


def resolve(p, address):
    reply = ipc_call(p, "directory", "directory", "directory.resolve", [{"addresses": [b64(address)]}])[0]
    result = reply["results"][0]
    for field in ("address", "detail"):
        if field in result:
            result[field] = base64.b64decode(result[field]).decode()
    return result


class FirstRun(unittest.TestCase):
    def test_first_run_creates_domain_and_accounts_once(self):
        pwfile = "demo-passwords"
        with directory_parley(sections=FAST_HASH + f'first_run_password_file = "{pwfile}"\n') as p:
            out = wait_for(lambda: "passwords shown once" in p.output() and p.output(), what="first-run output")
            lines = open(os.path.join(p.dir, pwfile)).read().splitlines()
            self.assertEqual(os.stat(os.path.join(p.dir, pwfile)).st_mode & 0o777, 0o600)
            accounts = dict(l.split("\t") for l in lines)
            self.assertEqual(set(accounts), {"postmaster@example.test", "demo@example.test", "demo2@example.test"})
            for account, password in accounts.items():
                self.assertIn(password, out, "printed on stdout too")
                self.assertEqual(plain(p, account, password), "OUTCOME_OK")
            # The password is on stdout, never in a log.
            for name in ("parleyd", "directory"):
                for password in accounts.values():
                    self.assertNotIn(password, p.log(name))
            # A restart of the directory keeps everything and creates nothing new.
            self.assertEqual(p.ctl("restart", "directory").returncode, 0)
            self.assertEqual(plain(p, "demo@example.test", accounts["demo@example.test"]), "OUTCOME_OK")
            self.assertEqual(out.count("passwords shown once"), p.output().count("passwords shown once"))


class Administration(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = directory_parley().start()
        wait_for(lambda: "passwords shown once" in cls.p.output(), what="first run")

    @classmethod
    def tearDownClass(cls):
        cls.p.stop()

    def ok(self, *args, stdin=None):
        r = ctl_in(self.p, args, stdin) if stdin is not None else self.p.ctl("--json", *args)
        self.assertEqual(r.returncode, 0, f"{args}: {r.stdout} {r.stderr}")
        return json.loads(r.stdout) if r.stdout.strip() else None

    def refused(self, *args, stdin=None):
        r = ctl_in(self.p, args, stdin, json_output=False) if stdin is not None else self.p.ctl(*args)
        self.assertEqual(r.returncode, 1, f"{args}: {r.stdout} {r.stderr}")
        return r.stderr

    def test_domains_accounts_aliases(self):
        self.ok("domain", "add", "Bücher.Example")
        rows = {r["domain"]: r for r in self.ok("domain", "list")["rows"]}
        self.assertIn("xn--bcher-kva.example", rows, "IDN stored in one normalized form")
        self.assertEqual(rows["example.test"]["main"], "yes", "the first-run domain is the main one")
        self.assertEqual(rows["xn--bcher-kva.example"]["main"], "no")
        self.ok("domain", "alias-add", "bücher.example", "books.example")
        self.ok("account", "add", "Alice@BÜCHER.example", "real_name=Alice Liddell", stdin="wonder\n")
        self.assertIn("already in use", self.refused("account", "add", "alice@xn--bcher-kva.example", stdin="x\n"))
        self.ok("account", "alias-add", "alice@bücher.example", "al@books.example")
        self.ok("account", "alias-add", "alice@bücher.example", "323")
        r = resolve(self.p, "AL+Lists@Books.Example")
        self.assertEqual((r["kind"], r["account"], r["detail"]), ("KIND_ACCOUNT", "alice@xn--bcher-kva.example", "lists"), "the detail, lowercased like the local part")
        self.assertEqual(resolve(self.p, "323@bücher.example")["account"], "alice@xn--bcher-kva.example")
        self.assertEqual(resolve(self.p, "someone@elsewhere.example")["kind"], "KIND_NOT_LOCAL")
        self.assertEqual(plain(self.p, "al@books.example", "wonder"), "OUTCOME_OK", "an alias logs in too")
        self.ok("account", "rename", "alice@bücher.example", "alicia@bücher.example")
        self.assertEqual(resolve(self.p, "al@books.example")["account"], "alicia@xn--bcher-kva.example")
        self.assertEqual(resolve(self.p, "alice@bücher.example")["kind"], "KIND_UNKNOWN_REJECT")
        self.assertIn("still has", self.refused("domain", "remove", "bücher.example"))

    def test_unknown_policies_forwarders_and_groups(self):
        self.ok("domain", "add", "policy.test")
        self.assertEqual(resolve(self.p, "nobody@policy.test")["kind"], "KIND_UNKNOWN_REJECT")
        self.ok("domain", "set", "policy.test", "unknown=discard")
        self.assertEqual(resolve(self.p, "nobody@policy.test")["kind"], "KIND_UNKNOWN_DISCARD")
        self.ok("domain", "set", "policy.test", "unknown=forward:catch@example.net")
        r = resolve(self.p, "nobody@policy.test")
        self.assertEqual((r["kind"], r["targets"]), ("KIND_FORWARD", ["catch@example.net"]))
        self.ok("forwarder", "add", "fwd@policy.test", "Far@Away.Example")
        self.assertEqual(resolve(self.p, "fwd@policy.test")["targets"], ["far@away.example"])
        self.ok("account", "add", "m1@policy.test", stdin="\n")
        self.ok("group", "add", "all@policy.test")
        self.ok("group", "add", "inner@policy.test")
        for g, m in [("all@policy.test", "m1@policy.test"), ("all@policy.test", "inner@policy.test"),
                     ("inner@policy.test", "all@policy.test"), ("inner@policy.test", "m1@policy.test"),
                     ("inner@policy.test", "fwd@policy.test"), ("inner@policy.test", "ext@outside.example")]:
            self.ok("group", "member-add", g, m)
        r = resolve(self.p, "all@policy.test")
        self.assertEqual(r["kind"], "KIND_GROUP")
        # Nested, cyclic, de-duplicated.
        self.assertEqual(sorted(r["targets"]), ["ext@outside.example", "far@away.example", "m1@policy.test"])
        members = [row["member"] for row in self.ok("group", "show", "inner@policy.test")["rows"]]
        self.assertEqual(len(members), 4)

    def test_settings_inherit_with_default(self):
        self.ok("domain", "add", "inherit.test")
        self.ok("account", "add", "s@inherit.test", stdin="\n")

        def setting(name):
            rows = self.ok("account", "show", "s@inherit.test")["rows"]
            row = next(r for r in rows if r["name"] == name)
            return row["value"], row["from"]

        self.assertEqual(setting("quota_bytes"), ("0", "built-in"))
        self.ok("defaults", "set", "quota_bytes=1000")
        self.assertEqual(setting("quota_bytes"), ("1000", "server"))
        self.ok("domain", "set", "inherit.test", "quota_bytes=2000")
        self.assertEqual(setting("quota_bytes"), ("2000", "domain"))
        self.ok("cos", "set", "gold", "quota_bytes=3000")
        self.ok("account", "set", "s@inherit.test", "class_of_service=gold")
        self.assertEqual(setting("quota_bytes"), ("3000", "class"))
        self.ok("account", "set", "s@inherit.test", "quota_bytes=4000")
        self.assertEqual(setting("quota_bytes"), ("4000", "account"))
        self.ok("account", "set", "s@inherit.test", "quota_bytes=default")
        self.assertEqual(setting("quota_bytes"), ("3000", "class"), "default means inherit")
        self.assertIn("unknown setting", self.refused("account", "set", "s@inherit.test", "nosuch=1"))
        self.assertIn("whole number", self.refused("account", "set", "s@inherit.test", "quota_bytes=lots"))
        self.ok("defaults", "set", "quota_bytes=default")

    def test_authentication_mechanisms(self):
        self.ok("domain", "add", "auth.test")
        self.ok("account", "add", "bob@auth.test", stdin="hunter2\n")
        self.assertEqual(plain(self.p, "bob@auth.test", "hunter2"), "OUTCOME_OK")
        self.assertEqual(plain(self.p, "bob@auth.test", "wrong", ip="192.0.2.50"), "OUTCOME_FAILED")
        self.assertEqual(plain(self.p, "nobody@auth.test", "x", ip="192.0.2.51"), "OUTCOME_FAILED")
        login = iter([b"", b"bob@auth.test", b"hunter2"])
        self.assertEqual(auth(self.p, lambda c: next(login), "LOGIN")["outcome"], "OUTCOME_OK")
        self.assertEqual(scram(self.p, "bob@auth.test", "hunter2"), "OUTCOME_OK")
        self.assertEqual(scram(self.p, "bob@auth.test", "nope", ip="192.0.2.52"), "OUTCOME_FAILED")
        self.assertEqual(scram(self.p, "ghost@auth.test", "nope", ip="192.0.2.53"), "OUTCOME_FAILED")
        # A new password replaces the old everywhere, including SCRAM keys.
        self.ok("account", "passwd", "bob@auth.test", stdin="correct horse\n")
        self.assertEqual(plain(self.p, "bob@auth.test", "hunter2", ip="192.0.2.54"), "OUTCOME_FAILED")
        self.assertEqual(scram(self.p, "bob@auth.test", "correct horse"), "OUTCOME_OK")
        # Application passwords: named, several, revocable.
        app = self.ok("account", "app-password-add", "bob@auth.test", "phone")["generated"][0].split("\t")[2]
        self.assertEqual(plain(self.p, "bob@auth.test", app), "OUTCOME_OK")
        self.ok("account", "app-password-remove", "bob@auth.test", "phone")
        self.assertEqual(plain(self.p, "bob@auth.test", app, ip="192.0.2.55"), "OUTCOME_FAILED")
        # Services and disabling.
        self.ok("account", "set", "bob@auth.test", "services=mail,sip")
        self.assertEqual(plain(self.p, "bob@auth.test", "correct horse", ip="192.0.2.56"), "OUTCOME_FAILED")
        self.assertEqual(plain(self.p, "bob@auth.test", "correct horse", service="SERVICE_SIP"), "OUTCOME_OK")
        self.ok("account", "set", "bob@auth.test", "services=default", "disabled=yes")
        self.assertEqual(plain(self.p, "bob@auth.test", "correct horse", ip="192.0.2.57"), "OUTCOME_FAILED")
        self.ok("account", "set", "bob@auth.test", "disabled=no")
        # SIP digest (RFC 7616 / 3261), computed here from the password.
        for algorithm, h in (("MD5", hashlib.md5), ("SHA-256", hashlib.sha256)):
            ha1 = h(b"bob:auth.test:correct horse").hexdigest()
            ha2 = h(b"REGISTER:sip:auth.test").hexdigest()
            nonce, cnonce = "abc123", "xyz789"
            response = h(f"{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}".encode()).hexdigest()
            req = {"username": b64("bob"), "realm": b64("auth.test"), "algorithm": algorithm, "method": "REGISTER",
                   "uri": b64("sip:auth.test"), "nonce": b64(nonce), "cnonce": b64(cnonce), "nc": b64("00000001"),
                   "qop": b64("auth"), "response": b64(response), "service": "SERVICE_SIP",
                   "clientAddress": "192.0.2.9"}
            ok, bad = ipc_call(self.p, "directory", "directory", "directory.digest",
                               [req, dict(req, response=b64("0" * len(response)), clientAddress="192.0.2.58")])
            self.assertEqual(ok["outcome"], "OUTCOME_OK", algorithm)
            self.assertEqual(bad["outcome"], "OUTCOME_FAILED", algorithm)
        for name in ("directory", "parleyd"):
            for secret in ("hunter2", "correct horse", app):
                self.assertNotIn(secret, self.p.log(name), "no secret in any log")

    def test_brute_force_is_rate_limited_per_address(self):
        self.ok("domain", "add", "brute.test")
        self.ok("account", "add", "victim@brute.test", stdin="s3cret\n")
        outcomes = [plain(self.p, "victim@brute.test", f"guess{i}", ip="198.51.100.66") for i in range(20)]
        self.assertEqual(outcomes[:5], ["OUTCOME_FAILED"] * 5)
        self.assertEqual(outcomes[5:], ["OUTCOME_TEMPFAIL"] * 15, "temporary failures after the limit")
        # Even the right password gets a temporary failure from that address...
        self.assertEqual(plain(self.p, "victim@brute.test", "s3cret", ip="198.51.100.66"), "OUTCOME_TEMPFAIL")
        # ...while another address still logs in.
        self.assertEqual(plain(self.p, "victim@brute.test", "s3cret", ip="198.51.100.77"), "OUTCOME_OK")
        self.assertIn("directory.auth.rate_limited", self.p.log("directory"))

    def test_audit_events(self):
        self.ok("domain", "add", "audit.test")
        log = self.p.log("directory")
        self.assertRegex(log, r"directory\.admin\.changed: directory changed user=\"root|user=\S+ method=domain\.add key=audit\.test")
        self.refused("domain", "add", "audit.test")
        self.assertIn("directory.admin.refused", self.p.log("directory"))


class ImportExport(unittest.TestCase):
    def test_import_ten_thousand_and_all_or_nothing(self):
        with directory_parley() as p:
            wait_for(lambda: "passwords shown once" in p.output(), what="first run")
            self.assertEqual(p.ctl("domain", "add", "bulk.test").returncode, 0)
            rows = ["account\treal_name\taliases\textensions"]
            rows += [f"user{i}@bulk.test\tUser {i}\talias{i}@bulk.test\t{1000 + i}" for i in range(10000)]
            path = os.path.join(p.dir, "accounts.tsv")
            with open(path, "w") as f:
                f.write("\n".join(rows) + "\n")
            r = p.ctl("--json", "import", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["rows"][0]["imported"], "10000")
            self.assertEqual(resolve(p, "alias777@bulk.test")["account"], "user777@bulk.test")
            self.assertEqual(resolve(p, "1777@bulk.test")["account"], "user777@bulk.test")

            # One bad row (line 4: an address in use) rejects the whole file.
            bad = ["account\treal_name", "new1@bulk.test\tA", "new2@bulk.test\tB", "user5@bulk.test\tTaken",
                   "new3@bulk.test\tC"]
            with open(path, "w") as f:
                f.write("\n".join(bad) + "\n")
            r = p.ctl("import", path)
            self.assertEqual(r.returncode, 1)
            self.assertIn("line 4", r.stderr)
            self.assertEqual(resolve(p, "new1@bulk.test")["kind"], "KIND_UNKNOWN_REJECT", "nothing was imported")
            with open(path, "w") as f:
                f.write("account\tcolour\nx@bulk.test\tred\n")
            r = p.ctl("import", path)
            self.assertEqual(r.returncode, 1)
            self.assertIn("line 1", r.stderr)

            # Export writes the same columns back; a restart keeps everything.
            r = p.ctl("export", "bulk.test")
            self.assertEqual(r.returncode, 0)
            exported = r.stdout.splitlines()
            self.assertEqual(len(exported), 10001)
            self.assertIn("user777@bulk.test\tUser 777\talias777@bulk.test\t1777", r.stdout)
            self.assertEqual(p.ctl("restart", "directory").returncode, 0)
            self.assertEqual(resolve(p, "user9999@bulk.test")["kind"], "KIND_ACCOUNT")

            # A backup while running is a complete LMDB environment.
            r = p.ctl("--json", "backup")
            self.assertEqual(r.returncode, 0, r.stderr)
            backup = json.loads(r.stdout)["rows"][0]["backup"]
            self.assertTrue(backup.startswith(os.path.join(p.dir, "data", "directory", "backups")))
            self.assertGreater(os.path.getsize(os.path.join(backup, "data.mdb")), 10000 * 100)


if __name__ == "__main__":
    unittest.main(verbosity=2)
