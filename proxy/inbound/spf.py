"""SPF (RFC 7208) on our own Resolver.

Why our own and not pyspf: pyspf does its DNS through its own module-level
lookup, which ignores the resolver (and the `--nameserver`, the cache and the
per-message budget) the rest of the inbound checks share. RFC 7208 is small
enough to implement whole: every mechanism and modifier, macros, the 10 DNS
mechanism limit, the 2 void-lookup limit, the MX and PTR limits, include and
redirect semantics and exp= explanations.

Entry points: `check_spf()` does the MAIL FROM identity (or the HELO identity
when the reverse-path is null) and returns an `SpfResult`; `check_host()` is
the RFC's function of the same name.
"""
from __future__ import annotations

import ipaddress
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Sequence

from proxy.inbound.dns import DnsError, DnsNameError, DnsTempError, Resolver

__all__ = ["SpfResult", "check_spf", "check_host"]

RESULTS = ("pass", "fail", "softfail", "neutral", "none", "temperror", "permerror")
QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
DNS_MECHANISM_LIMIT = 10
VOID_LOOKUP_LIMIT = 2
MX_LIMIT = 10
PTR_LIMIT = 10


@dataclass(frozen=True)
class SpfResult:
    """The SPF verdict for one identity, with what an A-R header and a human need."""

    result: str
    identity: str  # "mailfrom" or "helo"
    domain: str  # the domain whose policy was checked
    sender: str  # the <sender> of check_host(): mailfrom, or postmaster@helo
    client_ip: str
    reason: str = ""
    explanation: str | None = None
    mechanism: str | None = None

    @property
    def properties(self) -> dict[str, str]:
        """RFC 8601 properties: smtp.mailfrom for MAIL FROM, smtp.helo for HELO."""
        if self.identity == "helo":
            return {"smtp.helo": self.domain}
        return {"smtp.mailfrom": self.sender}


class _PermError(Exception):
    """A syntax error or a processing limit hit: check_host() returns permerror."""


class _TempError(Exception):
    """A DNS failure: check_host() returns temperror."""


@dataclass
class _Session:
    """State shared across one check_host() including its include/redirect recursion."""

    resolver: Resolver
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    sender: str
    helo: str
    receiver: str
    dns_terms: int = 0
    voids: int = 0
    validated: dict[str, bool] = field(default_factory=dict)

    def count_term(self) -> None:
        self.dns_terms += 1
        if self.dns_terms > DNS_MECHANISM_LIMIT:
            raise _PermError("more than %d DNS-querying terms" % DNS_MECHANISM_LIMIT)

    def count_void(self) -> None:
        self.voids += 1
        if self.voids > VOID_LOOKUP_LIMIT:
            raise _PermError("more than %d void lookups" % VOID_LOOKUP_LIMIT)


# --- syntax -----------------------------------------------------------------

_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9\-_.]*\Z")
_MACRO_RE = re.compile(r"%(?:\{([A-Za-z])(\d*)(r?)([.\-+,/_=]*)\}|%|_|-)", re.IGNORECASE)
_TOPLABEL_RE = re.compile(
    r"(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9\-]*[A-Za-z0-9])\Z"
)
_MECH_RE = re.compile(r"([+\-~?]?)([A-Za-z][A-Za-z0-9\-_.]*)(.*)\Z", re.DOTALL)
_ASCII_VISIBLE = re.compile(r"[\x21-\x7e]*\Z")


def _check_macro_string(text: str, *, exp: bool = False) -> None:
    """Raise _PermError unless `text` is a valid macro-string (RFC 7208 §7.1)."""
    pos = 0
    while True:
        i = text.find("%", pos)
        if i < 0:
            return
        m = _MACRO_RE.match(text, i)
        if m is None:
            raise _PermError("bad macro at %r" % text[i:])
        letter = m.group(1)
        if letter is not None:
            if letter.lower() not in "slodiphv" + ("crt" if exp else ""):
                raise _PermError("bad macro letter %r" % letter)
        pos = m.end()


