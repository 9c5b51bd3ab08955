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
    api: DemoWebmail        # an allowed API host
    other: DemoWebmail      # not an API host: must not be judged
    state: Path


@contextmanager
def running_gateway(state: Path) -> Iterator[Gateway]:
    remember_original(state)
    port = free_port()
    with DemoWebmail() as api, DemoWebmail() as other:
        proc = subprocess.Popen(
            [sys.executable, "-m", "proxy", "addons", "--state-dir", str(state), "--listen-port", str(port),
             "--api-host", f"127.0.0.1:{api.port}", "--", "-q"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait_listening(port, proc)
            yield Gateway(f"http://127.0.0.1:{port}", api, other, state)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
