"""RFC 7208 conformance: the openspf suite (203 tests), every query through a real DNS server.

One dnsfixture process per scenario serves its zonedata; our SPF code asks it
through DnspythonResolver exactly as in production.
"""
from __future__ import annotations

import asyncio

import pytest

from dnsfixture_proc import dns_servers
from proxy.inbound.dns import DnspythonResolver, TtlCache
from proxy.inbound.spf import check_spf
from spf_suite import cases, load_scenarios, to_zone

SCENARIOS = load_scenarios()
CASES = cases()


@pytest.fixture(scope="module")
def servers():
    """Start each scenario's server on first use; stop all at the end."""
    with dns_servers(lambda i: to_zone(SCENARIOS[i].get("zonedata") or {})) as get:
        yield get


def test_suite_size():
    assert len(SCENARIOS) == 16 and len(CASES) == 203


@pytest.mark.parametrize("idx,tid,case", CASES, ids=[c[1] for c in CASES])
def test_rfc7208(servers, idx, tid, case):
    resolver = DnspythonResolver(servers(idx), timeout=1.0, attempt_timeout=0.5, cache=TtlCache())
    got = asyncio.run(
        check_spf(client_ip=case["host"], helo=case["helo"], mail_from=case["mailfrom"], resolver=resolver)
    )
    expected = case["result"] if isinstance(case["result"], list) else [case["result"]]
    assert got.result in expected, "%s: got %s (%s), expected %s" % (tid, got.result, got.reason, expected)
    exp = case.get("explanation")
    if exp and exp != "DEFAULT" and got.result == "fail":
        # Case-insensitive: for an IPv6 client the suite echoes %{i} nibbles in the
        # case the client address was written in (CAFE:BABE::1); RFC 7208 §7.3's own
        # example writes them in lower case, which is what we produce.
        assert (got.explanation or "").lower() == exp.lower()