def _check_domain_spec(spec: str) -> None:
    """domain-spec = macro-string domain-end (RFC 7208 §7.1)."""
    if not spec:
        raise _PermError("empty domain-spec")
    if not _ASCII_VISIBLE.match(spec):
        raise _PermError("domain-spec with non-visible or non-ASCII characters")
    _check_macro_string(spec)
    if re.search(r"%\{[^}]*\}\Z", spec):
        return  # domain-end may be a macro-expand
    body = spec[:-1] if spec.endswith(".") else spec
    if "." not in body:
        raise _PermError("domain-spec %r has no top label" % spec)
    top = body.rsplit(".", 1)[1]
    if not _TOPLABEL_RE.match(top):
        raise _PermError("domain-spec %r: bad top label" % spec)


def _parse_cidr(text: str, *, v4: bool, v6: bool) -> tuple[int, int]:
    """Parse `[/n][//m]` after a/mx; return (v4 length, v6 length)."""
    m = re.match(r"(?:/(\d+))?(?://(\d+))?\Z", text)
    if m is None or (not v4 and m.group(1)) or (not v6 and m.group(2)):
        raise _PermError("bad CIDR %r" % text)
    out = []
    for group, top in ((m.group(1), 32), (m.group(2), 128)):
        if group is None:
            out.append(top)
            continue
        if len(group) > 1 and group[0] == "0":
            raise _PermError("CIDR length with leading zero %r" % text)
        n = int(group)
        if n > top:
            raise _PermError("CIDR length %d too long" % n)
        out.append(n)
    return out[0], out[1]


@dataclass(frozen=True)
class _Directive:
    qualifier: str
    name: str  # all include a mx ptr ip4 ip6 exists
    domain_spec: str | None = None
    cidr4: int = 32
    cidr6: int = 128
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    text: str = ""


@dataclass
class _Record:
    directives: list[_Directive]
    redirect: str | None = None
    exp: str | None = None


def _split_arg(rest: str) -> tuple[str | None, str]:
    """Split ':domain-spec/cidr' or '/cidr' into (domain_spec, cidr text).

    The CIDR part is only a trailing `/n`, `//m` or `/n//m`: a domain-spec may
    itself hold '/' and ':' (any visible character but '%', §7.1).
    """
    if not rest:
        return None, ""
    if rest[0] == "/":
        return None, rest
    if rest[0] != ":":
        raise _PermError("bad mechanism argument %r" % rest)
    m = re.match(r"(.*?)((?:/\d+)?(?://\d+)?)\Z", rest[1:], re.DOTALL)
    assert m is not None
    return m.group(1), m.group(2)


def parse_record(record: str) -> _Record:
    """Parse a whole SPF record; any syntax error raises before evaluation (§4.6)."""
    terms = record.split(" ")
    if terms[0].lower() != "v=spf1":
        raise _PermError("not an SPF record")
    out = _Record([])
    for term in terms[1:]:
        if term == "":
            continue
        if not _ASCII_VISIBLE.match(term):
            raise _PermError("term %r has non-visible characters" % term)
        eq = term.find("=")
        colon_or_slash = min([i for i in (term.find(":"), term.find("/")) if i >= 0], default=len(term))
        if 0 < eq < colon_or_slash and _NAME_RE.match(term[:eq]):
            name, value = term[:eq].lower(), term[eq + 1:]
            if name in ("redirect", "exp"):
                if getattr(out, name) is not None:
                    raise _PermError("%s= given twice" % name)
                _check_domain_spec(value)
                setattr(out, name, value)
            else:
                _check_macro_string(value)
            continue
        m = _MECH_RE.match(term)
        if m is None:
            raise _PermError("bad term %r" % term)
        qual, name, rest = m.group(1) or "+", m.group(2).lower(), m.group(3)
        if name == "all":
            if rest:
                raise _PermError("bad term %r" % term)
            out.directives.append(_Directive(qual, name, text=term))
        elif name in ("include", "exists"):
            if not rest.startswith(":"):
                raise _PermError("%s needs a domain" % name)
            _check_domain_spec(rest[1:])
            out.directives.append(_Directive(qual, name, rest[1:], text=term))
        elif name in ("a", "mx"):
            spec, cidr = _split_arg(rest)
            if spec is not None:
                _check_domain_spec(spec)
            c4, c6 = _parse_cidr(cidr, v4=True, v6=True)
            out.directives.append(_Directive(qual, name, spec, c4, c6, text=term))
        elif name == "ptr":
            spec, cidr = _split_arg(rest)
            if cidr:
                raise _PermError("ptr takes no CIDR")
            if spec is not None:
                _check_domain_spec(spec)
            out.directives.append(_Directive(qual, name, spec, text=term))
        elif name in ("ip4", "ip6"):
            if not rest.startswith(":"):
                raise _PermError("%s needs an address" % name)
            addr, _, length = rest[1:].partition("/")
            try:
                ip = ipaddress.ip_address(addr)
            except ValueError as exc:
                raise _PermError("bad address %r" % addr) from exc
            if (name == "ip4") != (ip.version == 4):
                raise _PermError("%s with a v%d address" % (name, ip.version))
            top = 32 if ip.version == 4 else 128
            if length:
                if not length.isdigit() or (len(length) > 1 and length[0] == "0") or int(length) > top:
                    raise _PermError("bad prefix length %r" % length)
                plen = int(length)
            elif "/" in rest:
                raise _PermError("empty prefix length")
            else:
                plen = top
            net = ipaddress.ip_network("%s/%d" % (ip, plen), strict=False)
            out.directives.append(_Directive(qual, name, network=net, text=term))
        else:
            raise _PermError("unknown mechanism %r" % term)
    return out


