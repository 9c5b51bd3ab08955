"""A private, throw-away Postfix instance on a loopback port (for e2e tests and bench/relay.py).

Why this shape: the Debian package is installed system-wide, but the tests must not touch
the system's Postfix. `postfix -c DIR start` with our own main.cf/master.cf runs a second,
independent instance: its own queue and data directories under a temp dir, smtpd on
127.0.0.1:PORT only, no chroot, logging to a file (there is no syslog in containers), and
either delivering every recipient into one maildir (`virtual` with static maps) or relaying
everything to a given host:port (bench). Needs root (Postfix's master runs as root and
drops to `postfix`); `available()` says whether this machine can run it.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

NOBODY = 65534


def available() -> str | None:
    """None when a private Postfix can run here, else the reason it cannot."""
    if shutil.which("postfix") is None and not Path("/usr/sbin/postfix").exists():
        return "postfix is not installed (scripts/sysdeps.sh installs it)"
    if os.geteuid() != 0:
        return "a private Postfix instance needs root (its master process starts as root)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostfixInstance:
    """`with PostfixInstance() as pf:` → Postfix listening on 127.0.0.1:pf.port."""

    def __init__(self, *, relay_to: tuple[str, int] | None = None, tls: tuple[Path, Path] | None = None,
                 extra: dict[str, str] | None = None):
        self.root = Path(tempfile.mkdtemp(prefix="rg-postfix-", dir="/tmp"))
        self.root.chmod(0o755)  # the virtual agent (as nobody) must reach the maildir
        self.etc = self.root / "etc"
        self.maildir = self.root / "mail" / "box"
        self.log = self.root / "postfix.log"
        self.port = _free_port()
        self.relay_to = relay_to
        self.tls = tls
        self.extra = extra or {}
        self.started = False

    def _main_cf(self) -> str:
        r = self.root
        lines = {
            "compatibility_level": "3.6",
            "queue_directory": f"{r}/queue",
            "data_directory": f"{r}/data",
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "postfix.test",
            "mydomain": "postfix.test",
            "myorigin": "postfix.test",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mydestination": "",
            "mynetworks": "127.0.0.0/8",
            "relay_domains": "",
            "smtpd_relay_restrictions": "permit_mynetworks, reject",
            "alias_maps": "",
            "alias_database": "",
            "maillog_file": str(self.log),
            "maillog_file_prefixes": str(r),
            "smtputf8_enable": "yes",
            "message_size_limit": str(50 * 1024 * 1024),
            "virtual_mailbox_limit": "0",
            "mailbox_size_limit": "0",
            "smtpd_client_connection_count_limit": "0",
            "smtpd_client_connection_rate_limit": "0",
            "smtpd_client_message_rate_limit": "0",
            "default_process_limit": "200",
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
        }
        if self.relay_to:
            host, port = self.relay_to
            lines.update({
                "relayhost": f"[{host}]:{port}",
                "relay_domains": "",
                "default_destination_concurrency_limit": "50",
                "smtp_tls_security_level": "none",
                "smtp_connection_cache_on_demand": "yes",
            })
        else:
            lines.update({
                "virtual_mailbox_domains": "static:all",
                "virtual_mailbox_base": f"{r}/mail",
                "virtual_mailbox_maps": "static:box/",
                "virtual_uid_maps": f"static:{NOBODY}",
                "virtual_gid_maps": f"static:{NOBODY}",
            })
        if self.tls:
            cert, key = self.tls
            lines.update({
                "smtpd_tls_cert_file": str(cert),
                "smtpd_tls_key_file": str(key),
                "smtpd_tls_security_level": "may",
            })
        lines.update(self.extra)
        return "".join(f"{k} = {v}\n" for k, v in lines.items())

    def _master_cf(self) -> str:
        """The system master.cf with smtpd moved to our port and chroot off everywhere."""
        out = []
        for line in Path("/etc/postfix/master.cf").read_text().splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            if line[0] in " \t":
                out.append(line)
                continue
            f = line.split()
            if f[0] in ("smtp", "submission", "submissions", "smtps") and f[1] == "inet":
                continue
            if len(f) >= 8:
                f[4] = "n"
                line = " ".join(f)
            out.append(line)
        out.insert(0, f"127.0.0.1:{self.port} inet n - n - - smtpd")
        return "\n".join(out) + "\n"

    def _postfix(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["postfix", "-c", str(self.etc), *args], capture_output=True, text=True, timeout=60)

    def start(self) -> "PostfixInstance":
        for d in ("etc", "queue", "data", "mail"):
            (self.root / d).mkdir(exist_ok=True)
        os.chown(self.root / "data", *_ids("postfix"))
        os.chown(self.root / "mail", NOBODY, NOBODY)
        (self.etc / "main.cf").write_text(self._main_cf())
        (self.etc / "master.cf").write_text(self._master_cf())
        res = self._postfix("start")
        if res.returncode != 0:
            raise RuntimeError(f"postfix start failed: {res.stdout}{res.stderr}{self.read_log()}")
        self.started = True
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"220"):
                        s.sendall(b"QUIT\r\n")
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"postfix did not listen on {self.port}: {self.read_log()}")

    def read_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def messages(self) -> list[bytes]:
        new = self.maildir / "new"
        return [p.read_bytes() for p in sorted(new.iterdir())] if new.is_dir() else []

    def wait_for(self, n: int, timeout: float = 10.0) -> list[bytes]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            got = self.messages()
            if len(got) >= n:
                return got
            time.sleep(0.05)
        return self.messages()

    def stop(self) -> None:
        if self.started:
            self._postfix("stop")
            pidfile = self.root / "queue" / "pid" / "master.pid"
            deadline = time.monotonic() + 10
            while pidfile.exists() and time.monotonic() < deadline:
                try:
                    pid = int(pidfile.read_text().strip())
                    os.kill(pid, 0)
                except (ValueError, ProcessLookupError, FileNotFoundError):
                    break
                time.sleep(0.1)
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PostfixInstance":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _ids(user: str) -> tuple[int, int]:
    import pwd

    pw = pwd.getpwnam(user)
    return pw.pw_uid, pw.pw_gid
