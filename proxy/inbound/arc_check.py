"""ARC (RFC 8617) chain validation: did the chain of intermediaries arrive intact?

The agent sees `arc=pass` when a forwarder (mailing list, forwarding service)
vouched for the message's earlier authentication and every ARC set since
verifies; `fail` when a set is broken or missing; `none` without ARC headers.

dkimpy's `ARC.verify()` implements §5.2 (instance numbering, AMS of the newest
set, every AS, cv= of the first set none and of later sets pass). As for DKIM,
we fetch every ARC key asynchronously through our Resolver first and give
dkimpy a dict-backed dnsfunc; a key query that timed out makes the chain
`temperror`, never `fail`.
"""
from __future__ import annotations

from dataclasses import dataclass

import dkim

from proxy.inbound.dkim_check import _TempFailure, _key_name, dnsfunc_from, prefetch_keys, signature_tags
from proxy.inbound.dns import Resolver

__all__ = ["ArcResult", "check_arc"]


@dataclass(frozen=True)
class ArcResult:
    """`result` for the A-R header; `cv` is what dkimpy's verifier returned ("" = chain already ended)."""

    result: str  # pass | fail | none | temperror
    cv: str = "none"
    instances: int = 0
    reason: str = ""
    oldest_pass: int = 0

    @property
    def properties(self) -> dict[str, str]:
        return {}


_SEAL_HEADERS = (b"arc-seal", b"arc-message-signature")


def _header_block(raw: bytes) -> bytes:
    for sep in (b"\r\n\r\n", b"\n\n"):
        i = raw.find(sep)
        if i >= 0:
            return raw[:i]
    return raw


async def check_arc(raw: bytes, resolver: Resolver) -> ArcResult:
    """Validate the ARC chain of `raw`; `none` fast when there is no ARC header at all."""
    if b"arc-" not in _header_block(raw).lower():
        return ArcResult("none", "none", reason="no ARC headers")
    try:
        arc = dkim.ARC(raw)
        max_instance, _ = arc.sorted_arc_headers()
    except dkim.DKIMException as exc:
        return ArcResult("fail", "fail", reason="ARC headers unreadable: %s" % exc)
    if max_instance == 0:
        return ArcResult("none", "none", reason="no ARC headers")
    names = []
    for name, value in arc.headers:
        if name.lower() in _SEAL_HEADERS:
            tags = signature_tags(value)
            key = _key_name(tags) if tags else None
            if key:
                names.append(key)
    keys = await prefetch_keys(names, resolver)
    try:
        cv, _data, reason = arc.verify(dnsfunc=dnsfunc_from(keys))
    except _TempFailure as exc:
        return ArcResult("temperror", "", max_instance, "key lookup: %s" % exc)
    except dkim.DKIMException as exc:
        return ArcResult("fail", "fail", max_instance, str(exc))
    if cv is None:
        return ArcResult("fail", "", max_instance, reason)
    text = cv.decode("ascii") if isinstance(cv, bytes) else str(cv)
    text = text.lower()
    return ArcResult(text if text in ("pass", "fail", "none") else "fail", text, max_instance, reason)