# --- macros -----------------------------------------------------------------


def _ip_dotted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if ip.version == 4:
        return str(ip)
    return ".".join(ip.exploded.replace(":", ""))


async def _expand(text: str, s: _Session, domain: str, *, exp: bool = False) -> str:
    """Expand a macro-string (already syntax-checked)."""
    out: list[str] = []
    pos = 0
    for m in _MACRO_RE.finditer(text):
        out.append(text[pos:m.start()])
        pos = m.end()
        whole = m.group(0)
        if whole == "%%":
            out.append("%")
            continue
        if whole == "%_":
            out.append(" ")
            continue
        if whole == "%-":
            out.append("%20")
            continue
        letter, digits, reverse, delims = m.group(1), m.group(2), m.group(3), m.group(4)
        value = await _macro_value(letter.lower(), s, domain, exp)
        parts = re.split("[" + re.escape(delims or ".") + "]", value)
        if reverse:
            parts.reverse()
        if digits:
            n = int(digits)
            if n == 0:
                raise _PermError("macro with zero labels")
            parts = parts[-n:]
        value = ".".join(parts)
        if letter.isupper():
            value = urllib.parse.quote(value, safe="-._~")
        out.append(value)
    out.append(text[pos:])
    return "".join(out)


async def _macro_value(letter: str, s: _Session, domain: str, exp: bool) -> str:
    if letter == "s":
        return s.sender
    if letter == "l":
        return s.sender.rpartition("@")[0] or "postmaster"
    if letter == "o":
        return s.sender.rpartition("@")[2]
    if letter == "d":
        return domain
    if letter == "i":
        return _ip_dotted(s.ip)
    if letter == "p":
        return await _validated_name(s, domain)
    if letter == "v":
        return "in-addr" if s.ip.version == 4 else "ip6"
    if letter == "h":
        return s.helo
    if exp and letter == "c":
        return str(s.ip)
    if exp and letter == "r":
        return s.receiver
    if exp and letter == "t":
        return str(int(time.time()))
    raise _PermError("macro %r not allowed here" % letter)


def _truncate(name: str) -> str:
    """§7.3: over 253 characters, drop left labels until it fits."""
    name = name.rstrip(".") if name.endswith(".") else name
    while len(name) > 253 and "." in name:
        name = name.split(".", 1)[1]
    return name


async def _target(spec: str | None, s: _Session, domain: str) -> str:
    """The domain a mechanism or modifier names: its expanded domain-spec, else <domain>."""
    if spec is None:
        return domain
    return _truncate(await _expand(spec, s, domain))


# --- DNS helpers ------------------------------------------------------------


async def _records(s: _Session, name: str, rdtype: str, *, void_counts: bool = True) -> Sequence[str]:
    """The `rdtype` records of `name`; a DNS timeout is a temperror, and with `void_counts` an
    answer without records (NXDOMAIN or NODATA) counts toward the void-lookup limit."""
    try:
        records = (await s.resolver.query(name, rdtype)).records
    except DnsNameError:
        records = ()
    except DnsTempError as exc:
        raise _TempError(str(exc)) from exc
    if not records and void_counts:
        s.count_void()
    return records


