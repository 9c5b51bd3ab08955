"""DKIM (RFC 6376): verify every signature of a message, and say why each failed.

dkimpy does the cryptography and canonicalisation, but its `verify()` returns a
bare bool and asks DNS synchronously. So we run its steps one by one — parse
and validate the signature header, fetch the key through *our* async
Resolver, parse the key, check body hash and signature — and name the cause at
the step where it went wrong:

* no DKIM-Signature at all → `none`
* signature header malformed or invalid (bad d=, missing tags, expired) → `permerror`
  (no DNS query is made for a signature that does not validate)
* key query timed out / SERVFAIL → `temperror`
* key absent (NXDOMAIN, NODATA), revoked or unparsable → `permerror`
* rsa-sha1 (RFC 8301 §3.1: never valid) or a hash the key's h= excludes
  (RFC 6376 §6.1.2 step 7) → `permerror`
* body hash or signature mismatch → `fail`
* signatures beyond the first MAX_SIGNATURES → `neutral` (not checked)

`prefetch_keys()` is also used by the ARC check: fetch asynchronously, then
hand dkimpy a dict-backed `dnsfunc`.
"""
from __future__ import annotations

import asyncio
import binascii
import functools
from dataclasses import dataclass
from typing import Callable, Iterable

import dkim
from dkim.util import InvalidTagValueList, parse_tag_value

from proxy.inbound.dns import DnsError, DnsTempError, Resolver

__all__ = ["DkimResult", "KeyLookup", "check_dkim", "prefetch_keys", "dnsfunc_from", "signature_tags"]

MIN_KEY_BITS = 1024  # RFC 8301 §3.2: shorter RSA keys MUST NOT be considered valid
MAX_SIGNATURES = 10  # RFC 6376 §6.1: verifiers MAY limit how many signatures they try (each costs DNS + CPU)
MAX_KEY_BITS = 8192  # RFC 8301 asks verifiers for up to 4096; far larger keys only cost CPU (DoS)


@dataclass(frozen=True)
class DkimResult:
    """One signature's verdict; `reason` says which step decided it."""

    result: str  # pass | fail | neutral | none | temperror | permerror
    domain: str = ""  # d=
    selector: str = ""  # s=
    reason: str = ""
    algorithm: str = ""  # a=
    identity: str = ""  # i=
    b: str = ""  # start of b=, tells two signatures of one domain apart (RFC 6008)

    @property
    def properties(self) -> dict[str, str]:
        """RFC 8601 properties for the A-R header."""
        props: dict[str, str] = {}
        if self.domain:
            props["header.d"] = self.domain
        if self.selector:
            props["header.s"] = self.selector
        if self.identity:
            props["header.i"] = self.identity
        if self.b:
            props["header.b"] = self.b
        return props


@dataclass(frozen=True)
class KeyLookup:
    """Outcome of one `<s>._domainkey.<d>` TXT query, fetched ahead of dkimpy."""

    records: tuple[str, ...] = ()
    temp_error: str | None = None


def signature_tags(value: bytes) -> dict[bytes, bytes] | None:
    """Parse a DKIM-Signature / ARC header value into tags, None if malformed."""
    try:
        return parse_tag_value(value)
    except (InvalidTagValueList, ValueError, IndexError):
        return None


def _key_name(sig: dict[bytes, bytes]) -> str | None:
    try:
        return (sig[b"s"] + b"._domainkey." + sig[b"d"]).decode("ascii").lower()
    except (KeyError, UnicodeDecodeError):
        return None


async def prefetch_keys(names: Iterable[str], resolver: Resolver) -> dict[str, KeyLookup]:
    """Fetch every key TXT concurrently; DNS errors are recorded, not raised."""

    async def one(name: str) -> tuple[str, KeyLookup]:
        try:
            return name, KeyLookup(tuple(await resolver.txt(name)))
        except DnsTempError as exc:
            return name, KeyLookup(temp_error=str(exc) or "DNS temporary failure")
        except DnsError:  # an unqueryable name: as good as absent
            return name, KeyLookup()

    unique = sorted({n.rstrip(".").lower() for n in names})
    return dict(await asyncio.gather(*(one(n) for n in unique)))


class _TempFailure(Exception):
    """Raised inside dkimpy's synchronous dnsfunc when the prefetch timed out."""


def dnsfunc_from(keys: dict[str, KeyLookup]) -> Callable[..., bytes | None]:
    """A dkimpy dnsfunc answering from prefetched lookups.

    dkimpy asks `name.` and takes one string; with several TXT records at the
    key name we hand it the first that looks like a key (RFC 6376 §3.6.2.2
    leaves the choice to the verifier).
    """

    def dnsfunc(name: bytes | str, timeout: float = 5) -> bytes | None:
        key = (name.decode("ascii", "replace") if isinstance(name, bytes) else name).rstrip(".").lower()
        found = keys.get(key)
        if found is None:
            return None
        if found.temp_error is not None:
            raise _TempFailure(found.temp_error)
        for rec in found.records:
            if "p=" in rec:
                return rec.encode("utf-8", "replace")
        return found.records[0].encode("utf-8", "replace") if found.records else None

    return dnsfunc


