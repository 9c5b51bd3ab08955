"""DMARC behaviours the vectors do not pin down: alignment modes, pct=, DNS trouble, From oddities."""
from __future__ import annotations

import asyncio

import pytest

from proxy.inbound.dkim_check import DkimResult
from proxy.inbound.dmarc import check_dmarc
from proxy.inbound.dns import DictResolver
from proxy.inbound.spf import SpfResult

ZONE = {
    "_dmarc.example.co.jp": [{"TXT": "v=DMARC1; p=reject; sp=quarantine"}],
    "_dmarc.strict.test": [{"TXT": "v=DMARC1; p=reject; adkim=s; aspf=s"}],
    "_dmarc.half.test": [{"TXT": "v=DMARC1; p=reject; pct=50"}],
    "_dmarc.slow.test": ["TIMEOUT"],
    "_dmarc.bad.test": [{"TXT": "v=DMARC1; p=maybe"}],
    "_dmarc.two.test": [{"TXT": "v=DMARC1; p=reject"}, {"TXT": "v=DMARC1; p=none"}],
}


def mail(from_line: str) -> bytes:
    return ("%s\r\nTo: support@replyguard.test\r\nSubject: x\r\n\r\nbody\r\n" % from_line).encode()


def spf(result: str, domain: str) -> SpfResult:
    return SpfResult(result, "mailfrom", domain, "u@" + domain, "192.0.2.1")


def run(raw, dkim=(), spf_result=None, sample=lambda: 0.0):
    return asyncio.run(check_dmarc(raw, list(dkim), spf_result, DictResolver(ZONE), sample=sample))


@pytest.mark.parametrize(
    "from_,dkim_d,spf_d,result,policy",
    [
        ("a@example.co.jp", "mail.example.co.jp", None, "pass", "reject"),  # relaxed DKIM
        ("a@sub.example.co.jp", None, "example.co.jp", "pass", "quarantine"),  # relaxed SPF, sp=
        ("a@example.co.jp", "other.co.jp", None, "fail", "reject"),  # .co.jp is a public suffix
        ("a@strict.test", "mail.strict.test", "mail.strict.test", "fail", "reject"),
        ("a@strict.test", "strict.test", None, "pass", "reject"),
        ("a@nodmarc.test", None, None, "none", ""),
        ("a@slow.test", None, None, "temperror", ""),
        ("a@bad.test", None, None, "permerror", ""),
        ("a@two.test", None, None, "none", ""),  # RFC 7489 §6.6.3: several records = none
    ],
)
def test_alignment_and_discovery(from_, dkim_d, spf_d, result, policy):
    dkim = [DkimResult("pass", dkim_d)] if dkim_d else []
    got = run(mail("From: " + from_), dkim, spf("pass", spf_d) if spf_d else None)
    assert (got.result, got.policy) == (result, policy), got.reason


def test_failed_dkim_or_spf_never_aligns():
    got = run(mail("From: a@example.co.jp"), [DkimResult("fail", "example.co.jp")], spf("softfail", "example.co.jp"))
    assert got.result == "fail"


def test_pct_samples_the_disposition():
    raw = mail("From: a@half.test")
    assert run(raw, sample=lambda: 0.2).disposition == "reject"
    assert run(raw, sample=lambda: 0.7).disposition == "quarantine"


@pytest.mark.parametrize(
    "head",
    ["Subject: no from", "From: a@example.co.jp\r\nFrom: b@example.co.jp", "From: undisclosed"],
)
def test_unusable_from_is_permerror(head):
    raw = ("%s\r\n\r\nbody\r\n" % head).encode()
    assert run(raw).result == "permerror"