async def _addresses(s: _Session, name: str, *, void_counts: bool) -> list[ipaddress._BaseAddress]:
    """A or AAAA (matching the client's family) of `name`."""
    out = []
    for rec in await _records(s, name, "A" if s.ip.version == 4 else "AAAA", void_counts=void_counts):
        try:
            out.append(ipaddress.ip_address(rec))
        except ValueError:
            continue
    return out


def _in(ip, addr, c4: int, c6: int) -> bool:
    if ip.version != addr.version:
        return False
    plen = c4 if ip.version == 4 else c6
    return ip in ipaddress.ip_network("%s/%d" % (addr, plen), strict=False)


async def _validated_names(s: _Session) -> list[str]:
    """§5.5: PTR names of the client whose forward lookup gives the client back."""
    try:
        names = await s.resolver.ptr(str(s.ip))
    except DnsError:
        return []
    out = []
    for name in names[:PTR_LIMIT]:
        try:
            rdtype = "A" if s.ip.version == 4 else "AAAA"
            recs = (await s.resolver.query(name, rdtype)).records
        except DnsError:
            continue
        if any(_same_ip(r, s.ip) for r in recs):
            out.append(name.lower().rstrip("."))
    return out


def _same_ip(text: str, ip) -> bool:
    try:
        return ipaddress.ip_address(text) == ip
    except ValueError:
        return False


def _is_sub(name: str, domain: str) -> bool:
    name, domain = name.lower().rstrip("."), domain.lower().rstrip(".")
    return name == domain or name.endswith("." + domain)


async def _validated_name(s: _Session, domain: str) -> str:
    names = await _validated_names(s)
    for n in names:
        if _is_sub(n, domain):
            return n
    return names[0] if names else "unknown"


async def _spf_record(s: _Session, domain: str) -> str | None:
    """§4.4/4.5: the one v=spf1 TXT record of `domain`, None when there is none."""
    try:
        ans = await s.resolver.query(domain, "TXT")
    except DnsNameError:
        return None
    except DnsTempError as exc:
        raise _TempError(str(exc)) from exc
    found = [r for r in ans.records if r.lower() == "v=spf1" or r.lower().startswith("v=spf1 ")]
    if len(found) > 1:
        raise _PermError("%s has %d SPF records" % (domain, len(found)))
    return found[0] if found else None


# --- evaluation -------------------------------------------------------------


async def _check_host(s: _Session, domain: str, depth: int = 0) -> tuple[str, str | None, str | None, str]:
    """Returns (result, explanation, matching term, reason)."""
    if depth > 20:
        raise _PermError("include/redirect loop")
    record = await _spf_record(s, domain)
    if record is None:
        return "none", None, None, "no SPF record at %s" % domain
    rec = parse_record(record)
    for d in rec.directives:
        if await _matches(d, s, domain, depth):
            result = QUALIFIERS[d.qualifier]
            explanation = None
            if result == "fail" and rec.exp is not None:
                explanation = await _explain(rec.exp, s, domain)
            return result, explanation, d.text, "matched %s at %s" % (d.text, domain)
    if rec.redirect is not None and not any(d.name == "all" for d in rec.directives):
        s.count_term()
        target = await _target(rec.redirect, s, domain)
        if not _valid_domain(target):
            raise _PermError("redirect to invalid domain %r" % target)
        result, explanation, term, reason = await _check_host(s, target, depth + 1)
        if result == "none":
            raise _PermError("redirect target %s has no SPF record" % target)
        return result, explanation, term, reason
    return "neutral", None, None, "no mechanism matched at %s" % domain


