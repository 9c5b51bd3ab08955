"""DNS for the inbound checks: one small async interface, two implementations.

Why a protocol of our own instead of handing dnspython around: SPF, DKIM, DMARC
and the anonymity checks each need to tell three outcomes apart — "there is an
answer", "there is nothing" (NXDOMAIN / NODATA, a *permanent* fact) and "we could
not find out" (timeout, SERVFAIL, network, budget spent: a *temporary* failure).
RFC 7208/7489/6376 map the last one to `temperror`, never to `fail`, so it must
be an exception type the checks cannot confuse with an empty answer.

* `DnspythonResolver` talks to the network through `dns.asyncresolver`. Given a
  `nameserver` ("IP" or "IP:PORT") every query goes there and nowhere else; the
  system resolver is never consulted. Truncated UDP answers are retried over
  TCP (dnspython does this inside `resolve`). Answers — negative ones too — are
  kept in a process-wide, size-bounded cache that honours the TTLs.
* `DictResolver` answers from memory for unit tests, with the same semantics.

A per-message time budget (`with resolver.budget(10.0): ...`) bounds the total
time all DNS queries of one message may take, so a zone that never answers
cannot hold a message (and the SMTP session carrying it) hostage. The budget
lives in a context variable, so concurrent messages each have their own.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import ipaddress
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Iterator, Mapping, Protocol, Sequence

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver
import dns.reversename

__all__ = [
    "Answer",
    "Budget",
    "DictResolver",
    "DnsError",
    "DnsNameError",
    "DnsTempError",
    "DnspythonResolver",
    "Resolver",
    "TtlCache",
]


class DnsError(Exception):
    """Base of the DNS failures a check must turn into a result."""


class DnsTempError(DnsError):
    """Timeout, SERVFAIL, network error or the message's time budget spent.

    The answer may be different next time: checks report `temperror`.
    """


class DnsNameError(DnsError):
    """The name cannot be queried at all (label over 63 octets, empty label, ...).

    Permanent: SPF and DKIM turn it into `permerror` or `none` as their RFCs say.
    """


@dataclass(frozen=True)
class Answer:
    """One RRset as text (TXT: the character-strings joined), plus NXDOMAIN.

    `records` empty and `nxdomain` False is NODATA. Both count as void lookups
    in SPF (RFC 7208 §4.6.4), but DKIM and the anonymity checks like to know
    whether the name exists at all.
    """

    records: tuple[str, ...]
    nxdomain: bool = False
    ttl: int = 0


class Budget:
    """Wall-clock deadline shared by all DNS queries made for one message."""

    def __init__(self, seconds: float, clock=time.monotonic) -> None:
        self._clock = clock
        self.deadline = clock() + seconds

    def remaining(self) -> float:
        return self.deadline - self._clock()


_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("replyguard_dns_budget", default=None)


@contextlib.contextmanager
def _budget_scope(seconds: float) -> Iterator[Budget]:
    """Install a budget for the current task (and tasks it spawns) and remove it after."""
    budget = Budget(seconds)
    outer = _BUDGET.get()
    if outer is not None and outer.deadline < budget.deadline:
        budget = outer  # a nested budget never extends the one around it
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


class Resolver(Protocol):
    """What every inbound check receives; see the module docstring for semantics."""

    async def query(self, name: str, rdtype: str) -> Answer: ...

    async def txt(self, name: str) -> list[str]: ...

    async def a(self, name: str) -> list[str]: ...

    async def aaaa(self, name: str) -> list[str]: ...

    async def mx(self, name: str) -> list[tuple[int, str]]: ...

    async def ptr(self, ip: str) -> list[str]: ...

    def budget(self, seconds: float) -> contextlib.AbstractContextManager[Budget]: ...


class _TypedLookups:
    """The convenience lookups, written once on top of `query`."""

    async def query(self, name: str, rdtype: str) -> Answer:  # pragma: no cover - overridden
        raise NotImplementedError

    async def txt(self, name: str) -> list[str]:
        return list((await self.query(name, "TXT")).records)

    async def a(self, name: str) -> list[str]:
        return list((await self.query(name, "A")).records)

    async def aaaa(self, name: str) -> list[str]:
        return list((await self.query(name, "AAAA")).records)

    async def mx(self, name: str) -> list[tuple[int, str]]:
        out = []
        for rec in (await self.query(name, "MX")).records:
            pref, _, host = rec.partition(" ")
            out.append((int(pref), host.strip().rstrip(".").lower()))
        return sorted(out)

    async def ptr(self, ip: str) -> list[str]:
        name = dns.reversename.from_address(ip).to_text(omit_final_dot=True)
        return [r.rstrip(".").lower() for r in (await self.query(name, "PTR")).records]

    def budget(self, seconds: float) -> contextlib.AbstractContextManager[Budget]:
        """`with resolver.budget(10): ...` — all queries inside share a deadline."""
        return _budget_scope(seconds)


@functools.lru_cache(maxsize=8192)
def normalise_name(name: str) -> str:
    """Lower-case absolute-less form; raise DnsNameError for unqueryable names."""
    text = name.strip().rstrip(".").lower()
    if not text:
        raise DnsNameError("empty name")
    try:
        dns.name.from_text(text)
    except (dns.exception.DNSException, UnicodeError) as exc:
        raise DnsNameError("%s: %s" % (name, exc)) from exc
    return text


class TtlCache:
    """A bounded LRU of answers that forgets each one when its TTL runs out.

    Why not dnspython's own cache: we want NXDOMAIN/NODATA cached the same way
    and one cache shared by every resolver object of the process (one per
    message is common), keyed by the server asked.
    """

    def __init__(self, max_entries: int = 10000, clock=time.monotonic) -> None:
        self.max_entries = max_entries
        self._clock = clock
        self._items: OrderedDict[tuple, tuple[float, Answer]] = OrderedDict()

    def get(self, key: tuple) -> Answer | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires, answer = item
        if expires <= self._clock():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return answer

    def put(self, key: tuple, answer: Answer, ttl: float) -> None:
        if ttl <= 0:
            return
        self._items[key] = (self._clock() + ttl, answer)
        self._items.move_to_end(key)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


SHARED_CACHE = TtlCache()
"""The process-wide cache every DnspythonResolver uses unless given another."""

NEGATIVE_TTL_CAP = 300
"""Upper bound (s) on caching NXDOMAIN/NODATA, whatever the SOA says."""


def _parse_nameserver(spec: str) -> tuple[str, int]:
    """'IP', 'IP:PORT', '[v6]:PORT' or bare v6 → (ip, port)."""
    spec = spec.strip()
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        port = int(rest.lstrip(":") or 53)
    elif spec.count(":") == 1:
        host, _, p = spec.partition(":")
        port = int(p)
    else:
        host, port = spec, 53
    ipaddress.ip_address(host)  # a name here would need the system resolver: refuse
    return host, port


def _rdata_text(rdata) -> str:
    if rdata.rdtype in (dns.rdatatype.TXT, dns.rdatatype.SPF):
        return b"".join(rdata.strings).decode("utf-8", "replace")
    if rdata.rdtype == dns.rdatatype.MX:
        return "%d %s" % (rdata.preference, rdata.exchange.to_text(omit_final_dot=True).lower())
    if rdata.rdtype in (dns.rdatatype.PTR, dns.rdatatype.CNAME, dns.rdatatype.NS):
        return rdata.target.to_text(omit_final_dot=True).lower()
    return rdata.to_text()


class DnspythonResolver(_TypedLookups):
    """Network resolver over dns.asyncresolver with cache and per-message budget."""

    def __init__(
        self,
        nameserver: str | None = None,
        timeout: float = 5.0,
        *,
        attempt_timeout: float = 2.0,
        cache: TtlCache | None = None,
    ) -> None:
        """`timeout`: the most one query may take (retries included);
        `attempt_timeout`: one UDP/TCP try. `nameserver` pins every query to one server."""
        self.timeout = timeout
        if nameserver:
            host, port = _parse_nameserver(nameserver)
            self._resolver = dns.asyncresolver.Resolver(configure=False)
            self._resolver.nameservers = [host]
            self._resolver.port = port
            self._server_key = "%s:%d" % (host, port)
        else:
            self._resolver = dns.asyncresolver.Resolver(configure=True)
            self._server_key = "system"
        self._resolver.timeout = attempt_timeout
        self._resolver.lifetime = timeout
        self._resolver.cache = None  # ours, below
        self._resolver.use_edns(0, 0, 1232)
        self._cache = SHARED_CACHE if cache is None else cache

    async def query(self, name: str, rdtype: str) -> Answer:
        qname = normalise_name(name)
        rdtype = rdtype.upper()
        key = (self._server_key, qname, rdtype)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        lifetime = self.timeout
        budget = _BUDGET.get()
        if budget is not None:
            left = budget.remaining()
            if left <= 0:
                raise DnsTempError("%s %s: DNS time budget for this message spent" % (qname, rdtype))
            lifetime = min(lifetime, left)
        try:
            ans = await self._resolver.resolve(
                qname, rdtype, raise_on_no_answer=False, lifetime=lifetime, search=False
            )
        except dns.resolver.NXDOMAIN as exc:
            answer = Answer((), nxdomain=True)
            self._cache.put(key, answer, self._negative_ttl(exc.response(exc.qnames()[0]) if exc.qnames() else None))
            return answer
        except (dns.resolver.LifetimeTimeout, dns.exception.Timeout) as exc:
            raise DnsTempError("%s %s: timeout" % (qname, rdtype)) from exc
        except dns.resolver.NoNameservers as exc:
            raise DnsTempError("%s %s: server failure" % (qname, rdtype)) from exc
        except (dns.name.LabelTooLong, dns.name.EmptyLabel, dns.name.NameTooLong) as exc:
            raise DnsNameError("%s: %s" % (qname, exc)) from exc
        except (dns.exception.DNSException, OSError) as exc:
            raise DnsTempError("%s %s: %s" % (qname, rdtype, exc)) from exc
        if ans.rrset is None:
            answer = Answer(())
            self._cache.put(key, answer, self._negative_ttl(ans.response))
            return answer
        answer = Answer(tuple(_rdata_text(r) for r in ans.rrset), ttl=ans.rrset.ttl)
        self._cache.put(key, answer, ans.rrset.ttl)
        return answer

    @staticmethod
    def _negative_ttl(response) -> float:
        """RFC 2308: the SOA's minimum (capped); no SOA, no caching."""
        if response is None:
            return 0
        for rrset in response.authority:
            if rrset.rdtype == dns.rdatatype.SOA:
                return min(rrset.ttl, rrset[0].minimum, NEGATIVE_TTL_CAP)
        return 0


