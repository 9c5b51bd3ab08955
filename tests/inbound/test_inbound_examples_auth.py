"""shared/examples/inbound: authenticate() gives each case's expected dkim/spf/dmarc, DNS from zone.yaml.

The full `replyguard annotate` run (headers, anonymity, category) is checked by
the annotate tests and check_inbound.py; this pins the authenticity half, with
the zone served by a real DNS server exactly as the acceptance harness does.
"""
from __future__ import annotations

import asyncio

import authres
import pytest
import yaml

from dnsfixture_proc import SHARED, dns_server
from proxy.inbound.authenticity import authenticate, render_authentication_results
from proxy.inbound.dns import DnspythonResolver, TtlCache

DIR = SHARED / "examples" / "inbound"
CASES = sorted(p.name for p in DIR.iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def nameserver():
    with dns_server(DIR / "zone.yaml") as ns:
        yield ns


def test_ten_cases():
    assert len(CASES) == 10


@pytest.mark.parametrize("case", CASES)
def test_example(nameserver, case):
    env = yaml.safe_load((DIR / case / "envelope.yaml").read_text(encoding="utf-8"))
    want = yaml.safe_load((DIR / case / "expect.yaml").read_text(encoding="utf-8"))["authentication_results"]
    raw = (DIR / case / "message.eml").read_bytes()
    resolver = DnspythonResolver(nameserver, timeout=3.0, cache=TtlCache())
    res = asyncio.run(
        authenticate(
            raw,
            client_ip=str(env["client_ip"]),
            helo=str(env["helo"]),
            mail_from=str(env.get("mail_from") or ""),
            resolver=resolver,
        )
    )
    value = render_authentication_results(res, "mx.replyguard.test")
    parsed = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
    got: dict[str, list[str]] = {}
    for r in parsed.results:
        got.setdefault(r.method, []).append(r.result)
    for method, expected in want.items():
        expected = sorted(expected) if isinstance(expected, list) else [expected] * len(got.get(method, [1]))
        assert sorted(got.get(method, [])) == sorted(expected), "%s: %s" % (method, value)
