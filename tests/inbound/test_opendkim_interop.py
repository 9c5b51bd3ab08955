"""Interop with OpenDKIM (Debian `opendkim` + `opendkim-tools`), an independent implementation.

* A key made by `opendkim-genkey`, a message signed by the `opendkim` milter (as a
  Postfix site would send it, rsa-sha256, relaxed/relaxed): we verify it `pass`, with
  the public key served by a real DNS server.
* The same message with its body or a signed header altered: we say `fail`.
* Every verdict is matched against `opendkim -t` (OpenDKIM's verifier, keys from
  a TestPublicKeys file): pass where it says "succeeded", not pass where it says "failed".
* `opendkim-testmsg` signs with rsa-sha1: RFC 8301 forbids accepting that, and our
  key's h=sha256 excludes it anyway; OpenDKIM refuses it too.
"""
from __future__ import annotations

import asyncio
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from dnsfixture_proc import dns_server
from milter_client import sign_with_milter
from proxy.inbound.dkim_check import check_dkim
from proxy.inbound.dns import DnspythonResolver, TtlCache

DOMAIN, SELECTOR = "interop.test", "sel2026"
MESSAGE = (
    b"From: Mari Inoue <mari@interop.test>\r\n"
    b"To: support@replyguard.test\r\n"
    b"Subject: =?ISO-2022-JP?B?GyRCTGQkJDlnJG8kOxsoQg==?=\r\n"
    b"Date: Thu, 26 Nov 2026 10:00:00 +0900\r\n"
    b"Message-ID: <interop-1@interop.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=ISO-2022-JP\r\n"
    b"\r\n"
    b"\x1b$B$*@$OC$K$J$C$F$*$j$^$9!#\x1b(B\r\n"
    b"Order 12345, please check.\r\n"
)


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    assert path, "%s missing: run `make sysdeps` (Debian opendkim, opendkim-tools)" % name
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("opendkim")
    subprocess.run(
        [_tool("opendkim-genkey"), "-b", "2048", "-d", DOMAIN, "-s", SELECTOR, "-D", str(d)], check=True
    )
    (d / (SELECTOR + ".private")).chmod(0o600)
    record = "".join(re.findall(r'"([^"]*)"', (d / (SELECTOR + ".txt")).read_text()))
    name = "%s._domainkey.%s" % (SELECTOR, DOMAIN)
    (d / "keys.txt").write_text("%s %s\n" % (name, record))
    (d / "verify.conf").write_text("Mode v\nTestPublicKeys %s\nSyslog no\n" % (d / "keys.txt"))
    return {"dir": d, "record": record, "name": name}


@pytest.fixture(scope="module")
def milter_signed(keys) -> bytes:
    d: Path = keys["dir"]
    port = _free_port()
    (d / "sign.conf").write_text(
        "Mode s\nDomain %s\nSelector %s\nKeyFile %s\nCanonicalization relaxed/relaxed\n"
        "Socket inet:%d@127.0.0.1\nBackground no\nSyslog no\nRequireSafeKeys no\n"
        % (DOMAIN, SELECTOR, d / (SELECTOR + ".private"), port)
    )
    proc = subprocess.Popen([_tool("opendkim"), "-f", "-x", str(d / "sign.conf")], stderr=subprocess.PIPE)
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else "opendkim exited"
                time.sleep(0.1)
        return sign_with_milter(MESSAGE, "127.0.0.1", port, mail_from="mari@interop.test", rcpt="support@replyguard.test")
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def nameserver(keys):
    with dns_server({keys["name"]: [{"TXT": keys["record"]}]}) as ns:
        yield ns


def ours(raw: bytes, ns: str) -> str:
    return asyncio.run(check_dkim(raw, DnspythonResolver(ns, cache=TtlCache())))[0].result


def opendkim_verdict(raw: bytes, keys: dict) -> str:
    path = keys["dir"] / "verify.eml"
    path.write_bytes(raw)
    out = subprocess.run(
        [_tool("opendkim"), "-x", str(keys["dir"] / "verify.conf"), "-t", str(path)],
        capture_output=True, text=True, check=True,
    )
    text = out.stdout + out.stderr
    assert "verification" in text, text
    return "pass" if "succeeded" in text else "not pass"


def test_milter_signature_is_rsa_sha256(milter_signed):
    assert milter_signed.startswith(b"DKIM-Signature: v=1; a=rsa-sha256;")


@pytest.mark.parametrize(
    "variant,expected",
    [
        ("as signed", "pass"),
        ("body altered", "fail"),
        ("subject altered", "fail"),
        ("from altered", "fail"),
    ],
)
def test_opendkim_signed_mail(milter_signed, keys, nameserver, variant, expected):
    raw = {
        "as signed": milter_signed,
        "body altered": milter_signed.replace(b"Order 12345", b"Order 12346"),
        "subject altered": milter_signed.replace(b"GyRCTGQkJDlnJG8kOxsoQg==", b"GyRCTGQkJDlnJG8kOxsoQg=x"),
        "from altered": milter_signed.replace(b"From: Mari Inoue", b"From: Mari  Inoue-X"),
    }[variant]
    got = ours(raw, nameserver)
    assert got == expected
    assert opendkim_verdict(raw, keys) == ("pass" if got == "pass" else "not pass")


def test_opendkim_testmsg_rsa_sha1_is_refused_by_both(keys, nameserver):
    d: Path = keys["dir"]
    signed = subprocess.run(
        [_tool("opendkim-testmsg"), "-C", "-d", DOMAIN, "-s", SELECTOR, "-k", str(d / (SELECTOR + ".private"))],
        input=MESSAGE, capture_output=True, check=True,
    ).stdout
    assert b"a=rsa-sha1" in signed
    result = asyncio.run(check_dkim(signed, DnspythonResolver(nameserver, cache=TtlCache())))[0]
    assert result.result == "permerror" and "sha1" in result.reason
    assert opendkim_verdict(signed, keys) == "not pass"
