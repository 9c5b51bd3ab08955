"""The PSL vectors (shared/suites/psl/test_psl.txt) against organizational_domain()."""
from __future__ import annotations

import re

import pytest

from dnsfixture_proc import SUITES
from proxy.inbound.orgdomain import organizational_domain, public_suffix

LINE = re.compile(r"^checkPublicSuffix\((null|'[^']*'), (null|'[^']*')\);")


def _vectors():
    out = []
    for line in (SUITES / "psl" / "test_psl.txt").read_text(encoding="utf-8").splitlines():
        m = LINE.match(line)
        if m and m.group(1) != "null":
            expected = None if m.group(2) == "null" else m.group(2).strip("'")
            out.append((m.group(1).strip("'"), expected))
    return out


VECTORS = _vectors()


def test_vector_count():
    assert len(VECTORS) == 77


@pytest.mark.parametrize("domain,expected", VECTORS, ids=[v[0] for v in VECTORS])
def test_psl(domain, expected):
    assert organizational_domain(domain) == expected


def test_japanese_suffixes():
    assert organizational_domain("mail.example.co.jp") == "example.co.jp"
    assert organizational_domain("co.jp") is None
    assert organizational_domain("example.jp") == "example.jp"
    assert public_suffix("www.example.co.jp") == "co.jp"
