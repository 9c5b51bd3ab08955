"""Fixtures for the submission gateway tests: a sink upstream and a gateway in front of it."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smtp_sinks import GatewayThread, Sink, make_cert  # noqa: E402,F401

from proxy.config import (  # noqa: E402
    GatewayConfig, LimitsConfig, ListenerConfig, TimeoutsConfig, UpstreamConfig,
)
from proxy import tlscert  # noqa: E402


@pytest.fixture(scope="session")
def gateway_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_cert(tmp_path_factory.mktemp("gwcert"), "gateway")


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink() as s:
        yield s


@pytest.fixture
def make_gateway(tmp_path: Path, gateway_cert: tuple[Path, Path]) -> Iterator[Callable[..., GatewayThread]]:
    started: list[GatewayThread] = []

    def make(upstream: Sink | None = None, *, upstream_tls: str = "none", auth: str = "passthrough",
             listeners: list[ListenerConfig] | None = None, timeouts: TimeoutsConfig | None = None,
             max_message_size: int = 10 * 1024 * 1024, max_recipients: int = 100,
             max_connections: int = 200, account: Any = None, **kw: Any) -> GatewayThread:
        up = None
        if upstream is not None:
            up = UpstreamConfig(host=upstream.host, port=upstream.port, tls=upstream_tls, auth=auth,  # type: ignore[arg-type]
                                ca_file=str(upstream.cert) if upstream.cert else None)
            if account is not None:
                up.account = account
        cfg = GatewayConfig(
            state_dir=str(tmp_path / "state"),
            listeners=listeners or [ListenerConfig(address="127.0.0.1:0")],
            upstream=up,
            limits=LimitsConfig(max_message_size=max_message_size, max_recipients=max_recipients,
                                max_connections=max_connections,
                                timeouts=timeouts or TimeoutsConfig(connect=2, command=2, data=3)),
        )
        gw = GatewayThread(cfg, server_tls=tlscert.server_context(*gateway_cert), **kw).start()
        started.append(gw)
        return gw

    yield make
    for gw in started:
        gw.stop(grace=1)
