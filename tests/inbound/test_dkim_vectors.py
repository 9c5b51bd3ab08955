"""dkimpy's verify-only vectors (shared/suites/dkimpy/cases.yml), keys served by a real DNS server.

Plus the failure causes our wrapper must name: key missing, key query timing
out, broken key record, tampered body — each a distinct RFC 8601 result.
"""
from __future__ import annotations

import asyncio

import pytest
import yaml

from dnsfixture_proc import SUITES, dns_server
from proxy.inbound.dkim_check import check_dkim
from proxy.inbound.dns import DictResolver, DnspythonResolver, TtlCache

DIR = SUITES / "dkimpy"
SPEC = yaml.safe_load((DIR / "cases.yml").read_text(encoding="utf-8"))


def _txt(value) -> str:
    if isinstance(value, dict):
        return (DIR / value["file"]).read_text(encoding="utf-8").strip()
    return value


def zone() -> dict:
    return {name.rstrip("."): [{"TXT": _txt(v)}] for name, v in SPEC["dns"].items()}


@pytest.fixture(scope="module")
def nameserver():
    with dns_server(zone()) as ns:
        yield ns


@pytest.mark.parametrize("case", SPEC["cases"], ids=[c["id"] for c in SPEC["cases"]])
def test_dkimpy_vector(nameserver, case):
    raw = (DIR / case["message"]).read_bytes()
    resolver = DnspythonResolver(nameserver, timeout=2.0, cache=TtlCache())
    results = asyncio.run(check_dkim(raw, resolver))
    got = results[case["sig"]]
    assert got.result == case["expected"], got.reason
    if case["expected"] != "permerror":
        assert (got.domain, got.selector) == (case["d"], str(case["s"]))  # YAML reads s=20120113 as int


def test_every_signature_is_checked(nameserver):
    raw = (DIR / "data" / "rfc6376.signed.msg").read_bytes()
    results = asyncio.run(check_dkim(raw, DnspythonResolver(nameserver, cache=TtlCache())))
    assert [(r.result, r.selector) for r in results] == [("pass", "brisbane"), ("pass", "test")]


SIGNED = DIR / "data" / "rfc6376.signed.rsa.msg"
KEY = "test._domainkey.football.example.com"


@pytest.mark.parametrize(
    "zone_entries,result,reason",
    [
        ([], "permerror", "no key"),  # NODATA at the key name
        (None, "permerror", "no key"),  # NXDOMAIN
        (["TIMEOUT"], "temperror", "timeout"),
        (["SERVFAIL"], "temperror", "failure"),
        ([{"TXT": "v=DKIM1; k=rsa; p=AAAA"}], "permerror", "bad key record"),
        ([{"TXT": "v=DKIM1; k=rsa; p="}], "permerror", "bad key record"),  # revoked
    ],
)
def test_key_problems_name_their_cause(zone_entries, result, reason):
    z = {"other.example": [{"A": "192.0.2.1"}]}
    if zone_entries is not None:
        z[KEY] = zone_entries
    with dns_server(z) as ns:
        got = asyncio.run(check_dkim(SIGNED.read_bytes(), DnspythonResolver(ns, timeout=1.0, cache=TtlCache())))
    assert got[0].result == result and reason in got[0].reason, got[0]


def test_tampered_body_fails_with_body_hash_reason():
    raw = SIGNED.read_bytes().replace(b"Joe.", b"Joe!", 1)
    assert raw != SIGNED.read_bytes()
    got = asyncio.run(check_dkim(raw, DictResolver({KEY: [{"TXT": _txt({"file": "data/test.txt"})}]})))
    assert (got[0].result, got[0].reason) == ("fail", "body hash mismatch")


def test_tampered_header_fails_signature():
    raw = SIGNED.read_bytes().replace(b"Subject: ", b"Subject: X", 1)
    got = asyncio.run(check_dkim(raw, DictResolver({KEY: [{"TXT": _txt({"file": "data/test.txt"})}]})))
    assert (got[0].result, got[0].reason) == ("fail", "signature did not verify")


def test_unsigned_is_none():
    got = asyncio.run(check_dkim(b"From: a@b.example\r\nSubject: hi\r\n\r\nbody\r\n", DictResolver({})))
    assert [r.result for r in got] == ["none"]


def test_signatures_beyond_the_limit_are_not_checked():
    """A message carrying many signatures cannot make us do unbounded DNS and RSA work."""
    from proxy.inbound.dkim_check import MAX_SIGNATURES

    sig, rest = SIGNED.read_bytes().split(b"From:", 1)  # the file starts with its one signature
    raw = sig * (MAX_SIGNATURES + 2) + b"From:" + rest
    resolver = DictResolver({KEY: [{"TXT": _txt({"file": "data/test.txt"})}]})
    got = asyncio.run(check_dkim(raw, resolver))
    assert len(got) == MAX_SIGNATURES + 2
    assert all(r.result == "pass" for r in got[:MAX_SIGNATURES])
    assert [r.result for r in got[MAX_SIGNATURES:]] == ["neutral", "neutral"]
    assert resolver.queries == [(KEY, "TXT")]