async def _matches(d: _Directive, s: _Session, domain: str, depth: int) -> bool:
    if d.name == "all":
        return True
    if d.name in ("ip4", "ip6"):
        assert d.network is not None
        return s.ip.version == d.network.version and s.ip in d.network
    s.count_term()
    target = await _target(d.domain_spec, s, domain)
    if d.name == "a":
        return any(_in(s.ip, a, d.cidr4, d.cidr6) for a in await _addresses(s, target, void_counts=True))
    if d.name == "mx":
        hosts = []
        for rec in await _records(s, target, "MX"):
            host = rec.partition(" ")[2].strip().rstrip(".")
            hosts.append(host)
        if len(hosts) > MX_LIMIT:
            raise _PermError("%s has more than %d MX records" % (target, MX_LIMIT))
        for host in hosts:
            if not host:
                continue  # null MX (RFC 7505)
            if any(_in(s.ip, a, d.cidr4, d.cidr6) for a in await _addresses(s, host, void_counts=False)):
                return True
        return False
    if d.name == "ptr":
        try:
            names = await s.resolver.ptr(str(s.ip))
        except DnsError:
            return False
        if not names:
            s.count_void()
            return False
        for name in names[:PTR_LIMIT]:
            if not _is_sub(name, target):
                continue
            try:
                recs = (await s.resolver.query(name, "A" if s.ip.version == 4 else "AAAA")).records
            except DnsError:
                continue
            if any(_same_ip(r, s.ip) for r in recs):
                return True
        return False
    if d.name == "exists":
        return bool(await _records(s, target, "A"))
    if d.name == "include":
        if not _valid_domain(target):
            raise _PermError("include of invalid domain %r" % target)
        result, _, _, _ = await _check_host(s, target, depth + 1)
        if result == "pass":
            return True
        if result in ("fail", "softfail", "neutral"):
            return False
        if result == "temperror":
            raise _TempError("include:%s temperror" % target)
        raise _PermError("include:%s gave %s" % (target, result))
    raise _PermError("unknown mechanism %s" % d.name)


async def _explain(spec: str, s: _Session, domain: str) -> str | None:
    """§6.2: any failure here means "no explanation", never a different result."""
    try:
        target = _truncate(await _expand(spec, s, domain))
        records = await s.resolver.txt(target)
        if len(records) != 1 or not re.fullmatch(r"[\x20-\x7e]*", records[0]):
            return None
        _check_macro_string(records[0], exp=True)
        return await _expand(records[0], s, domain, exp=True)
    except (_PermError, _TempError, DnsError):
        return None


def _valid_domain(domain: str) -> bool:
    """§4.3: a checkable domain is an FQDN of valid labels."""
    d = domain[:-1] if domain.endswith(".") else domain
    if not d or "." not in d or len(d) > 253:
        return False
    labels = d.split(".")
    return all(0 < len(lab) <= 63 for lab in labels)


async def check_host(
    ip: str, domain: str, sender: str, *, resolver: Resolver, helo: str = "", receiver: str = "unknown"
) -> tuple[str, str | None, str | None, str]:
    """RFC 7208 §4 check_host(): (result, explanation, matching term, reason)."""
    addr = ipaddress.ip_address(ip)
    if addr.version == 6 and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    s = _Session(resolver, addr, sender, helo, receiver)
    if not _valid_domain(domain) or not re.fullmatch(r"[A-Za-z0-9\-_.]+", domain):
        return "none", None, None, "%r is not a domain SPF can check" % domain
    try:
        return await _check_host(s, domain.rstrip("."))
    except _PermError as exc:
        return "permerror", None, None, str(exc)
    except _TempError as exc:
        return "temperror", None, None, str(exc)


async def check_spf(
    *, client_ip: str, helo: str, mail_from: str, resolver: Resolver, receiver: str = "unknown"
) -> SpfResult:
    """Check the MAIL FROM identity, or the HELO identity when MAIL FROM is null (§2.4)."""
    mail_from = mail_from.strip().strip("<>")
    helo = helo.strip()
    if mail_from:
        local, at, domain = mail_from.rpartition("@")
        if not at:
            local, domain = "", mail_from
        local, domain = local.strip(), domain.strip()  # "user@ example.com" seen in the wild
        if not local.startswith('"') and re.search(r"[@,]", local):
            # not one reverse-path (e.g. "a@x.test, b@y.test"): nothing SPF can check
            return SpfResult("none", "mailfrom", "", mail_from, client_ip, "unparsable MAIL FROM %r" % mail_from)
        sender = "%s@%s" % (local or "postmaster", domain)
        identity = "mailfrom"
    else:
        domain = helo
        sender = "postmaster@%s" % helo
        identity = "helo"
    result, explanation, term, reason = await check_host(
        client_ip, domain, sender, resolver=resolver, helo=helo, receiver=receiver
    )
    return SpfResult(result, identity, domain, sender, client_ip, reason, explanation, term)
