"""Deterministic broken-message generator for the robustness tests (no randomness between runs).

Seeds are the example .eml files (shared/examples when it is beside the repo, and tests/fixtures);
each mutation kind is applied in turn with a seeded RNG, so a failure is reproducible by index.
"""
from __future__ import annotations

import base64
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("truncate", "flip", "boundary", "charset", "bigheader", "nest", "longline", "refs", "nul",
         "barecr", "badutf8hdr", "crlfsubject", "longheaderline", "manyheaders", "identity", "8bit")


def seed_messages(*dirs: Path) -> list[bytes]:
    out = []
    for d in dirs:
        if d.is_dir():
            out += [p.read_bytes() for p in sorted(d.glob("**/*.eml"))]
    return [crlf(m) for m in out]


def crlf(b: bytes) -> bytes:
    return b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def nested(depth: int) -> bytes:
    parts = [b"MIME-Version: 1.0\r\nFrom: a@example.com\r\nTo: x@example.com\r\nSubject: nest\r\n"]
    for d in range(depth):
        parts.append(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (d, d))
    parts.append(b"Content-Type: text/plain\r\n\r\nhi\r\n")
    parts += [b"--b%d--\r\n" % d for d in reversed(range(depth))]
    return b"".join(parts)


def mutate(kind: str, base: bytes, rnd: random.Random, i: int) -> bytes:
    if kind == "truncate":
        return base[: rnd.randrange(0, len(base) + 1)]
    if kind == "flip":
        ba = bytearray(base)
        for _ in range(rnd.randrange(1, 20)):
            if ba:
                ba[rnd.randrange(len(ba))] = rnd.randrange(256)
        return bytes(ba)
    if kind == "boundary":
        if b"boundary" not in base:
            return b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="zz"\r\n' + base + b"\r\n--zz\r\n--zz\r\n"
        return base.replace(b"boundary=", b"boundary=X" + bytes([rnd.randrange(33, 127)]), 1) + \
            b'\r\n--unterminated\r\nContent-Type: multipart/mixed; boundary=""\r\n\r\n--\r\n'
    if kind == "charset":
        return b'Content-Type: text/plain; charset="x-bogus-%d"\r\nSubject: =?x-nope?B?AAAA?=\r\n' % i + base
    if kind == "bigheader":  # one folded header of up to ~270 KB
        return b"X-Big: " + b"\r\n\t".join([b"a" * 900] * rnd.randrange(50, 300)) + b"\r\n" + base
    if kind == "nest":
        return nested(1000)
    if kind == "longline":  # a 10 MB single line
        return base + b"\r\n" + b"x" * (10 * 1024 * 1024) + b"\r\n"
    if kind == "refs":
        refs = [b"<ref%d.%d@example.com>" % (i, j) for j in range(5000)]
        sep = b"\r\n " if i % 2 else b" "
        return b"References: " + sep.join(refs) + b"\r\nIn-Reply-To: " + refs[-1] + b"\r\n" + base
    if kind == "nul":
        ba = bytearray(base)
        for _ in range(5):
            ba.insert(rnd.randrange(len(ba) + 1), 0)
        return bytes(ba)
    if kind == "barecr":
        return base.replace(b"\r\n", b"\r", rnd.randrange(1, 5))
    if kind == "badutf8hdr":
        return b"Subject: \xff\xfe\xc3(\xed\xa0\x80 bad\r\nFrom: \xe9t\xe9 <a@example.com>\r\n" + base
    if kind == "crlfsubject":
        evil = base64.b64encode(b"hi\r\n250 2.0.0 OK injected\r\n550 5.0.0 bad\x00\x1b[1m")
        return b"Subject: =?utf-8?B?" + evil + b"?=\r\nFrom: =?utf-8?B?" + evil + b"?= <a@example.com>\r\n" + base
    if kind == "longheaderline":
        return b"X-Long: " + b"y" * rnd.randrange(999, 5000) + b"\r\n" + base
    if kind == "manyheaders":
        return b"".join(b"X-H%d: v\r\n" % j for j in range(rnd.randrange(1000, 20000))) + base
    if kind == "8bit":
        return base.replace(b"Subject:", b"Subject: \xe3\x81\x82", 1)
    return base  # identity


def mutations(bases: list[bytes], n: int, seed: int = 1234, *, skip: tuple[str, ...] = ()) -> list[tuple[int, str, bytes]]:
    """n (index, kind, message) triples; heavy kinds (nest, longline) appear every 16th message."""
    rnd = random.Random(seed)
    kinds = [k for k in KINDS if k not in skip]
    return [(i, kinds[i % len(kinds)], mutate(kinds[i % len(kinds)], rnd.choice(bases), rnd, i)) for i in range(n)]


def dot_stuff(m: bytes) -> bytes:
    q = m.replace(b"\r\n.", b"\r\n..")
    if q.startswith(b"."):
        q = b"." + q
    if not q.endswith(b"\r\n"):
        q += b"\r\n"
    return q + b".\r\n"
