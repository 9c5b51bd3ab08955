"""`replyguard annotate` (a real subprocess) never loses a message and never hangs.

Deterministic broken mails (see robust_mutate.py) are piped through the filter: each run
ends with exit 0 and our headers added, or exit 75 (EX_TEMPFAIL) with the message byte-for-
byte unchanged on stdout — never another exit code, never a traceback, bounded time. A DNS
server that never answers must cost at most the DNS budget and give temperror, not a hang.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from robust_mutate import ROOT, mutations, nested, seed_messages  # noqa: E402

SEEDS = seed_messages(ROOT.parent / "shared" / "examples" / "inbound", ROOT / "tests" / "fixtures")
OURS = (b"Authentication-Results:", b"X-Sender-Anonymity:", b"X-Sender-Class:", b"X-Support-Category:")


def _annotate(msg: bytes, state: Path, nameserver: str, *extra: str, timeout: float = 60) -> tuple[int, bytes, str, float]:
    t0 = time.monotonic()
    p = subprocess.run(
        [sys.executable, "-m", "proxy", "annotate", "--state-dir", str(state), "--nameserver", nameserver,
         "--client-ip", "192.0.2.10", "--helo", "mx.example.net", "--mail-from", "someone@example.net", *extra],
        input=msg, capture_output=True, timeout=timeout, cwd=ROOT)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace"), time.monotonic() - t0


def _closed_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _check(i: int, kind: str, msg: bytes, rc: int, out: bytes, err: str, elapsed: float) -> None:
    where = f"#{i} {kind}: rc={rc} {err[-300:]!r}"
    assert "Traceback" not in err, where
    assert elapsed < 30, f"{where} took {elapsed:.1f}s"
    if rc == 0:
        head = out.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        assert all(h in head for h in OURS), where
        assert len(out) >= len(msg) * 0.99, f"{where}: output shorter than input"
    else:
        assert rc == 75, where
        assert out == msg, f"{where}: exit 75 but the message on stdout was changed"
        assert err.strip(), where


def test_fuzz_annotate_never_loses_a_message(tmp_path: Path) -> None:
    assert SEEDS
    ns = f"127.0.0.1:{_closed_udp_port()}"  # nothing listens: every query fails fast
    cases = mutations(SEEDS, 24, seed=4242, skip=("longline",))  # the 10 MB line: below, alone

    def run(case: tuple[int, str, bytes]) -> None:
        i, kind, msg = case
        _check(i, kind, msg, *_annotate(msg, tmp_path / f"state{i % 4}", ns))

    with ThreadPoolExecutor(8) as ex:
        list(ex.map(run, cases))


def test_dns_that_never_answers_costs_at_most_the_budget(tmp_path: Path) -> None:
    blackhole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never answers
    blackhole.bind(("127.0.0.1", 0))
    try:
        (tmp_path / "gw.yaml").write_text("inbound:\n  dns_budget: 1.5s\n")
        msg = (b"From: Customer <c@example.net>\r\nTo: support@example.com\r\nSubject: help\r\n"
               b"DKIM-Signature: v=1; a=rsa-sha256; d=example.net; s=s1; h=from; bh=AAAA; b=AAAA\r\n"
               b"Message-ID: <dns@example.net>\r\n\r\nPlease help.\r\n")
        rc, out, err, elapsed = _annotate(msg, tmp_path / "state", f"127.0.0.1:{blackhole.getsockname()[1]}",
                                          "--config", str(tmp_path / "gw.yaml"))
        assert rc == 0, err
        assert elapsed < 1.5 + 4, elapsed  # budget plus interpreter start-up
        ar = out.split(b"Authentication-Results:", 1)[1].split(b"\r\n")[0]
        assert b"temperror" in ar, ar
    finally:
        blackhole.close()


def test_forged_authentication_headers_are_stripped(tmp_path: Path) -> None:
    rc, out, _, _ = _annotate(b"Subject: x\r\n", tmp_path / "probe", "127.0.0.1:9")
    assert rc == 0
    ours = out.split(b"Authentication-Results:", 1)[1].split(b";", 1)[0].strip()  # our authserv-id
    forged = (b"Authentication-Results: " + ours + b"; dkim=pass header.d=bank.example; spf=pass\r\n"
              b"X-Sender-Anonymity: identified; reasons=forged\r\nX-Sender-Class: government\r\n"
              b"X-Support-Category: other; score=0\r\n"
              b"From: c@example.net\r\nTo: s@example.com\r\nSubject: hi\r\n\r\nbody\r\n")
    rc, out, err, _ = _annotate(forged, tmp_path / "state", "127.0.0.1:9")
    assert rc == 0, err
    head = out.split(b"\r\n\r\n", 1)[0]
    assert b"bank.example" not in head and b"reasons=forged" not in head and b"government" not in head
    for h in OURS:
        assert head.count(h) == 1, head


def test_deep_nesting_and_nul_bytes_keep_the_message(tmp_path: Path) -> None:
    for i, msg in enumerate((nested(1000), b"From: a@example.net\r\nSubject: \x00nul\r\n\r\n\x00\x00body\r\n",
                             b"From: a@example.net\r\nSubject: long\r\n\r\n" + b"x" * (10 << 20) + b"\r\n")):
        _check(i, "direct", msg, *_annotate(msg, tmp_path / "state", "127.0.0.1:9"))
