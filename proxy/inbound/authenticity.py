"""Is the sender who they claim to be? DKIM, SPF, DMARC and ARC for one message.

One public coroutine, `authenticate()`, runs the four checks (DKIM, SPF and ARC
concurrently, then DMARC, which needs the first two) under one DNS time budget
and returns typed results; `render_authentication_results()` turns them into
the value of our single `Authentication-Results` header (RFC 8601). Each check
lives in its own module (spf.py, dkim_check.py, dmarc.py, arc_check.py); this
module only composes them and renders. Stripping forged headers and adding ours
is the annotate pipeline's job (annotate.py).

DNS failures become `temperror` and broken records `permerror` inside each
check; anything else that raises is a bug and is allowed to surface.
"""
from __future__ import annotations

import asyncio
import ipaddress
import re
from dataclasses import dataclass

from proxy.inbound.arc_check import ArcResult, check_arc
from proxy.inbound.dkim_check import DkimResult, check_dkim
from proxy.inbound.dmarc import DmarcResult, check_dmarc
from proxy.inbound.dns import Resolver
from proxy.inbound.spf import SpfResult, check_spf

__all__ = [
    "ArcResult",
    "AuthResults",
    "DkimResult",
    "DmarcResult",
    "SpfResult",
    "authenticate",
    "render_authentication_results",
]


@dataclass(frozen=True)
class AuthResults:
    """Everything the annotator and the anonymity verdict need to know."""

    dkim: list[DkimResult]
    spf: SpfResult
    dmarc: DmarcResult
    arc: ArcResult


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


async def authenticate(
    raw: bytes,
    *,
    client_ip: str,
    helo: str,
    mail_from: str,
    resolver: Resolver,
    budget_s: float = 10.0,
    receiver: str = "unknown",
) -> AuthResults:
    """Check `raw` (the message exactly as received) against the SMTP envelope.

    `mail_from` "" is the null reverse-path (SPF then checks the HELO name).
    Without a usable `client_ip` (e.g. `annotate` run on a stored message) SPF
    cannot be evaluated and is `none`.
    """
    with resolver.budget(budget_s):
        if _valid_ip(client_ip):
            spf_job = check_spf(client_ip=client_ip, helo=helo, mail_from=mail_from, resolver=resolver, receiver=receiver)
        else:
            spf_job = _no_spf(client_ip, helo, mail_from)
        dkim, spf, arc = await asyncio.gather(check_dkim(raw, resolver), spf_job, check_arc(raw, resolver))
        dmarc = await check_dmarc(raw, dkim, spf, resolver)
    return AuthResults(dkim=dkim, spf=spf, dmarc=dmarc, arc=arc)


async def _no_spf(client_ip: str, helo: str, mail_from: str) -> SpfResult:
    mail_from = mail_from.strip().strip("<>")
    domain = mail_from.rpartition("@")[2] if mail_from else helo
    identity = "mailfrom" if mail_from else "helo"
    sender = mail_from or "postmaster@%s" % helo
    return SpfResult("none", identity, domain, sender, client_ip, "no client IP to check")


# --- rendering (RFC 8601 §2.2) ----------------------------------------------

_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`{|}~]+\Z")
_ADDR = re.compile(r"(?:[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]*@)?[A-Za-z0-9\-.]+\Z")


def _pvalue(value: str) -> str:
    """A property value: token, [local-part@]domain, or quoted-string."""
    if _TOKEN.match(value) or _ADDR.match(value):
        return value
    return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')


def _comment(text: str) -> str:
    text = "".join(ch if 0x20 <= ord(ch) < 0x7F else "?" for ch in text)
    text = text.replace(";", ",")  # legal in a comment, but naive A-R readers split on it
    text = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return " (%s)" % text[:120] if text else ""


def _resinfo(method: str, result: str, props: dict[str, str], comment: str = "") -> str:
    out = "%s=%s%s" % (method, result, _comment(comment))
    for name, value in props.items():
        out += " %s=%s" % (name, _pvalue(value))
    return out


def render_authentication_results(results: AuthResults, authserv_id: str) -> str:
    """The header VALUE, e.g. `mx.example; dkim=pass header.d=a.test header.s=s1; spf=pass ...`.

    One dkim entry per signature (`dkim=none` when unsigned); reasons for
    anything but pass go in comments, which readers and parsers skip.
    """
    parts = [authserv_id]
    seen: dict[tuple[str, str], int] = {}
    for r in results.dkim:
        seen[(r.domain, r.selector)] = seen.get((r.domain, r.selector), 0) + 1
    for r in results.dkim:
        props = {k: v for k, v in r.properties.items() if k in ("header.d", "header.s")}
        if seen[(r.domain, r.selector)] > 1 and r.b:
            props["header.b"] = r.b  # RFC 6008: tell same-domain signatures apart
        parts.append(_resinfo("dkim", r.result, props, "" if r.result in ("pass", "none") else r.reason))
    spf = results.spf
    parts.append(_resinfo("spf", spf.result, spf.properties if spf.domain else {}, _spf_comment(spf)))
    d = results.dmarc
    parts.append(_resinfo("dmarc", d.result, d.properties, "" if d.result == "pass" else d.reason))
    a = results.arc
    parts.append(_resinfo("arc", a.result, a.properties, "" if a.result in ("pass", "none") else a.reason))
    return "; ".join(parts)


def _spf_comment(spf: SpfResult) -> str:
    if spf.result in ("pass", "none", "neutral", "softfail"):
        return ""
    if spf.result == "fail":
        return "%s does not designate %s" % (spf.domain, spf.client_ip)
    return spf.reason
