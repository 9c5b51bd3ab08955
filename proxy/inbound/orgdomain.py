"""Organizational domain (RFC 7489 §3.2) from the Public Suffix List.

Why the PSL and not "the last two labels": Japanese mail is full of
`example.co.jp`, `example.ne.jp`, `city.kobe.jp`, where the registrable domain
has three labels — and `.co.jp` and `.jp` themselves are public suffixes. The
`publicsuffixlist` package ships a current list; one instance per process.
"""
from __future__ import annotations

import functools

from publicsuffixlist import PublicSuffixList

__all__ = ["organizational_domain", "public_suffix"]

_PSL = PublicSuffixList()


def _clean(domain: str) -> str | None:
    d = domain.strip().lower()
    if d.endswith("."):
        d = d[:-1]
    if not d or d.startswith(".") or ".." in d:
        return None
    return d


@functools.lru_cache(maxsize=4096)
def organizational_domain(domain: str) -> str | None:
    """`a.b.example.co.jp` → `example.co.jp`; None for a public suffix itself or a malformed name."""
    d = _clean(domain)
    return None if d is None else _PSL.privatesuffix(d)


@functools.lru_cache(maxsize=4096)
def public_suffix(domain: str) -> str | None:
    """`a.example.co.jp` → `co.jp` (RFC 9091 looks for a PSD policy there)."""
    d = _clean(domain)
    return None if d is None else _PSL.publicsuffix(d)
