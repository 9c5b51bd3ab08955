"""DMARC (RFC 7489): is the From domain backed by an aligned DKIM or SPF pass?

What the agent needs to know is whether the visible From is forged, so the
result is computed for the RFC 5322 From domain(s):

* policy discovery at `_dmarc.<from>`, then at `_dmarc.<organizational domain>`
  (Public Suffix List, see orgdomain.py), then — RFC 9091 — at
  `_dmarc.<public suffix>` if that record says `psd=y` (e.g. `.gov`);
* p= for the From domain's own record, sp= for a subdomain, np= (RFC 9091) for a
  subdomain that does not exist at all;
* adkim/aspf relaxed or strict alignment against DKIM `pass` d= and the SPF
  `pass` domain;
* pct= sampling turns the policy into the disposition for a failing message.

Results: pass, fail, none (no usable policy), temperror (DNS), permerror
(broken record, no or several From headers, From without a domain). One From
header naming addresses in several domains is evaluated per domain and the
strictest outcome wins (what authheaders does, and the safe reading of §6.6.1).
"""
from __future__ import annotations

import email.parser
import email.policy
import email.utils
import random
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from proxy.inbound.dkim_check import DkimResult
from proxy.inbound.dns import DnsError, DnsTempError, Resolver
from proxy.inbound.orgdomain import organizational_domain, public_suffix
from proxy.inbound.spf import SpfResult

__all__ = ["DmarcResult", "DmarcRecord", "check_dmarc", "from_domains", "parse_record"]

POLICIES = ("none", "quarantine", "reject")


@dataclass(frozen=True)
class DmarcResult:
    """The DMARC verdict for the From domain, and which policy the domain asked for."""

    result: str  # pass | fail | none | temperror | permerror
    from_domain: str = ""  # header.from
    policy: str = ""  # the policy that applies (p, sp or np of the record found); "" without record
    disposition: str = "none"  # what to do with this message after pct= sampling
    record_domain: str = ""  # where the record was found
    reason: str = ""
    dkim_aligned: bool = False
    spf_aligned: bool = False

    @property
    def properties(self) -> dict[str, str]:
        props = {"header.from": self.from_domain or "none"}
        if self.policy:
            props["policy.dmarc"] = self.policy
        return props


@dataclass(frozen=True)
class DmarcRecord:
    p: str | None
    sp: str | None = None
    np: str | None = None
    adkim: str = "r"
    aspf: str = "r"
    pct: int = 100
    psd: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


class RecordError(ValueError):
    """A DMARC record that exists but cannot be read: permerror."""


_TAG = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$", re.DOTALL)


def is_dmarc_record(txt: str) -> bool:
    return re.match(r"v\s*=\s*DMARC1\s*(;|$)", txt) is not None


def parse_record(txt: str) -> DmarcRecord:
    """RFC 7489 §6.3 tag list; raises RecordError for a malformed one."""
    tags: dict[str, str] = {}
    for part in txt.split(";"):
        if not part.strip():
            continue
        m = _TAG.match(part)
        if m is None:
            raise RecordError("missing tag or value: %r" % txt)
        tags.setdefault(m.group(1).lower(), m.group(2))
    out: dict[str, object] = {}
    for name in ("p", "sp", "np"):
        if name in tags:
            value = tags[name].lower()
            if value not in POLICIES:
                raise RecordError("%s=%s is not a policy" % (name, tags[name]))
            out[name] = value
    for name in ("adkim", "aspf"):
        value = tags.get(name, "r").lower()
        if value not in ("r", "s"):
            raise RecordError("%s=%s is not r or s" % (name, tags[name]))
        out[name] = value
    pct = tags.get("pct", "100")
    if not pct.isdigit() or int(pct) > 100:
        raise RecordError("pct=%s is not 0..100" % pct)
    return DmarcRecord(
        p=out.get("p"),  # type: ignore[arg-type]
        sp=out.get("sp"),  # type: ignore[arg-type]
        np=out.get("np"),  # type: ignore[arg-type]
        adkim=out["adkim"],  # type: ignore[arg-type]
        aspf=out["aspf"],  # type: ignore[arg-type]
        pct=int(pct),
        psd=tags.get("psd", "").lower() or None,
        tags=tags,
    )


class FromError(ValueError):
    """No usable RFC 5322 From: DMARC cannot be evaluated (permerror)."""


