"""Starting and stopping a real `replyguard addons` (mitmdump) process for end-to-end tests."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from addons.demo_webmail import DemoWebmail, remember_original
from proxy import tlscert

FAILED = pytest.StashKey[bool]()   # set on a test item whose call phase failed (see conftest)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"mitmdump exited {proc.returncode}: {proc.stdout.read().decode(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("mitmdump did not start listening")


@dataclass
class Gateway:
    proxy: str
    api: DemoWebmail        # an allowed API host (plain HTTP)
    other: DemoWebmail      # not an API host: must not be judged
    api_tls: DemoWebmail    # an allowed API host over HTTPS: intercepted with replyguard's CA
    other_tls: DemoWebmail  # an HTTPS host not on the list: tunnelled, its own certificate seen
    server_cert: Path       # the demo servers' self-signed certificate
    state: Path

    @property
    def ca_cert(self) -> Path:
        """replyguard's mitmproxy CA, as `replyguard addons` made it under the state dir."""
        return self.state / "mitmproxy" / "mitmproxy-ca-cert.pem"


@contextmanager
def running_gateway(state: Path) -> Iterator[Gateway]:
    remember_original(state)
    cert, key = state / "server.crt", state / "server.key"
    tlscert.generate(cert, key, "localhost")
    port = free_port()
    with DemoWebmail() as api, DemoWebmail() as other, \
            DemoWebmail(tls=tlscert.server_context(cert, key)) as api_tls, \
            DemoWebmail(tls=tlscert.server_context(cert, key)) as other_tls:
        proc = subprocess.Popen(
            [sys.executable, "-m", "proxy", "addons", "--state-dir", str(state), "--listen-port", str(port),
             "--api-host", f"127.0.0.1:{api.port}", "--api-host", f"127.0.0.1:{api_tls.port}",
             # the demo servers' certificate is self-signed; real APIs are verified as usual
             "--", "-q", "--set", "ssl_insecure=true"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait_listening(port, proc)
            yield Gateway(f"http://127.0.0.1:{port}", api, other, api_tls, other_tls, cert, state)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
