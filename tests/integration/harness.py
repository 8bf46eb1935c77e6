"""A running parleyd for integration tests.

Starts the real parleyd from the build with a configuration written into a
fresh directory (free loopback ports, data/logs/sockets inside it), waits
for READY=1 on a NOTIFY_SOCKET of its own (as systemd would), and drives it
with the real parleyctl. Started as root, parleyd runs the test children
under their own users (scripts/setup creates them); otherwise everything
runs as the invoking user, through the same code paths.
"""

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BIN = os.environ.get("PARLEY_BIN", os.path.join(os.path.dirname(__file__), "../../build/bin"))
SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
IS_ROOT = os.geteuid() == 0


def free_port(family=socket.AF_INET, kind=socket.SOCK_STREAM):
    with socket.socket(family, kind) as s:
        s.bind(("127.0.0.1" if family == socket.AF_INET else "::1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=10.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def line_exchange(port, line, host="127.0.0.1", timeout=10.0):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))
        s.sendall(line.encode() + b"\r\n")
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.decode().rstrip("\r\n")


class Parley:
    """One parleyd with its own directory. Use as a context manager."""

    def __init__(self, extra_server="", extra_supervisor="", processes=None, log_format="human",
                 run_as=None, notify=True, env=None, sections=""):
        self.dir = tempfile.mkdtemp(prefix="parley-it-")
        # Children under their own users must reach their directories inside.
        os.chmod(self.dir, 0o755)
        self.echo_port = free_port()
        self.echo6_port = free_port(socket.AF_INET6)
        self.relay_port = free_port()
        self.log_format = log_format
        self.extra_server = extra_server
        self.extra_supervisor = extra_supervisor
        self.sections = sections
        self.processes = processes
        self.run_as = run_as
        self.use_notify = notify
        self.env = env or {}
        self.proc = None
        self.notify_sock = None
        self.notifications = []
        self.config_path = os.path.join(self.dir, "parley.conf")
        self.write_config()

    # --- configuration -------------------------------------------------
    def config_text(self, processes=None):
        processes = processes if processes is not None else self.processes
        if processes is None:
            processes = {
                "echo": [f"echo=tcp:127.0.0.1:{self.echo_port}", f"echo=tcp:[::1]:{self.echo6_port}"],
                "relay": [f"relay=tcp:127.0.0.1:{self.relay_port}"],
            }
        text = f"""[server]
data_dir = "{self.dir}/data"
runtime_dir = "{self.dir}/run"
log_dir = "{self.dir}/log"
log_target = "file"
log_format = "{self.log_format}"
log_level = "debug"
{self.extra_server}
[supervisor]
restart_backoff_initial_ms = 100
stop_timeout_ms = 5000
{self.extra_supervisor}
{self.sections}
"""
        for name, listen in processes.items():
            quoted = ", ".join(f'"{l}"' for l in listen)
            text += f"\n[process.{name}]\nbinary = \"{BIN}/{name}\"\nlisten = [{quoted}]\nrlimit_nofile = 4096\n"
        return text

    def write_config(self, text=None):
        with open(self.config_path, "w") as f:
            f.write(text if text is not None else self.config_text())

    # --- life cycle ----------------------------------------------------
    def command(self, *args):
        cmd = [os.path.join(BIN, "parleyd"), "--config", self.config_path, *args]
        return as_user(self.run_as, cmd)

    def start(self, wait_ready=True):
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        env.update(self.env)
        if self.use_notify:
            path = os.path.join(self.dir, "notify.sock")
            self.notify_sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.notify_sock.bind(path)
            os.chmod(path, 0o777)
            self.notify_sock.settimeout(0.05)
            env["NOTIFY_SOCKET"] = path
        self.stdout = open(os.path.join(self.dir, "parleyd.stdout"), "w+")
        self.proc = subprocess.Popen(self.command(), cwd=self.dir, env=env, stdout=self.stdout,
                                     stderr=subprocess.STDOUT)
        if wait_ready:
            try:
                self.wait_ready()
            except BaseException:
                self.stop()  # a server that never got ready must not outlive the test
                raise
        return self

    def read_notifications(self):
        if not self.notify_sock:
            return self.notifications
        while True:
            try:
                self.notifications.append(self.notify_sock.recv(4096).decode())
            except (socket.timeout, BlockingIOError):
                return self.notifications

    def wait_ready(self, timeout=30.0):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"parleyd exited {self.proc.returncode}: {self.output()}")
            if self.use_notify:
                return any("READY=1" in n for n in self.read_notifications())
            return self.ctl("status").returncode == 0
        wait_for(ready, timeout=timeout, what="parleyd READY=1")

    def output(self):
        self.stdout.flush()
        self.stdout.seek(0)
        return self.stdout.read()

    def stop(self, timeout=30.0):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.notify_sock:
            self.notify_sock.close()
            self.notify_sock = None
        return self.proc.returncode if self.proc else None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        # Leave the directory for inspection when a test failed.
        if exc[0] is None and not os.environ.get("PARLEY_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        return False

    # --- parleyctl -----------------------------------------------------
    def ctl(self, *args, user=None, by_socket=False, timeout=60):
        """parleyctl; it finds the socket from the configuration, or is given it."""
        where = ["--socket", os.path.join(self.dir, "run", "parleyd.sock")] if by_socket else ["--config", self.config_path]
        cmd = as_user(user, [os.path.join(BIN, "parleyctl"), *where, *args])
        return subprocess.run(cmd, cwd=self.dir, capture_output=True, text=True, timeout=timeout)

    def status(self):
        r = self.ctl("--json", "status")
        data = json.loads(r.stdout)
        return {p["name"]: p for p in data["processes"]}

    def pid(self, name):
        return self.status()[name]["pid"]

    def wait_state(self, name, state, timeout=10.0):
        return wait_for(lambda: (lambda p: p if p["state"] == state else None)(self.status()[name]),
                        timeout=timeout, what=f"{name} {state}")

    def log_path(self, name):
        if name == "parleyd":
            return os.path.join(self.dir, "log", "parleyd.log")
        return os.path.join(self.dir, "log", name, f"{name}.log")

    def log(self, name):
        try:
            with open(self.log_path(name), encoding="utf-8") as f:
                return f.read()
        except FileNotFoundError:
            return ""


def ipc_call(p, service_proc, service, method, requests):
    """Requests (dicts) to an ipc method through tests/tools/ipc_call; replies as dicts.
    The method's request and reply types are those of its declaration in ipc/contracts/."""
    endpoint = f"ipc://{p.dir}/run/{service_proc}/{service}.sock"
    lines = "".join(json.dumps(r) + "\n" for r in requests)
    r = subprocess.run([os.path.join(BIN, "ipc_call"), endpoint, method],
                       input=lines, capture_output=True, text=True, timeout=120)
    return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]


def as_user(user, cmd):
    """cmd run as `user` with that user's own group and no others (util-linux setpriv)."""
    if not user:
        return cmd
    pw = pwd.getpwnam(user)
    return ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups", *cmd]


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields
