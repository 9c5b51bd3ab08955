"""The resolver's contract, over a real DNS server: answers, nothing, and temporary failure."""
from __future__ import annotations

import asyncio

import pytest

from dnsfixture_proc import dns_server
from proxy.inbound.dns import Answer, DictResolver, DnsNameError, DnspythonResolver, DnsTempError, TtlCache

ZONE = {
    "example.test": [
        {"A": "192.0.2.1"},
        {"MX": "10 mx.example.test."},
        {"TXT": "v=spf1 -all"},
        {"AAAA": "2001:db8::1"},
    ],
    "big.example.test": [{"TXT": "x" * 300 + str(i)} for i in range(5)],
    "sub.empty.example.test": [{"A": "192.0.2.9"}],
    "alias.example.test": [{"CNAME": "example.test."}],
    "slow.example.test": ["TIMEOUT"],
    "broken.example.test": ["SERVFAIL"],
    "1.2.0.192.in-addr.arpa": [{"PTR": "host.example.test."}],
}



@pytest.fixture(scope="module")
def server():
    with dns_server(ZONE) as ns:
        yield ns


def _both(server):
    return [DictResolver(ZONE), DnspythonResolver(server, timeout=1.0, cache=TtlCache())]


def test_answers(server):
    async def run(r):
        assert await r.a("example.test") == ["192.0.2.1"]
        assert await r.aaaa("example.test") == ["2001:db8::1"]
        assert await r.mx("example.test") == [(10, "mx.example.test")]
        assert await r.txt("EXAMPLE.test.") == ["v=spf1 -all"]
        assert await r.a("alias.example.test") == ["192.0.2.1"]
        assert await r.ptr("192.0.2.1") == ["host.example.test"]

    for r in _both(server):
        asyncio.run(run(r))


def test_truncated_answer_is_retried_over_tcp(server):
    r = DnspythonResolver(server, timeout=1.0, cache=TtlCache())
    txt = asyncio.run(r.txt("big.example.test"))
    assert sorted(txt) == sorted("x" * 300 + str(i) for i in range(5))


def test_nxdomain_and_nodata_are_empty_not_errors(server):
    async def run(r):
        nx = await r.query("nothere.example.test", "TXT")
        nodata = await r.query("example.test", "PTR")
        ent = await r.query("empty.example.test", "A")
        return nx, nodata, ent

    for r in _both(server):
        nx, nodata, ent = asyncio.run(run(r))
        assert nx == Answer((), nxdomain=True, ttl=nx.ttl)
        assert nodata.records == () and not nodata.nxdomain
        assert ent.records == () and not ent.nxdomain


def test_timeout_and_servfail_are_temporary(server):
    for r in _both(server):
        with pytest.raises(DnsTempError):
            asyncio.run(r.txt("slow.example.test"))
        with pytest.raises(DnsTempError):
            asyncio.run(r.txt("broken.example.test"))


def test_bad_name_is_permanent():
    with pytest.raises(DnsNameError):
        asyncio.run(DictResolver({}).txt("a" * 64 + ".example.test"))


def test_budget_bounds_the_whole_message(server):
    r = DnspythonResolver(server, timeout=5.0, cache=TtlCache())

    async def run():
        with r.budget(0.5):
            with pytest.raises(DnsTempError):
                await r.txt("slow.example.test")
            with pytest.raises(DnsTempError, match="budget"):
                await r.txt("example.test")

    asyncio.run(run())


def test_cache_serves_repeat_queries_and_honours_ttl(server):
    now = [0.0]
    cache = TtlCache(max_entries=2, clock=lambda: now[0])
    r = DnspythonResolver(server, timeout=1.0, cache=cache)
    asyncio.run(r.txt("example.test"))
    asyncio.run(r.a("nothere.example.test"))
    assert len(cache) == 2
    asyncio.run(r.a("example.test"))
    assert len(cache) == 2  # bounded: the oldest went
    now[0] = 10_000
    assert cache.get(("127.0.0.1", "example.test", "A")) is None