def from_domains(raw: bytes) -> list[str]:
    """Domains of the From header's addresses, in order, de-duplicated.

    Raises FromError for no From header, several From headers, or an address
    without a domain.
    """
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    msg = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(head + b"\r\n\r\n")
    values = msg.get_all("From") or []
    if not values:
        raise FromError("no From header")
    if len(values) > 1:
        raise FromError("%d From headers" % len(values))
    value = str(values[0])
    addresses = email.utils.getaddresses([value])
    out: list[str] = []
    for _, addr in addresses:
        local, at, domain = addr.rpartition("@")
        domain = domain.strip().rstrip(".").lower()
        if not at or not domain or "." not in domain:
            raise FromError("Unable to extract From domain: %s" % value.strip())
        if domain not in out:
            out.append(domain)
    if not out:
        raise FromError("Unable to extract From domain: %s" % value.strip())
    return out


def _aligned(domain: str, from_domain: str, mode: str) -> bool:
    domain, from_domain = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    if mode == "s":
        return domain == from_domain
    org = organizational_domain(from_domain)
    return org is not None and organizational_domain(domain) == org


async def _record_at(domain: str, resolver: Resolver) -> list[str]:
    try:
        return [t for t in await resolver.txt("_dmarc." + domain) if is_dmarc_record(t)]
    except DnsTempError:
        raise
    except DnsError:
        return []


_LOWER = {"reject": "quarantine", "quarantine": "none", "none": "none"}
_RANK = {"fail": 0, "temperror": 1, "permerror": 2, "none": 3, "pass": 4}
_STRICT = {"reject": 0, "quarantine": 1, "none": 2, "": 3}


async def _check_domain(
    from_domain: str,
    dkim: Sequence[DkimResult],
    spf: SpfResult | None,
    resolver: Resolver,
    sample: Callable[[], float],
) -> DmarcResult:
    org = organizational_domain(from_domain) or from_domain
    try:
        where, kind, records = from_domain, "p", await _record_at(from_domain, resolver)
        if not records and org != from_domain:
            where, kind, records = org, "sp", await _record_at(org, resolver)
        if not records:
            psd = public_suffix(from_domain)
            if psd and psd != from_domain:
                found = await _record_at(psd, resolver)
                if len(found) == 1 and re.search(r"(^|;)\s*psd\s*=\s*y\s*(;|$)", found[0], re.I):
                    # RFC 9091: the PSD's policy stands in for the organizational domain's
                    where, kind, records = psd, ("p" if org == from_domain else "sp"), found
    except DnsTempError as exc:
        return DmarcResult("temperror", from_domain, reason=str(exc))
    if len(records) != 1:
        why = "no DMARC record" if not records else "%d DMARC records at %s" % (len(records), where)
        return DmarcResult("none", from_domain, reason=why)
    try:
        rec = parse_record(records[0])
    except RecordError as exc:
        return DmarcResult("permerror", from_domain, record_domain=where, reason=str(exc))
    if rec.p is None:
        return DmarcResult("none", from_domain, record_domain=where, reason="record at %s has no p=" % where)
    policy = rec.p
    if kind == "sp":
        policy = rec.sp or rec.p
        if rec.np is not None:
            try:
                exists = not (await resolver.query(from_domain, "A")).nxdomain
            except DnsTempError as exc:
                return DmarcResult("temperror", from_domain, record_domain=where, reason=str(exc))
            except DnsError:
                exists = False
            if not exists:
                policy = rec.np
    dkim_ok = any(r.result == "pass" and r.domain and _aligned(r.domain, from_domain, rec.adkim) for r in dkim)
    spf_ok = bool(spf and spf.result == "pass" and _aligned(spf.domain, from_domain, rec.aspf))
    if dkim_ok or spf_ok:
        how = " and ".join(n for n, ok in (("DKIM", dkim_ok), ("SPF", spf_ok)) if ok)
        return DmarcResult("pass", from_domain, policy, "none", where, "aligned %s pass" % how, dkim_ok, spf_ok)
    disposition = policy if rec.pct >= 100 or sample() * 100 < rec.pct else _LOWER[policy]
    return DmarcResult(
        "fail", from_domain, policy, disposition, where, "no aligned DKIM or SPF pass, policy from %s" % where
    )


async def check_dmarc(
    raw: bytes,
    dkim: Sequence[DkimResult],
    spf: SpfResult | None,
    resolver: Resolver,
    *,
    sample: Callable[[], float] = random.random,
) -> DmarcResult:
    """Evaluate DMARC for the message's From domain(s); `sample` drives pct= (0 ≤ x < 1)."""
    try:
        domains = from_domains(raw)
    except FromError as exc:
        return DmarcResult("permerror", "", reason=str(exc))
    results = [await _check_domain(d, dkim, spf, resolver, sample) for d in domains]
    return min(results, key=lambda r: (_RANK[r.result], _STRICT[r.policy]))
