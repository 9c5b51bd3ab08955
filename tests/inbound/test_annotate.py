"""The annotate pipeline and `replyguard annotate`: byte-exact header editing, DNS trouble,
the never-lose-a-message rule and the store.

Header-editing tests run in-process (they test bytes, not sockets). The end-to-end tests
run the real command against a real DNS server (shared/tools/dnsfixture.py) serving zones
written here, including a name that never answers and one that answers SERVFAIL.
"""
from __future__ import annotations

import asyncio
import base64
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from dnsfixture_proc import dns_server
from proxy.inbound.annotate import (
    HeaderBlock,
    annotate_message,
    authserv_id_of,
    default_authserv_id,
    fold,
    strip_forged,
)
from proxy.inbound.dns import DictResolver

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "annotate"
OUR_ID = "replyguard.test.invalid"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def header_fields(raw: bytes) -> list[tuple[str, str]]:
    block = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    out: list[tuple[str, str]] = []
    for line in re.split(rb"\r?\n", block):
        text = line.decode("utf-8", "replace")
        if text[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + " " + text.strip())
        elif ":" in text:
            name, value = text.split(":", 1)
            out.append((name.strip().lower(), value.strip()))
    return out


def body(raw: bytes) -> bytes:
    return re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[1]


# ----------------------------------------------------------------------------- bytes


@pytest.mark.parametrize("name", ["corporate.eml", "slow-domain.eml", "forged-lf.mbox"])
def test_header_block_round_trip_is_exact(name):
    raw = fixture(name)
    block = HeaderBlock.split(raw)
    assert block.join([]) == raw


def test_header_block_keeps_mbox_line_and_line_ends():
    raw = fixture("forged-lf.mbox")
    block = HeaderBlock.split(raw)
    assert block.prefix.startswith(b"From someone@corp.test ")
    assert block.newline == b"\n"
    assert HeaderBlock.split(fixture("corporate.eml")).newline == b"\r\n"


def test_header_only_message_gets_a_line_end():
    block = HeaderBlock.split(b"Subject: x\r\nFrom: a@b.test")
    assert block.join([b"X-A: 1\r\n"]) == b"X-A: 1\r\nSubject: x\r\nFrom: a@b.test\r\n"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("replyguard.test.invalid; dkim=pass", "replyguard.test.invalid"),
        ("REPLYGUARD.TEST.INVALID; spf=fail", "replyguard.test.invalid"),
        ("(downgrade) replyguard.test.invalid; spf=fail", "replyguard.test.invalid"),
        ("replyguard.test.invalid 1; none", "replyguard.test.invalid"),
        ('"replyguard.test.invalid"; none', "replyguard.test.invalid"),
        ("mx.shop.example; spf=pass", "mx.shop.example"),
    ],
)
def test_authserv_id_of(value, expected):
    assert authserv_id_of(value) == expected


def test_strip_forged_removes_only_ours():
    block, removed = strip_forged(HeaderBlock.split(fixture("forged-lf.mbox")), OUR_ID)
    names = [n for n, _ in block.values()]
    assert removed == 5  # two A-R claiming our id (any case, with a comment), three X- headers
    assert names.count("authentication-results") == 1  # mx.shop.example's own stays
    assert "arc-authentication-results" in names  # part of an ARC set: never ours to remove
    assert not {"x-sender-anonymity", "x-sender-class", "x-support-category"} & set(names)


def test_fold_is_ascii_short_and_unfolds_to_the_value():
    value = "; ".join("method%d=pass header.d=very-long-domain-name-%d.example.co.jp" % (i, i) for i in range(6))
    out = fold("Authentication-Results", "id; " + value, b"\r\n")
    lines = out.split(b"\r\n")[:-1]
    assert all(len(line) <= 78 for line in lines)
    assert all(line[:1] == b"\t" for line in lines[1:])
    unfolded = b" ".join(line.strip() for line in lines).decode("ascii")
    assert unfolded == "Authentication-Results: id; " + value
    assert fold("X-Test", "caf\u00e9", b"\n") == b"X-Test: caf?\n"


