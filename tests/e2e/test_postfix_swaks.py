"""End to end with real peers: swaks -> `replyguard serve` -> a private Postfix -> maildir.

STARTTLS on both hops (swaks trusts nothing, replyguard verifies Postfix's certificate
against the test CA), Postfix's own answers passed back to swaks, and the bytes swaks sent
found unchanged in Postfix's maildir (Postfix stores LF line ends and prepends its
Return-Path / Delivered-To / Received headers).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from postfix_instance import PostfixInstance, available  # noqa: E402
from smtp_sinks import ServeProcess, make_cert  # noqa: E402

ISO = (Path(__file__).resolve().parent.parent / "fixtures" / "smtp" / "reply-iso2022jp.eml").read_bytes()


@pytest.fixture(scope="module")
def postfix(tmp_path_factory):
    reason = available()
    assert reason is None, reason
    assert shutil.which("swaks"), "swaks is needed (scripts/sysdeps.sh installs it)"
    certdir = Path(tmp_path_factory.mktemp("pfcert"))
    cert, key = make_cert(certdir, "postfix")
    extra = {"smtpd_recipient_restrictions":
             "check_recipient_access inline:{ {blocked@example.jp=REJECT 5.1.1 no such agent here} }, "
             "permit_mynetworks, reject"}
    with PostfixInstance(tls=(cert, key), extra=extra) as pf:
        pf.cert = cert  # type: ignore[attr-defined]
        yield pf


@pytest.fixture
def gateway(postfix, tmp_path):
    cfg = tmp_path / "gateway.yaml"
    cfg.write_text(
        "upstream:\n"
        f"  host: 127.0.0.1\n  port: {postfix.port}\n  tls: starttls\n  ca_file: {postfix.cert}\n  auth: none\n"
    )
    srv = ServeProcess(tmp_path, "--config", str(cfg))
    yield srv
    assert srv.stop() == 0


def swaks(port: int, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["swaks", "--server", f"127.0.0.1:{port}", "-tls", "--from", "agent@example.com", *args],
                          capture_output=True, text=True, timeout=60)


def test_swaks_through_replyguard_into_postfix_maildir(postfix, gateway, tmp_path):
    before = len(postfix.messages())
    eml = tmp_path / "reply.eml"
    eml.write_bytes(ISO)
    out = swaks(gateway.port, "--to", "yamada@example.jp", "--data", f"@{eml}")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "<~* " not in out.stdout
    # Postfix's own final answer reached swaks through the gateway
    assert "250 2.0.0 Ok: queued as " in out.stdout
    got = postfix.wait_for(before + 1)
    assert len(got) == before + 1
    delivered = got[-1].removesuffix(b"\n")  # swaks ends --data with one more CRLF
    assert delivered.endswith(ISO.replace(b"\r\n", b"\n"))
    head = delivered[: len(delivered) - len(ISO.replace(b"\r\n", b"\n"))]
    assert b"Delivered-To: yamada@example.jp" in head and b"with ESMTPS" in head  # TLS hop to Postfix


def test_postfix_refusal_at_rcpt_reaches_swaks(postfix, gateway):
    before = len(postfix.messages())
    out = swaks(gateway.port, "--to", "blocked@example.jp")
    assert out.returncode != 0
    assert "<~* 554 5.1.1 <blocked@example.jp>: Recipient address rejected: no such agent here" in out.stdout
    assert len(postfix.wait_for(before + 1, timeout=1.5)) == before


def test_several_messages_in_one_session_each_delivered_once(postfix, gateway):
    import smtplib
    import ssl

    before = len(postfix.messages())
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE  # the gateway's self-signed cert
    with smtplib.SMTP("127.0.0.1", gateway.port, timeout=20) as c:
        c.starttls(context=ctx)
        for i in range(5):
            c.sendmail("agent@example.com", ["yamada@example.jp"],
                       ISO.replace(b"<reply-iso@example.com>", f"<e2e-{i}@example.com>".encode()))
    got = postfix.wait_for(before + 5)
    ids = sorted(m.split(b"Message-ID: <")[1].split(b">")[0] for m in got[before:])
    assert ids == sorted(f"e2e-{i}@example.com".encode() for i in range(5))
