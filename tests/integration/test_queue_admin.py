"""`parleyctl queue ...`: the mail queue administered through parleyd.

Real processes (directory, router, dequeuer, local-delivery, smtpd); mail
submitted with Python's smtplib to a remote domain routed to a loopback port
where nothing listens, so every message stays deferred (the first attempt
is refused, the next one is an hour away) until the test acts on it."""

import json
import os
import smtplib
import sys
import unittest
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(__file__))
from harness import IS_ROOT, Parley, free_port, wait_for  # noqa: E402

DESTINATION = "unreachable.test"


class Admin(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.smtp_port = free_port()
        dead_port = free_port()  # nobody listens: connections are refused
        sections = f"""[directory]
argon2_memory_kib = 1024
argon2_iterations = 1
first_run_domain = "example.test"
first_run_accounts = ["demo"]

[smtpd]
relay_networks = ["127.0.0.0/8"]

[dequeuer]
routes = ["{DESTINATION}=127.0.0.1:{dead_port}"]
retry_first_s = 3600
"""
        processes = {"directory": [], "router": [], "dequeuer": [], "local-delivery": [],
                     "smtpd": [f"smtp=tcp:127.0.0.1:{cls.smtp_port}"]}
        cls.p = Parley(processes=processes, sections=sections, log_format="json").start()

    @classmethod
    def tearDownClass(cls):
        cls.p.stop()

    def ctl(self, *args, code=0):
        r = self.p.ctl(*args)
        self.assertEqual(r.returncode, code, f"{args}: {r.stdout} {r.stderr}")
        return r

    def json(self, *args, code=0):
        return json.loads(self.ctl("--json", *args, code=code).stdout)

    def listed(self):
        return {m["queue_id"]: m for m in self.json("queue", "list")["messages"]}

    def shown(self, queue_id):
        return self.json("queue", "show", queue_id)["messages"][0]

    def send(self, n):
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=30) as s:
            for i in range(n):
                msg = EmailMessage()
                msg["From"] = "sender@client.example"
                msg["To"] = f"someone@{DESTINATION}"
                msg["Subject"] = f"queued {i}"
                msg.set_content(f"message {i}\n")
                s.send_message(msg)

    def test_queue_commands(self):
        self.send(3)
        # The first attempt of each fails at once (connection refused).
        wait_for(lambda: (lambda q: len(q) == 3 and all(m["deferred"] == 1 for m in q.values()))(self.listed()),
                 timeout=30, what="three deferred messages")
        queue = self.listed()
        for m in queue.values():
            self.assertEqual((m["undelivered"], m["recipients"], m["held"], m["sender"]), (1, 1, False, "sender@client.example"))
            self.assertIn("127.0.0.1", m["last_reply"])
        ids = sorted(queue)

        summary = self.json("queue", "summary")
        self.assertEqual([(d["name"], d["messages"], d["recipients"]) for d in summary["destinations"]],
                         [(DESTINATION, 3, 3)])
        self.assertEqual((summary["total"]["messages"], summary["total"]["recipients"]), (3, 3))
        self.assertEqual(summary["total"]["oldest_unix_ms"], min(m["arrived_unix_ms"] for m in queue.values()))
        text = self.ctl("queue").stdout
        self.assertRegex(text, rf"(?m)^{DESTINATION}\s+3\s+3\s+\S+$")
        self.assertRegex(text, r"(?m)^total\s+3\s+3\s+\S+$")
        text = self.ctl("queue", "list").stdout.splitlines()
        self.assertTrue(text[0].startswith("QUEUE ID"))
        self.assertEqual(sorted(line.split()[0] for line in text[1:]), ids)

        # show: the whole envelope.
        entry = self.shown(ids[0])
        self.assertEqual((entry["queue_id"], entry["sender"], entry["held"]), (ids[0], "sender@client.example", False))
        self.assertEqual(entry["client"]["listener"], "smtp")
        self.assertTrue(entry["client"]["peer"].startswith("127.0.0.1:"))
        self.assertGreater(entry["size"], 0)
        [rcpt] = entry["recipients"]
        self.assertEqual((rcpt["address"], rcpt["state"], rcpt["attempts"]), (f"someone@{DESTINATION}", "deferred", 1))
        self.assertIn("127.0.0.1", rcpt["last_reply"])
        self.assertGreater(rcpt["next_attempt_unix_ms"], entry["arrived_unix_ms"] + 3000 * 1000)
        text = self.ctl("queue", "show", ids[0]).stdout
        for expected in (ids[0], "deferred", f"someone@{DESTINATION}", "127.0.0.1", "sender@client.example"):
            self.assertIn(expected, text)

        # hold one; a flush retries the others only.
        self.assertEqual(self.ctl("queue", "hold", ids[0]).stdout.strip(), "held 1 message")
        self.assertTrue(self.listed()[ids[0]]["held"])
        self.assertIn("held", next(line for line in self.ctl("queue", "list").stdout.splitlines() if line.startswith(ids[0])))
        self.assertEqual(self.json("queue", "flush")["affected"], 2)
        wait_for(lambda: all(self.shown(i)["recipients"][0]["attempts"] == 2 for i in ids[1:]), what="second attempts")
        self.assertEqual(self.shown(ids[0])["recipients"][0]["attempts"], 1, "a held message is not flushed")
        self.assertEqual(self.json("queue", "release", ids[0])["affected"], 1)
        self.assertFalse(self.listed()[ids[0]]["held"])

        # delete: gone, and show of it fails.
        self.assertEqual(self.ctl("queue", "delete", ids[1]).stdout.strip(), "deleted 1 message")
        self.assertNotIn(ids[1], self.listed())
        r = self.ctl("queue", "show", ids[1], code=1)
        self.assertIn(f"not in the queue: {ids[1]}", r.stderr)
        r = self.ctl("--json", "queue", "delete", ids[1], ids[2], code=1)
        self.assertEqual(json.loads(r.stdout), {"ok": False, "affected": 1, "missing": [ids[1]]})
        self.assertEqual(list(self.listed()), [ids[0]])
        self.assertEqual(self.json("queue")["total"]["messages"], 1)

        # The dequeuer's audit log names who asked, as parleyd saw it.
        def held_events():
            events = [json.loads(line) for line in self.p.log("dequeuer").splitlines() if line.startswith("{")]
            return [e for e in events if e["event"] == "queue.admin.held"]
        [held] = wait_for(held_events, what="queue.admin.held event")
        self.assertEqual(held["queue_id"], ids[0])
        self.assertRegex(held["actor"], r"\(uid \d+\)$")

    def test_bad_ids_and_usage(self):
        for bad in ("xyz", "0123456789ABCDEF0123", "0123456789abcdef012", "0123456789abcdef0123/"):
            r = self.ctl("queue", "show", bad, code=2)
            self.assertIn("not a queue id", r.stderr)
        self.ctl("queue", "delete", code=2)
        self.ctl("queue", "list", "0123456789abcdef0123", code=2)
        self.ctl("queue", "frobnicate", code=2)
        r = self.ctl("queue", "hold", "0123456789abcdef0123", code=1)
        self.assertIn("not in the queue", r.stderr)

    def test_refused_without_rights_to_the_control_socket(self):
        if not IS_ROOT:
            self.skipTest("needs a second user")
        for args in (("queue",), ("queue", "flush")):
            r = self.p.ctl(*args, user="nobody")
            self.assertEqual(r.returncode, 3, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