def _tag(sig: dict[bytes, bytes], name: bytes) -> str:
    return sig.get(name, b"").decode("ascii", "replace")


@functools.lru_cache(maxsize=1024)
def _parse_key(name: bytes, txt: bytes) -> tuple:
    """dkimpy's key parsing, remembered: ASN.1-decoding the same key for every message is waste."""
    return dkim.evaluate_pk(name, txt)


def _key_hashes(txt: bytes) -> set[str] | None:
    """The key record's h= list (RFC 6376 §3.6.1), None when absent (any hash allowed)."""
    tags = signature_tags(txt)
    if not tags or b"h" not in tags:
        return None
    return {h.strip().decode("ascii", "replace").lower() for h in tags[b"h"].split(b":")}


def _verify_one(d: dkim.DKIM, idx: int, keys: dict[str, KeyLookup]) -> DkimResult:
    """Verify signature `idx` of the parsed message `d` (one parse serves every signature)."""
    try:
        prep = d.verify_headerprep(idx)
    except dkim.DKIMException as exc:
        sig = getattr(d, "signature_fields", None) or {}
        return DkimResult(
            "permerror", _tag(sig, b"d"), _tag(sig, b"s"), "invalid signature: %s" % exc, _tag(sig, b"a")
        )
    assert prep
    sig, include_headers, sigheaders = prep
    base = dict(
        domain=_tag(sig, b"d").lower(),
        selector=_tag(sig, b"s"),
        algorithm=_tag(sig, b"a"),
        identity=_tag(sig, b"i"),
        b=_tag(sig, b"b").replace(" ", "").replace("\t", "").replace("\r", "").replace("\n", "")[:8],
    )
    name = _key_name(sig) or ""
    found = keys.get(name, KeyLookup())
    if found.temp_error is not None:
        return DkimResult("temperror", reason="key %s: %s" % (name, found.temp_error), **base)
    txt = dnsfunc_from(keys)(name)
    if not txt:
        return DkimResult("permerror", reason="no key at %s" % name, **base)
    try:
        d.pk, d.keysize, d.ktag, d.seqtlsrpt = _parse_key(name.encode(), txt)
    except (dkim.KeyFormatError, binascii.Error, ValueError) as exc:
        return DkimResult("permerror", reason="bad key record at %s: %s" % (name, exc), **base)
    if d.pk is None:
        return DkimResult("permerror", reason="key at %s is not for e-mail" % name, **base)
    algorithm = base["algorithm"].lower()
    if algorithm == "rsa-sha1":
        return DkimResult("permerror", reason="rsa-sha1 is not accepted (RFC 8301)", **base)
    key_hashes = _key_hashes(txt)
    if key_hashes is not None and algorithm.rpartition("-")[2] not in key_hashes:
        return DkimResult("permerror", reason="inappropriate hash algorithm for key h=", **base)
    if d.ktag == b"rsa" and d.keysize > MAX_KEY_BITS:
        return DkimResult("permerror", reason="key at %s too large: %d bits" % (name, d.keysize), **base)
    try:
        ok = d.verify_sig_process(sig, include_headers, sigheaders[idx], dnsfunc_from(keys))
    except dkim.ValidationError as exc:
        text = str(exc)
        if text.startswith("body hash mismatch"):
            return DkimResult("fail", reason="body hash mismatch", **base)
        return DkimResult("permerror", reason=text, **base)
    except dkim.KeyFormatError as exc:
        return DkimResult("permerror", reason=str(exc), **base)
    except dkim.DKIMException as exc:
        return DkimResult("permerror", reason=str(exc), **base)
    if ok:
        return DkimResult("pass", reason="good signature", **base)
    return DkimResult("fail", reason="signature did not verify", **base)


async def check_dkim(raw: bytes, resolver: Resolver) -> list[DkimResult]:
    """Verify every DKIM-Signature, top first; `[DkimResult("none")]` when unsigned."""
    try:
        d = dkim.DKIM(raw, minkey=MIN_KEY_BITS)
    except dkim.DKIMException as exc:  # unparsable header block
        return [DkimResult("permerror", reason="message format: %s" % exc)]
    sigs = [signature_tags(v) for k, v in d.headers if k.lower() == b"dkim-signature"]
    if not sigs:
        return [DkimResult("none", reason="no DKIM-Signature")]
    checked = sigs[:MAX_SIGNATURES]
    names = []
    for sig in checked:
        if sig is None:
            continue
        try:
            dkim.validate_signature_fields(dict(sig))
        except dkim.DKIMException:
            continue  # an invalid signature never causes a DNS query
        name = _key_name(sig)
        if name:
            names.append(name)
    keys = await prefetch_keys(names, resolver)
    results = [_verify_one(d, i, keys) for i in range(len(checked))]
    for sig in sigs[MAX_SIGNATURES:]:
        results.append(
            DkimResult(
                "neutral",
                _tag(sig or {}, b"d").lower(),
                _tag(sig or {}, b"s"),
                "not checked: more than %d signatures" % MAX_SIGNATURES,
            )
        )
    return results
