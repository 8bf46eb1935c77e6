"""parleyd and parleyctl driven from outside: privileges, restarts, crash
loops, reload, configuration errors, logs, sd_notify. Python's unittest;
run by ctest (tests/integration/CMakeLists.txt)."""

import json
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, IS_ROOT, SOURCE, Parley, free_port, line_exchange, proc_status, wait_for  # noqa: E402

CHECK_JSON = os.path.join(SOURCE, "tests/unit/check_json_log.py")


class Running(unittest.TestCase):
    """One parleyd shared by read-only checks."""

    @classmethod
    def setUpClass(cls):
        cls.p = Parley().start()

    @classmethod
    def tearDownClass(cls):
        cls.p.stop()

    def test_every_process_ready_and_serving(self):
        r = self.p.ctl("status")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        status = self.p.status()
        self.assertEqual(set(status), {"echo", "relay"})
        for proc in status.values():
            self.assertEqual(proc["state"], "ready")
            self.assertGreater(proc["pid"], 0)
            self.assertGreater(proc["rss_bytes"], 0)
        self.assertEqual(line_exchange(self.p.echo_port, "hello"), "hello")
        self.assertEqual(line_exchange(self.p.echo6_port, "over v6", host="::1"), "over v6")
        # relay answers by asking echo over ipc: two processes, two users.
        self.assertEqual(line_exchange(self.p.relay_port, "hi"), "relayed: hi")

    def test_children_are_confined(self):
        pids = {name: proc["pid"] for name, proc in self.p.status().items()}
        uids = set()
        for name, pid in pids.items():
            st = proc_status(pid)
            uid = int(st["Uid"].split()[0])
            self.assertEqual(st["CapEff"], "0000000000000000", name)
            self.assertEqual(st["CapPrm"], "0000000000000000", name)
            self.assertEqual(st["NoNewPrivs"], "1", name)
            self.assertEqual(st["Seccomp"], "2", name)
            if IS_ROOT:
                self.assertTrue(all(int(u) != 0 for u in st["Uid"].split()), name)
                self.assertTrue(all(int(g) != 0 for g in st["Gid"].split()), name)
                self.assertEqual(st["CapBnd"], "0000000000000000", name)
                self.assertEqual(pwd.getpwuid(uid).pw_name, f"parley-{name}")
            uids.add(uid)
        if IS_ROOT:
            self.assertEqual(len(uids), len(pids), "each process has its own user")

    def test_process_data_is_private(self):
        if not IS_ROOT:
            self.skipTest("ownership needs root")
        for name in ("echo", "relay"):
            st = os.stat(os.path.join(self.p.dir, "data", name))
            self.assertEqual(st.st_mode & 0o777, 0o700)
            self.assertEqual(pwd.getpwuid(st.st_uid).pw_name, f"parley-{name}")
        sock = os.stat(os.path.join(self.p.dir, "run", "parleyd.sock"))
        self.assertEqual(sock.st_uid, 0)
        self.assertEqual(sock.st_mode & 0o777, 0o660)
        # echo's ipc socket: only echo's group may connect, and relay (which
        # uses echo) has that group; echo does not get relay's.
        echo_dir = os.stat(os.path.join(self.p.dir, "run", "echo"))
        self.assertEqual(echo_dir.st_mode & 0o777, 0o750)
        echo_sock = os.stat(os.path.join(self.p.dir, "run", "echo", "echo.sock"))
        self.assertEqual(echo_sock.st_mode & 0o777, 0o660)
        self.assertEqual(echo_sock.st_gid, echo_dir.st_gid)
        status = self.p.status()
        relay_groups = proc_status(status["relay"]["pid"])["Groups"].split()
        echo_groups = proc_status(status["echo"]["pid"])["Groups"].split()
        self.assertIn(str(echo_dir.st_gid), relay_groups)
        self.assertEqual(echo_groups, [])

    def test_control_socket_refuses_other_users(self):
        if not IS_ROOT:
            self.skipTest("needs a second user")
        r = self.p.ctl("status", user="nobody")
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)

    def test_second_parleyd_refused(self):
        r = subprocess.run([os.path.join(BIN, "parleyd"), "--config", self.p.config_path],
                           cwd=self.p.dir, capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("another parleyd is running", r.stdout + r.stderr)
        self.assertEqual(line_exchange(self.p.echo_port, "still here"), "still here")

    def test_child_refuses_to_run_alone_or_as_root(self):
        r = subprocess.run([os.path.join(BIN, "echo")], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        if IS_ROOT:
            self.assertIn("refusing to run as root", r.stderr)
        else:
            self.assertIn("start it with parleyd", r.stderr)

    def test_sd_notify(self):
        notes = "".join(self.p.read_notifications())
        self.assertIn("READY=1", notes)
        self.assertRegex(notes, r"STATUS=2/2 processes ready")


class Lifecycle(unittest.TestCase):
    def test_kill_9_restarts_within_a_second(self):
        with Parley() as p:
            old = p.pid("echo")
            relay = p.pid("relay")
            killed_at = time.monotonic()
            os.kill(old, signal.SIGKILL)
            proc = wait_for(lambda: (lambda s: s if s["state"] == "ready" and s["pid"] not in (0, old) else None)(p.status()["echo"]),
                            timeout=5, interval=0.01, what="echo back")
            self.assertLess(time.monotonic() - killed_at, 1.0, "back and ready within 1 s")
            self.assertEqual(proc["restarts"], 1)
            self.assertIn("SIGKILL", proc["last_exit"])
            self.assertEqual(p.pid("relay"), relay, "other processes untouched")
            self.assertEqual(line_exchange(p.relay_port, "after"), "relayed: after")

    def test_crash_loop_is_detected_not_spun(self):
        with Parley(extra_supervisor="crash_loop_count = 3\ncrash_loop_window_s = 60") as p:
            for _ in range(3):
                pid = p.wait_state("echo", "ready")["pid"]
                os.kill(pid, signal.SIGKILL)
                wait_for(lambda: p.status()["echo"]["pid"] != pid, what="echo reaped")
            proc = p.wait_state("echo", "failed")
            self.assertEqual(proc["pid"], 0)
            time.sleep(0.5)  # several backoff periods: it must stay down
            self.assertEqual(p.status()["echo"]["state"], "failed")
            r = p.ctl("status")
            self.assertEqual(r.returncode, 1)
            self.assertIn("failed", r.stdout)
            self.assertIn("supervisor.process.failed", p.log("parleyd"))
            r = p.ctl("start", "echo")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(p.status()["echo"]["state"], "ready")
            self.assertEqual(line_exchange(p.echo_port, "revived"), "revived")

    def test_restart_one_process_only(self):
        with Parley() as p:
            before = {n: s["pid"] for n, s in p.status().items()}
            r = p.ctl("restart", "echo")
            self.assertEqual(r.returncode, 0, r.stderr)
            after = {n: s["pid"] for n, s in p.status().items()}
            self.assertNotEqual(after["echo"], before["echo"])
            self.assertEqual(after["relay"], before["relay"])
            self.assertEqual(p.status()["echo"]["state"], "ready")
            # relay's ipc client reaches the new echo by itself.
            self.assertEqual(line_exchange(p.relay_port, "again"), "relayed: again")

    def test_stop_and_start(self):
        with Parley() as p:
            self.assertEqual(p.ctl("stop", "relay").returncode, 0)
            proc = p.status()["relay"]
            self.assertEqual(proc["state"], "stopped")
            self.assertEqual(proc["pid"], 0)
            # The listening socket stays parleyd's: connections wait, nothing is refused.
            self.assertEqual(p.ctl("start", "relay").returncode, 0)
            self.assertEqual(line_exchange(p.relay_port, "back"), "relayed: back")
            r = p.ctl("restart", "nosuch")
            self.assertEqual(r.returncode, 1)
            self.assertIn("no process named nosuch", r.stderr)

    def test_graceful_shutdown_in_reverse_dependency_order(self):
        p = Parley().start()
        pids = [s["pid"] for s in p.status().values()]
        self.assertEqual(p.stop(), 0)
        for pid in pids:
            self.assertFalse(os.path.exists(f"/proc/{pid}"), "children are gone")
        log = p.log("parleyd")
        self.assertLess(log.index("stopped child=relay"), log.index("stopped child=echo"))
        self.assertIn("every process stopped", log)
        self.assertIn("drained, exiting", p.log("echo"))

    def test_reload(self):
        with Parley() as p:
            before = {n: s["pid"] for n, s in p.status().items()}
            new_port = free_port()
            text = p.config_text({
                "echo": [f"echo=tcp:127.0.0.1:{p.echo_port}", f"echo=tcp:[::1]:{p.echo6_port}"],
                "relay": [f"relay=tcp:127.0.0.1:{p.relay_port}", f"relay=tcp:127.0.0.1:{new_port}"],
            }).replace('log_level = "debug"', 'log_level = "info"')
            p.write_config(text)
            r = p.ctl("reload")
            self.assertEqual(r.returncode, 0, r.stderr)
            relay = p.wait_state("relay", "ready")
            self.assertNotEqual(relay["pid"], before["relay"], "launch changed: restarted")
            self.assertEqual(p.pid("echo"), before["echo"], "only its settings changed: not restarted")
            self.assertEqual(line_exchange(new_port, "new port"), "relayed: new port")
            wait_for(lambda: "daemon.reload.ok" in p.log("echo"), what="echo applied the reload")

            # A bad file is refused whole, with file:line; the old one stays in force.
            p.write_config(text + "\n[process.bogus]\nnosuchkey = 1\n")
            r = p.ctl("reload", by_socket=True)
            self.assertEqual(r.returncode, 1)
            self.assertRegex(r.stderr, re.escape(p.config_path) + r":\d+:")
            self.assertEqual(line_exchange(new_port, "still"), "relayed: still")

            # SIGHUP does the same as parleyctl reload.
            p.write_config(text)
            gen = json.loads(p.ctl("--json", "status").stdout)["generation"]
            p.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: json.loads(p.ctl("--json", "status").stdout)["generation"] > gen, what="SIGHUP reload")

    def test_log_level_at_runtime(self):
        with Parley() as p:
            self.assertEqual(p.ctl("log-level", "echo", "warn").returncode, 0)
            wait_for(lambda: "log level changed" in p.log("echo"), what="level set")
            size = len(p.log("echo"))
            line_exchange(p.echo_port, "quiet")
            time.sleep(0.2)
            self.assertNotIn("test.session.open", p.log("echo")[size:], "info is below warn")
            self.assertEqual(p.ctl("log-level", "echo", "info").returncode, 0)
            wait_for(lambda: p.log("echo").count("log level changed") >= 2, what="level set back")
            line_exchange(p.echo_port, "loud again")
            wait_for(lambda: "test.session.open" in p.log("echo")[size:], what="info logged again")
            r = p.ctl("log-level", "echo", "loud")
            self.assertEqual(r.returncode, 2)

    @unittest.skipUnless(IS_ROOT, "runs parleyd as another user")
    def test_plain_user_runs_everything_as_itself(self):
        user = "nobody"
        p = Parley(run_as=user, notify=False)
        os.chown(p.dir, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
        os.chown(p.config_path, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
        p.start()
        try:
            uid = pwd.getpwnam(user).pw_uid
            for name, proc in p.status().items():
                st = proc_status(proc["pid"])
                self.assertEqual(int(st["Uid"].split()[0]), uid, name)
                self.assertEqual(st["Seccomp"], "2")
            self.assertEqual(line_exchange(p.relay_port, "as nobody"), "relayed: as nobody")
        finally:
            p.stop()


class Configuration(unittest.TestCase):
    def check(self, text):
        p = Parley()
        p.write_config(p.config_text().replace("[supervisor]\n", "[supervisor]\n" + text, 1))
        r = subprocess.run(p.command("--check-config"), capture_output=True, text=True, timeout=30)
        return p, r

    def test_errors_name_file_and_line(self):
        cases = {
            "crash_loop_count = 0\n": "crash_loop_count",
            "stop_timeout_ms = \"soon\"\n": "stop_timeout_ms",
            "bogus = 1\n": "bogus",
            "\n[nosuch]\nx = 1\n": "nosuch",
            "\n[process.echo2]\nlisten = [\"echo=tcp:1.2.3:25\"]\n": "listen",
            "\n[server\n": "",
        }
        for text, word in cases.items():
            p, r = self.check(text)
            self.assertEqual(r.returncode, 78, (text, r.stdout, r.stderr))
            self.assertRegex(r.stderr, re.escape(p.config_path) + r":\d+:", text)
            self.assertIn(word, r.stderr)

    def test_semantic_errors(self):
        p = Parley(processes={"echo": ["nosuch=tcp:127.0.0.1:1"]})
        r = subprocess.run(p.command("--check-config"), capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 78)
        self.assertIn("has no listener named 'nosuch'", r.stderr)
        p = Parley(processes={"nosuchproc": []})
        r = subprocess.run(p.command("--check-config"), capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 78)
        self.assertIn("missing or not executable", r.stderr)

    def test_check_config_ok_and_parleyctl(self):
        p = Parley()
        r = subprocess.run(p.command("--check-config"), capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration OK (2 processes)", r.stdout)
        self.assertEqual(p.ctl("check-config").returncode, 0)
        p.write_config(p.config_text().replace('log_format = "human"', 'log_format = "xml"'))
        r = p.ctl("check-config")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r":\d+:")

    def test_busy_port_is_a_start_error(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            p = Parley(processes={"echo": [f"echo=tcp:127.0.0.1:{port}"]}, notify=False)
            p.start(wait_ready=False)
            self.assertNotEqual(p.proc.wait(timeout=30), 0)
            self.assertIn("Address already in use", p.output())

    def test_shipped_files_check(self):
        # The development configuration as scripts/run uses it.
        r = subprocess.run([os.path.join(BIN, "parleyd"), "--config", os.path.join(SOURCE, "etc/parley-dev.conf"),
                            "--check-config"], cwd=SOURCE, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)


class Development(unittest.TestCase):
    def test_development_configuration_starts(self):
        """What scripts/run starts: etc/parley-dev.conf, paths under ./var."""
        import shutil
        import tempfile
        # The development configuration has fixed ports; a developer's own
        # scripts/run may hold them.
        for port in (8025, 8587, 8465, 8110, 8995, 8143, 8993, 5060, 5061):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    self.skipTest(f"port {port} is in use (is scripts/run running?)")
        work = tempfile.mkdtemp(prefix="parley-dev-")
        os.chmod(work, 0o755)
        conf = os.path.join(work, "parley-dev.conf")
        shutil.copy(os.path.join(SOURCE, "etc/parley-dev.conf"), conf)
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        subprocess.run([os.path.join(SOURCE, "scripts/dev-cert")], cwd=work, check=True, capture_output=True)
        proc = subprocess.Popen([os.path.join(BIN, "parleyd"), "--config", conf], cwd=work, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            ctl = [os.path.join(BIN, "parleyctl"), "--config", conf, "status"]
            try:
                wait_for(lambda: subprocess.run(ctl, cwd=work, capture_output=True).returncode == 0, timeout=30,
                         what="every process ready")
            except AssertionError:
                proc.kill()
                raise AssertionError("not ready; parleyd said: " + proc.communicate()[0])
            # Only the real services: the test children are not in it.
            r = subprocess.run([os.path.join(BIN, "parleyctl"), "--config", conf, "--json", "status"], cwd=work,
                               capture_output=True, text=True, timeout=30)
            names = {p["name"] for p in json.loads(r.stdout)["processes"]}
            self.assertEqual(names, {"directory", "router", "dequeuer", "local-delivery", "smtpd", "imapd", "sipd", "media"})
            self.assertTrue(os.path.isdir(os.path.join(work, "var", "data", "directory")))
            # The demo domain's accounts, with their passwords kept for the developer.
            pwfile = os.path.join(work, "var", "demo-passwords")
            wait_for(lambda: os.path.exists(pwfile) and os.path.getsize(pwfile) > 0, what="demo passwords")
            self.assertEqual(os.stat(pwfile).st_mode & 0o777, 0o600)
            accounts = [l.split("\t")[0] for l in open(pwfile).read().splitlines()]
            self.assertEqual(accounts, ["postmaster@example.test", "demo@example.test", "demo2@example.test"])
            # Mail: the demo account receives on 8025, as scripts/run serves it.
            import smtplib
            with smtplib.SMTP("127.0.0.1", 8025, timeout=30) as s:
                self.assertEqual(s.sendmail("someone@outside.test", ["demo@example.test"], b"Subject: dev\r\n\r\nhi\r\n"), {})
                s.ehlo()
                self.assertTrue(s.has_extn("starttls"), "the development certificate is in place")
            import poplib
            pop = poplib.POP3("127.0.0.1", 8110, timeout=30)
            self.assertIn("STLS", pop.capa())
            pop.quit()
            # SIP: the server answers an OPTIONS ping on 5060 (UDP) and 5061 (TLS).
            ping = ("OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKdev1\r\n"
                    "From: <sip:dev@outside.test>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: dev-ping\r\n"
                    "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.settimeout(10)
                u.sendto(ping.encode(), ("127.0.0.1", 5060))
                self.assertTrue(u.recv(65535).startswith(b"SIP/2.0 200 "))
            import ssl
            tls = ssl.create_default_context()
            tls.check_hostname = False
            tls.verify_mode = ssl.CERT_NONE
            with tls.wrap_socket(socket.create_connection(("127.0.0.1", 5061), timeout=10)) as t:
                t.sendall(ping.replace("UDP", "TLS").replace("dev1", "dev2").encode())
                self.assertTrue(t.recv(65535).startswith(b"SIP/2.0 200 "))
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, out)
        self.assertIn("processes ready", out)
        shutil.rmtree(work, ignore_errors=True)


class Logs(unittest.TestCase):
    def test_json_lines_and_reopen(self):
        with Parley(log_format="json") as p:
            line_exchange(p.echo_port, "json please")
            line_exchange(p.relay_port, "json please")
            wait_for(lambda: "test.session.close" in p.log("relay") and "test.session.close" in p.log("echo"),
                     what="sessions logged")
            for name in ("parleyd", "echo", "relay"):
                r = subprocess.run([sys.executable, CHECK_JSON, p.log_path(name), "--proc", name, "--min-lines", "1"],
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, name + ": " + r.stdout + r.stderr)
            first = json.loads(p.log("relay").splitlines()[0])
            for key in ("ts", "level", "proc", "pid", "event", "msg"):
                self.assertIn(key, first)
            sessions = [json.loads(l) for l in p.log("relay").splitlines() if "test.session" in l]
            self.assertTrue(all(s.get("sid", "").startswith("relay-") for s in sessions))

            # logrotate: move the files away, SIGUSR1 to parleyd, new files appear.
            for name in ("parleyd", "echo"):
                os.rename(p.log_path(name), p.log_path(name) + ".1")
            p.proc.send_signal(signal.SIGUSR1)
            wait_for(lambda: os.path.exists(p.log_path("parleyd")) and os.path.exists(p.log_path("echo")),
                     what="log files reopened")
            line_exchange(p.echo_port, "after rotate")
            wait_for(lambda: "test.session.close" in p.log("echo"), what="echo logs into the new file")
            with open(p.log_path("echo") + ".1") as f:
                self.assertIn("test.session", f.read())

    def test_no_secret_or_garbage_breaks_a_line(self):
        with Parley(log_format="json") as p:
            line_exchange(p.echo_port, 'quote " backslash \\ tab \t done')
            r = subprocess.run([sys.executable, CHECK_JSON, p.log_path("echo")], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class Watchdog(unittest.TestCase):
    def test_watchdog_pings(self):
        with Parley(env={"WATCHDOG_USEC": "200000"}) as p:
            wait_for(lambda: any("WATCHDOG=1" in n for n in p.read_notifications()), what="WATCHDOG=1")


if __name__ == "__main__":
    unittest.main(verbosity=2)