def test_default_authserv_id_is_stable():
    assert default_authserv_id() == default_authserv_id()
    assert re.fullmatch(r"replyguard\.[a-z0-9.-]+", default_authserv_id())


ZONE = {
    "corp.test": [{"MX": "10 mx.corp.test."}, {"TXT": "v=spf1 ip4:192.0.2.16/28 -all"}],
    "mx.corp.test": [{"A": "192.0.2.17"}],
    "_dmarc.corp.test": [{"TXT": "v=DMARC1; p=reject"}],
    "slow.test": ["TIMEOUT"],
    "_dmarc.slow.test": ["TIMEOUT"],
    "broken.test": ["SERVFAIL"],
    "_dmarc.broken.test": ["SERVFAIL"],
}


def test_pipeline_prepends_four_headers_and_keeps_every_other_byte():
    raw = fixture("forged-lf.mbox")
    result = asyncio.run(
        annotate_message(raw, client_ip="192.0.2.17", helo="mx.corp.test", mail_from="hanako@corp.test",
                         resolver=DictResolver(ZONE), authserv_id=OUR_ID)
    )
    out = result.output
    block = HeaderBlock.split(raw)
    kept, _ = strip_forged(block, OUR_ID)
    # everything but our four new fields is the input minus the forged ones, byte for byte
    assert out.startswith(block.prefix)
    assert out.endswith(b"".join(kept.fields) + block.rest)
    added = out[len(block.prefix) : len(out) - len(b"".join(kept.fields) + block.rest)]
    names = [line.split(b":")[0] for line in added.split(b"\n") if line and line[:1] not in (b" ", b"\t")]
    assert names == [b"Authentication-Results", b"X-Sender-Anonymity", b"X-Sender-Class", b"X-Support-Category"]
    assert b"\r" not in added  # the message's own (LF) line ends
    assert added.isascii()
    fields = header_fields(out.split(b"\n", 1)[1])
    assert [v for n, v in fields if n == "authentication-results" and authserv_id_of(v) == OUR_ID][0].startswith(
        OUR_ID + ";"
    )
    assert "X-Raw-8bit: 生のヘッダ".encode() in out
    assert result.stripped == 5
    assert result.sender.verdict == "identified"  # SPF pass aligned, DMARC pass
    assert re.search(r"^(complaint|question|other); score=[01]\.\d\d$", dict(fields)["x-support-category"])


# ----------------------------------------------------------------------------- the command


def rsa_key() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    pub = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, base64.b64encode(pub).decode("ascii")


@pytest.fixture(scope="module")
def signed():
    """corporate.eml signed for corp.test (selector s1) and the zone that verifies it."""
    pem, pub = rsa_key()
    raw = fixture("corporate.eml")
    sig = dkim.sign(raw, b"s1", b"corp.test", pem,
                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    zone = dict(ZONE)
    zone["s1._domainkey.corp.test"] = [{"TXT": "v=DKIM1; k=rsa; p=" + pub}]
    zone["s9._domainkey.corp.test"] = ["TIMEOUT"]
    return sig + raw, zone, pem


@pytest.fixture(scope="module")
def dns(signed):
    with dns_server(signed[1]) as ns:
        yield ns


def replyguard(args, stdin: bytes, state_dir: Path, timeout: float = 60):
    cmd = [sys.executable, "-m", "proxy", "annotate", "--state-dir", str(state_dir), "--authserv-id", OUR_ID, *args]
    start = time.monotonic()
    proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout, cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))))
    return proc, time.monotonic() - start


def added_headers(out: bytes) -> dict[str, str]:
    return {n: v for n, v in header_fields(out) if n in (
        "authentication-results", "x-sender-anonymity", "x-sender-class", "x-support-category")}


def test_signed_corporate_mail_is_identified_and_remembered(signed, dns, tmp_path):
    raw = signed[0]
    proc, _ = replyguard(["--client-ip", "192.0.2.17", "--helo", "mx.corp.test",
                          "--mail-from", "taro.yamada@corp.test", "--nameserver", dns], raw, tmp_path)
    assert proc.returncode == 0, proc.stderr
    h = added_headers(proc.stdout)
    assert re.search(r"\bdkim=pass\b", h["authentication-results"])
    assert re.search(r"\bspf=pass\b", h["authentication-results"])
    assert re.search(r"\bdmarc=pass\b", h["authentication-results"])
    assert h["x-sender-anonymity"].startswith("identified;")
    assert h["x-sender-class"] == "corporate"
    assert body(proc.stdout) == body(raw)

    from proxy.store import SQLiteStore

    store = SQLiteStore(tmp_path / "replyguard.db")
    try:
        assert store.find_original(["corporate-1@corp.test"]) == proc.stdout
    finally:
        store.close()


@pytest.mark.parametrize(
    "message, mail_from, client_ip",
    [
        ("slow-domain.eml", "someone@slow.test", "198.51.100.5"),       # every query for the domain times out
        ("servfail-domain.eml", "someone@broken.test", "198.51.100.6"),  # every query answers SERVFAIL
    ],
)
def test_dns_trouble_is_temperror_fast_and_never_a_claim(message, mail_from, client_ip, dns, tmp_path):
    raw = fixture(message)
    proc, elapsed = replyguard(["--client-ip", client_ip, "--helo", "mx.example.net", "--mail-from", mail_from,
                                "--nameserver", dns, "--dns-budget", "3"], raw, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert elapsed < 12, elapsed  # budget 3 s + grace 1 s + interpreter start on a busy machine
    h = added_headers(proc.stdout)
    assert re.search(r"\bspf=temperror\b", h["authentication-results"]), h
    assert re.search(r"\bdmarc=temperror\b", h["authentication-results"]), h
    verdict, reasons = h["x-sender-anonymity"].split("; reasons=")
    assert verdict != "anonymous"  # nothing proven: no no-mx, no forgery
    assert "no-mx" not in reasons.split(",") and "dns-temperror" in reasons.split(",")
    assert h["x-sender-class"] == "unknown"
    assert body(proc.stdout) == body(raw)


def test_dkim_key_timeout_is_temperror(signed, dns, tmp_path):
    raw = signed[0].replace(b"s=s1;", b"s=s9;", 1)
    assert raw != signed[0]
    proc, elapsed = replyguard(["--client-ip", "192.0.2.17", "--helo", "mx.corp.test",
                                "--mail-from", "taro.yamada@corp.test", "--nameserver", dns, "--dns-budget", "3"],
                               raw, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert elapsed < 12
    assert re.search(r"\bdkim=temperror\b", added_headers(proc.stdout)["authentication-results"])


@pytest.mark.parametrize(
    "args",
    [
        ["--nameserver", "not-an-address"],           # the resolver cannot even be built
        ["--config", "/nonexistent/replyguard.yaml"],  # unreadable config
    ],
)
def test_internal_error_passes_the_message_through_unchanged(args, tmp_path):
    raw = fixture("forged-lf.mbox")
    proc, _ = replyguard(args, raw, tmp_path)
    assert proc.returncode == 75
    assert proc.stdout == raw
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "unchanged" in lines[0]


class HangingResolver(DictResolver):
    """A resolver that ignores the budget and never answers: only the hard deadline helps."""

    async def query(self, name, rdtype):
        await asyncio.sleep(3600)


def test_hard_deadline_when_dns_ignores_the_budget():
    raw = fixture("slow-domain.eml")
    start = time.monotonic()
    result = asyncio.run(
        annotate_message(raw, client_ip="198.51.100.5", helo="mx.example.net", mail_from="someone@slow.test",
                         resolver=HangingResolver({}), authserv_id=OUR_ID, budget_s=0.3)
    )
    assert time.monotonic() - start < 3
    assert "dkim=temperror" in result.authentication_results
    assert result.sender.verdict == "pseudonymous" and "dns-temperror" in result.sender.reasons
    assert body(result.output) == body(raw)


def test_settings_flags_override_the_config_file(tmp_path):
    import argparse

    from proxy.commands.annotate import inbound_settings

    cfg = tmp_path / "gw.yaml"
    cfg.write_text(
        "inbound:\n  authserv_id: mx1.example.jp\n  nameserver: 192.0.2.53\n  dns_budget: 6s\n"
        "  next_hop: {host: 127.0.0.1, port: 10026, tls: none, auth: none}\n  next_hop_protocol: lmtp\n",
        encoding="utf-8",
    )

    def args(**kw):
        base = dict(config=str(cfg), state_dir="var", nameserver=None, authserv_id=None, dns_budget=None,
                    listen=None, lmtp=False, next_hop=None, next_hop_lmtp=False)
        base.update(kw)
        return argparse.Namespace(**base)

    s = inbound_settings(args())
    assert (s.authserv_id, s.nameserver, s.dns_budget) == ("mx1.example.jp", "192.0.2.53", 6.0)
    assert (s.next_hop.host, s.next_hop.port, s.next_hop_lmtp) == ("127.0.0.1", 10026, True)
    s = inbound_settings(args(authserv_id="x.test", nameserver="127.0.0.1:5353", dns_budget=2.0,
                              next_hop="unix:/run/dovecot/lmtp"))
    assert (s.authserv_id, s.nameserver, s.dns_budget, s.next_hop.host) == (
        "x.test", "127.0.0.1:5353", 2.0, "unix:/run/dovecot/lmtp")
    with pytest.raises(ValueError):
        inbound_settings(args(dns_budget=0.0))


def test_huge_mail_is_annotated_in_seconds():
    line = "大変困っています。注文した商品がまだ届きません。返金してください。\n"
    raw = ("From: a@b.test\nSubject: big\nMessage-ID: <big@b.test>\nMIME-Version: 1.0\n"
           "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + line * 40000).encode()
    start = time.monotonic()
    result = asyncio.run(annotate_message(raw, client_ip="192.0.2.1", helo="x.test", mail_from="a@b.test",
                                          resolver=DictResolver({}), authserv_id=OUR_ID))
    assert time.monotonic() - start < 10
    assert result.output.endswith(line.encode() * 100)
    assert result.category == "complaint"


def test_broken_store_still_annotates(tmp_path):
    raw = fixture("forged-lf.mbox")
    (tmp_path / "replyguard.db").write_bytes(b"this is not a SQLite database" * 100)
    proc, _ = replyguard(["--nameserver", "127.0.0.1:9", "--dns-budget", "1"], raw, tmp_path)
    assert proc.returncode == 0
    assert "x-sender-anonymity" in added_headers(proc.stdout)
    assert "not remembered in the store" in proc.stderr.decode()


def test_annotation_repr_never_holds_the_message():
    """asyncio formats task results (reprs) on Python 3.11's asyncio.run exit and in debug
    logs; a repr with the message bytes cost over a second on a 10 MB mail."""
    raw = b"From: a@b.test\nSubject: big\n\n" + b"x" * (1 << 20) + b"\n"
    result = asyncio.run(annotate_message(raw, client_ip="192.0.2.1", helo="x.test", mail_from="a@b.test",
                                          resolver=DictResolver({}), authserv_id=OUR_ID))
    assert len(repr(result)) < 2000


def test_unreadable_body_is_other_with_a_comment_and_headers_still_parsed():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from robust_mutate import nested

    raw = nested(1000).replace(b"Subject: nest\r\n", b"Subject: nest\r\nMessage-ID: <deep@example.com>\r\n")
    result = asyncio.run(annotate_message(raw, client_ip="192.0.2.1", helo="x.test", mail_from="a@example.com",
                                          resolver=DictResolver({}), authserv_id=OUR_ID))
    assert (result.category, result.score) == ("other", 0.0)
    assert "too deep" in result.comment
    assert result.parsed is not None and result.parsed.message_id == "deep@example.com"
    assert result.output.endswith(raw.split(b"\r\n\r\n", 1)[1])
