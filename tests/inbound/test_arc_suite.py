"""ValiMail ARC validation suite (171 tests), keys served per scenario by a real DNS server."""
from __future__ import annotations

import asyncio

import pytest
import yaml

from dnsfixture_proc import SUITES, dns_servers
from proxy.inbound.arc_check import check_arc
from proxy.inbound.dns import DnspythonResolver, TtlCache

with open(SUITES / "arc" / "arc-draft-validation-tests.yml", encoding="utf-8") as fh:
    SCENARIOS = [d for d in yaml.safe_load_all(fh) if d]
CASES = [(i, tid, t) for i, sc in enumerate(SCENARIOS) for tid, t in sc["tests"].items()]


@pytest.fixture(scope="module")
def servers():
    def zone(i: int) -> dict:
        return {name: [{"TXT": value}] for name, value in (SCENARIOS[i].get("txt-records") or {}).items()}

    with dns_servers(zone) as get:
        yield get


def test_suite_size():
    assert len(CASES) == 171


@pytest.mark.parametrize("idx,tid,case", CASES, ids=[c[1] for c in CASES])
def test_arc_validation(servers, idx, tid, case):
    raw = (case.get("message") or "").replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    got = asyncio.run(check_arc(raw, DnspythonResolver(servers(idx), timeout=2.0, cache=TtlCache())))
    expected = (case.get("cv") or "").lower()
    assert got.cv == expected, "%s: %s (%s)" % (tid, got.cv, got.reason)
