"""Start shared/tools/dnsfixture.py as a real DNS server process for a test.

Why a process and not a DictResolver: the network path (UDP, TC → TCP retry,
timeouts, SERVFAIL, the cache) is part of what the inbound checks must get
right, so the suites that matter go through a real server on 127.0.0.1.
"""
from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Hashable, Iterator, TypeVar

import yaml

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SUITES = SHARED / "suites"
FIXTURE = SHARED / "tools" / "dnsfixture.py"

K = TypeVar("K", bound=Hashable)


@contextlib.contextmanager
def dns_server(zone: dict | Path) -> Iterator[str]:
    """Serve `zone` (a dict in dnsfixture format, or a YAML file) and yield "127.0.0.1:PORT"."""
    with tempfile.TemporaryDirectory() as tmp:
        if isinstance(zone, Path):
            path = zone
        else:
            path = Path(tmp) / "zone.yaml"
            path.write_text(yaml.safe_dump(zone, allow_unicode=True), encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, str(FIXTURE), str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            if not line.isdigit():
                proc.kill()
                raise RuntimeError("dnsfixture did not start: %s" % proc.stderr.read() if proc.stderr else "")
            yield "127.0.0.1:%s" % line
        finally:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def dns_servers(zone_for: Callable[[K], dict | Path]) -> Iterator[Callable[[K], str]]:
    """Yield `get(key)`: the address of a server for `zone_for(key)`, started on first use.
    Every server stops on exit. For suites with one zone per scenario (module fixtures)."""
    with contextlib.ExitStack() as stack:
        started: dict[K, str] = {}

        def get(key: K) -> str:
            if key not in started:
                started[key] = stack.enter_context(dns_server(zone_for(key)))
            return started[key]

        yield get