class DictResolver(_TypedLookups):
    """In-memory zone for unit tests: `{name: [{TYPE: value}, "TIMEOUT", ...]}`.

    Same YAML shape as shared/tools/dnsfixture.py zones, so one fixture file can
    feed both. A name with descendants but no records answers NODATA, other
    unknown names NXDOMAIN; TIMEOUT and SERVFAIL markers raise DnsTempError.
    CNAMEs are followed.
    """

    def __init__(self, zone: Mapping[str, Sequence[object]] | None = None) -> None:
        self.records: dict[str, dict[str, list[str]]] = {}
        self.markers: dict[str, dict[str, set[str] | None]] = {}
        self.existing: set[str] = set()
        self.queries: list[tuple[str, str]] = []
        for name, entries in (zone or {}).items():
            if name == "ttl":
                continue
            self.add(name, entries)

    def add(self, name: str, entries: Sequence[object]) -> None:
        key = str(name).rstrip(".").lower()
        labels = key.split(".")
        for i in range(len(labels)):
            self.existing.add(".".join(labels[i:]))
        for entry in entries or []:
            if isinstance(entry, str):
                self.markers.setdefault(key, {})[entry.upper()] = None
                continue
            ((rtype, value),) = dict(entry).items()  # type: ignore[arg-type]
            rtype = str(rtype).upper()
            if rtype in ("TIMEOUT", "SERVFAIL"):
                types = value if isinstance(value, list) else [value]
                slot = self.markers.setdefault(key, {})
                if slot.get(rtype, set()) is not None:
                    slot.setdefault(rtype, set()).update(str(t).upper() for t in types)  # type: ignore[union-attr]
                continue
            if rtype in ("TXT", "SPF") and isinstance(value, list):
                value = "".join(str(v) for v in value)
            text = str(value)
            if rtype in ("MX",):
                pref, _, host = text.partition(" ")
                text = "%d %s" % (int(pref), host.strip().rstrip(".").lower())
            elif rtype in ("PTR", "CNAME", "NS"):
                text = text.rstrip(".").lower()
            self.records.setdefault(key, {}).setdefault(rtype, []).append(text)

    def _marker(self, name: str, rdtype: str) -> str | None:
        for marker, types in self.markers.get(name, {}).items():
            if types is None or rdtype in types:
                return marker
        return None

    async def query(self, name: str, rdtype: str) -> Answer:
        qname = normalise_name(name)
        rdtype = rdtype.upper()
        self.queries.append((qname, rdtype))
        budget = _BUDGET.get()
        if budget is not None and budget.remaining() <= 0:
            raise DnsTempError("%s %s: DNS time budget for this message spent" % (qname, rdtype))
        for _ in range(10):
            marker = self._marker(qname, rdtype)
            if marker is not None:
                raise DnsTempError("%s %s: %s" % (qname, rdtype, marker.lower()))
            by_type = self.records.get(qname, {})
            if rdtype in by_type:
                return Answer(tuple(by_type[rdtype]), ttl=300)
            if "CNAME" in by_type and rdtype != "CNAME":
                qname = by_type["CNAME"][0]
                continue
            return Answer((), nxdomain=qname not in self.existing and qname not in self.markers)
        raise DnsTempError("%s %s: CNAME loop" % (name, rdtype))
