"""authenticate() as a whole: composition, DNS trouble → temperror (never fail), the budget, rendering."""
from __future__ import annotations

import asyncio
import time

import authres
import pytest

from dnsfixture_proc import SUITES, dns_server
from proxy.inbound.arc_check import ArcResult
from proxy.inbound.authenticity import AuthResults, authenticate, render_authentication_results
from proxy.inbound.dkim_check import DkimResult
from proxy.inbound.dmarc import DmarcResult
from proxy.inbound.dns import DictResolver, DnspythonResolver, TtlCache
from proxy.inbound.spf import SpfResult

SIGNED = (SUITES / "dkimpy" / "data" / "rfc6376.signed.msg").read_bytes()  # ed25519 + rsa, d=football.example.com
KEYS = {
    "brisbane._domainkey.football.example.com": [
        {"TXT": "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}
    ],
    "test._domainkey.football.example.com": [
        {"TXT": (SUITES / "dkimpy" / "data" / "test.txt").read_text().strip()}
    ],
}


def test_everything_passes_together():
    zone = {
        **KEYS,
        "football.example.com": [{"TXT": "v=spf1 ip4:192.0.2.0/24 -all"}],
        "_dmarc.football.example.com": [{"TXT": "v=DMARC1; p=reject"}],
    }
    res = asyncio.run(
        authenticate(
            SIGNED, client_ip="192.0.2.5", helo="mx.football.example.com",
            mail_from="joe@football.example.com", resolver=DictResolver(zone),
        )
    )
    assert [d.result for d in res.dkim] == ["pass", "pass"]
    assert (res.spf.result, res.dmarc.result, res.arc.result) == ("pass", "pass", "none")
    assert res.dmarc.dkim_aligned and res.dmarc.spf_aligned


def test_dns_timeouts_are_temperror_and_bounded():
    """Every zone times out: each check says temperror (none says fail) within the budget."""
    zone = {"football.example.com": ["TIMEOUT"], "_dmarc.football.example.com": ["TIMEOUT"]}
    zone.update({name: ["TIMEOUT"] for name in KEYS})
    with dns_server(zone) as ns:
        resolver = DnspythonResolver(ns, timeout=5.0, attempt_timeout=0.5, cache=TtlCache())
        start = time.monotonic()
        res = asyncio.run(
            authenticate(
                SIGNED, client_ip="192.0.2.5", helo="mx.test", mail_from="joe@football.example.com",
                resolver=resolver, budget_s=1.5,
            )
        )
        elapsed = time.monotonic() - start
    assert elapsed < 4.0
    assert [d.result for d in res.dkim] == ["temperror", "temperror"]
    assert (res.spf.result, res.dmarc.result) == ("temperror", "temperror")


def test_null_mail_from_checks_helo():
    zone = {"mx.example.test": [{"TXT": "v=spf1 a -all"}, {"A": "192.0.2.9"}]}
    res = asyncio.run(
        authenticate(
            b"From: a@example.test\r\n\r\nx\r\n", client_ip="192.0.2.9", helo="mx.example.test",
            mail_from="", resolver=DictResolver(zone),
        )
    )
    assert (res.spf.result, res.spf.identity, res.spf.sender) == ("pass", "helo", "postmaster@mx.example.test")
    value = render_authentication_results(res, "mx.replyguard.test")
    assert "spf=pass smtp.helo=mx.example.test" in value


def test_without_client_ip_spf_is_none():
    res = asyncio.run(
        authenticate(b"From: a@example.test\r\n\r\nx\r\n", client_ip="", helo="", mail_from="a@example.test",
                     resolver=DictResolver({}))
    )
    assert res.spf.result == "none"


def _results(**over) -> AuthResults:
    base = dict(
        dkim=[DkimResult("pass", "acme.test", "sel2026", "good signature", "rsa-sha256", "", "abcdefgh")],
        spf=SpfResult("pass", "mailfrom", "acme.test", "user@acme.test", "192.0.2.1"),
        dmarc=DmarcResult("pass", "acme.test", "reject"),
        arc=ArcResult("none"),
    )
    base.update(over)
    return AuthResults(**base)  # type: ignore[arg-type]


def test_render_matches_the_design_example():
    assert render_authentication_results(_results(), "mx.replyguard.local") == (
        "mx.replyguard.local; dkim=pass header.d=acme.test header.s=sel2026; "
        "spf=pass smtp.mailfrom=user@acme.test; dmarc=pass header.from=acme.test policy.dmarc=reject; arc=none"
    )


def test_render_round_trips_through_authres_with_comments_and_odd_values():
    res = _results(
        dkim=[
            DkimResult("fail", "acme.test", "s1", "body hash mismatch", b="aaaa1111"),
            DkimResult("pass", "acme.test", "s1", "good", b="bbbb2222"),
            DkimResult("none", reason="no DKIM-Signature"),
        ],
        spf=SpfResult("fail", "mailfrom", "acme.test", '"odd local"@acme.test', "192.0.2.1"),
        dmarc=DmarcResult("fail", "acme.test", "reject", "reject", reason="no aligned (x) pass"),
    )
    value = render_authentication_results(res, "mx.replyguard.test")
    header = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
    assert header.authserv_id == "mx.replyguard.test"
    got = [(r.method, r.result) for r in header.results]
    assert got == [("dkim", "fail"), ("dkim", "pass"), ("dkim", "none"), ("spf", "fail"), ("dmarc", "fail"),
                   ("arc", "none")]
    assert "header.b=aaaa1111" in value and "header.b=bbbb2222" in value  # same d/s told apart
    assert "(body hash mismatch)" in value


@pytest.mark.parametrize("bad_id", ["authserv-id.replyguard.invalid"])
def test_authserv_id_is_first(bad_id):
    assert render_authentication_results(_results(), bad_id).startswith(bad_id + "; ")
