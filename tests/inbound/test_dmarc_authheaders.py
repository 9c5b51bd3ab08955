"""authheaders' DMARC/DKIM vectors (shared/suites/authheaders/cases.yml, 13), DNS from a real server.

We compare result tokens — method=result, header.from and the policy taken —
not authheaders' literal comments, as the suite's header asks. `prev` results
(from an earlier hop) stand in for DKIM/SPF when the case switches those off.
"""
from __future__ import annotations

import asyncio

import authres
import pytest
import yaml

from dnsfixture_proc import SUITES, dns_server
from proxy.inbound.dkim_check import DkimResult, check_dkim
from proxy.inbound.dmarc import check_dmarc
from proxy.inbound.dns import DnspythonResolver, TtlCache

DIR = SUITES / "authheaders"
SPEC = yaml.safe_load((DIR / "cases.yml").read_text(encoding="utf-8"))


def zone() -> dict:
    """cases.yml `dns:` → dnsfixture zone.

    "" (name exists, no usable TXT) and null (NXDOMAIN) both mean "no DMARC
    record" to a DMARC lookup; they are left out so that `sub.example.biz`
    stays non-existent (a `_dmarc.sub.example.biz` node would make it an empty
    non-terminal in real DNS). A bare host name value is the suite's way of
    saying "this name exists": it becomes an A record.
    """
    z: dict[str, list] = {}
    for name, value in SPEC["dns"].items():
        name = name.rstrip(".")
        if value in ("", None):
            continue
        if isinstance(value, dict):
            value = (DIR / value["file"]).read_text(encoding="utf-8").strip()
        if not name.startswith("_") and "=" not in value:
            z[name] = [{"A": "192.0.2.10"}]
        else:
            z[name] = [{"TXT": value}]
    return z


@pytest.fixture(scope="module")
def nameserver():
    with dns_server(zone()) as ns:
        yield ns


def _parse(header: str) -> list:
    return authres.AuthenticationResultsHeader.parse(header).results


def _props(r) -> dict[str, str]:
    return {"%s.%s" % (p.type, p.name): p.value for p in r.properties}


@pytest.mark.parametrize("case", SPEC["cases"], ids=[c["id"] for c in SPEC["cases"]])
def test_authheaders_vector(nameserver, case):
    args = case.get("args", {})
    raw = (DIR / case["message"]).read_bytes()
    resolver = DnspythonResolver(nameserver, timeout=2.0, cache=TtlCache())
    prev = _parse(case["prev"]) if case.get("prev") else []
    if args.get("dkim", True):
        dkim = asyncio.run(check_dkim(raw, resolver))
    else:
        dkim = [
            DkimResult(r.result, _props(r).get("header.d", "")) for r in prev if r.method == "dkim"
        ]
    expected = {r.method: r for r in _parse(case["expected"])}
    if args.get("dkim", True):
        want = [r for r in _parse(case["expected"]) if r.method == "dkim"]
        assert [(r.result, r.domain) for r in dkim] == [(w.result, _props(w)["header.d"]) for w in want]
    if args.get("dmarc", True):
        got = asyncio.run(check_dmarc(raw, dkim, None, resolver))
        want = expected["dmarc"]
        assert got.result == want.result, got.reason
        wp = _props(want)
        assert got.properties.get("header.from") == wp.get("header.from", got.properties.get("header.from"))
        if "policy.dmarc" in wp and got.result != "permerror":
            assert got.policy == wp["policy.dmarc"]


def test_case_count():
    assert len(SPEC["cases"]) == 13
