"""Robustness of the submission door against hostile and broken input, over real sockets.

A real `replyguard serve` process (real policy engine, hold queue, audit log) relays to a
real aiosmtpd sink. A few hundred deterministic mutations of the example mails (truncation,
byte flips, broken boundaries, bogus charsets, giant and overlong headers, 1000-level MIME
nesting, a 10 MB line, 5000 References, NUL, bare CR, bad UTF-8, CRLF-injection attempts)
go through it; the invariants: the server stays up, every reply line is well-formed, 250 ⇔
exactly one copy at the sink or one new held message, no 5xx carrying exception text, and
bounded time per message. Plus: slow DATA, overlong commands, DEBUG logs of AUTH sessions,
hold-queue ids that try to be paths, and the loopback default.
"""
from __future__ import annotations

import base64
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from robust_mutate import ROOT, dot_stuff, mutations, nested, seed_messages  # noqa: E402
from smtp_sinks import GatewayThread, ServeProcess, Sink  # noqa: E402

from proxy.config import (  # noqa: E402
    GatewayConfig, LimitsConfig, ListenerConfig, TimeoutsConfig, UpstreamConfig, default_config,
)

REPLY_LINE = re.compile(rb"^([2-5]\d\d)([ -])([^\x00-\x1f\x7f]*)$")
EXCEPTION_TEXT = re.compile(r"Traceback|Error\b|Exception|File \"", re.I)
SEEDS = seed_messages(ROOT.parent / "shared" / "examples", ROOT / "tests" / "fixtures")


class Raw:
    """A bare SMTP client that checks every reply line it reads (no smtplib leniency)."""

    def __init__(self, port: int, timeout: float = 30):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def reply(self) -> tuple[int, list[str]]:
        lines: list[bytes] = []
        while True:
            while b"\r\n" not in self.buf:
                data = self.s.recv(65536)
                if not data:
                    raise ConnectionError(f"closed by server; partial {self.buf!r}")
                self.buf += data
            line, self.buf = self.buf.split(b"\r\n", 1)
            m = REPLY_LINE.match(line)
            assert m and len(line) <= 510, f"malformed reply line {line!r}"
            assert b"\r" not in line and b"\n" not in line
            if lines:
                assert line[:3] == lines[0][:3], f"code changed inside a multi-line reply: {lines} {line!r}"
            lines.append(line)
            if m.group(2) == b" ":
                return int(line[:3]), [x[4:].decode("utf-8") for x in lines]

    def cmd(self, line: str | bytes) -> tuple[int, list[str]]:
        self.s.sendall((line.encode() if isinstance(line, str) else line) + b"\r\n")
        return self.reply()

    def close(self) -> None:
        try:
            self.s.sendall(b"QUIT\r\n")
            self.reply()
        except (OSError, ConnectionError):
            pass
        self.s.close()


POLICY_HOLD = """\
version: 1
language: en
mode: enforce
no_original: warn
rules:
  - id: signature-missing
    action: hold
    message: {en: Sign the reply with your own name., ja: 署名を付けてください。}
  - id: other-customer-data
    action: reject
    message: {en: Never show one customer's data to another., ja: 他のお客様の情報は載せないでください。}
"""


def _serve(tmp: Path, sink: Sink, policy: str) -> ServeProcess:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "gw.yaml").write_text(
        f"policy: {policy}\nlimits:\n  max_message_size: 12MB\n"
        "  timeouts: {connect: 3s, command: 3s, data: 5s, client_idle: 20s, client_data: 30s}\n")
    return ServeProcess(tmp, "--config", str(tmp / "gw.yaml"), "--upstream", f"127.0.0.1:{sink.port}",
                        "--upstream-tls", "none")


def _held(tmp: Path) -> int:
    d = tmp / "state" / "held"
    return len(list(d.glob("*.eml"))) if d.is_dir() else 0


def _send(port: int, msg: bytes, *, eightbit: bool, smtputf8: bool = False) -> tuple[int, list[str]]:
    c = Raw(port)
    try:
        assert c.reply()[0] == 220
        assert c.cmd("EHLO fuzz.test")[0] == 250
        opts = (" BODY=8BITMIME" if eightbit else "") + (" SMTPUTF8" if smtputf8 else "")
        assert c.cmd(f"MAIL FROM:<agent@example.com>{opts}")[0] == 250
        assert c.cmd("RCPT TO:<customer@example.org>")[0] == 250
        assert c.cmd("DATA")[0] == 354
        c.s.sendall(dot_stuff(msg))
        return c.reply()
    finally:
        c.close()


def _relayed(sink: Sink, n: int = 0, timeout: float = 0.0) -> list:
    """What the sink got from the agent (waiting up to `timeout` for `n`), without the gateway's
    own "Not sent" notices to the agent (null sender; notices.reject is on by default)."""
    end = time.monotonic() + timeout
    while True:
        got = [m for m in sink.wait_for(0, 0) if m.mail_from not in ("", "<>")]
        if len(got) >= n or time.monotonic() >= end:
            return got
        time.sleep(0.01)


def _fuzz(tmp: Path, policy: str, n: int, seed: int, *, skip: tuple[str, ...] = ()) -> dict[str, set[int]]:
    assert SEEDS, "no example .eml files found"
    seen: dict[str, set[int]] = {}
    with Sink() as sink:
        sp = _serve(tmp, sink, policy)
        try:
            for i, kind, msg in mutations(SEEDS, n, seed, skip=skip):
                before, held_before = len(_relayed(sink)), _held(tmp)
                t0 = time.monotonic()
                code, text = _send(sp.port, msg, eightbit=i % 3 != 0, smtputf8=i % 5 == 0)
                elapsed = time.monotonic() - t0
                joined = " | ".join(text)
                where = f"#{i} {kind}: {code} {joined[:300]}"
                assert sp.proc.poll() is None, f"gateway died after {where}"
                assert elapsed < 15, f"{where} took {elapsed:.1f}s"
                assert code in (250, 451, 550, 552, 554), where
                if code >= 500:
                    assert not EXCEPTION_TEXT.search(joined), f"exception text in reply {where}"
                got = _relayed(sink, before + 1, timeout=0.5 if code == 250 else 0.05)
                delivered, held = len(got) - before, _held(tmp) - held_before
                if code == 250:
                    assert (delivered, held) in ((1, 0), (0, 1)), f"{where}: delivered {delivered}, held {held}"
                    assert ("held for review" in joined) == (held == 1), where
                else:
                    assert (delivered, held) == (0, 0), f"{where}: not 250 but delivered {delivered}, held {held}"
                seen.setdefault(kind, set()).add(code)
        finally:
            out = "".join(sp.lines)
            assert sp.stop() == 0, out[-2000:]
    assert "Traceback" not in out, out[-3000:]
    return seen


def test_fuzz_submission_default_policy(tmp_path: Path) -> None:
    seen = _fuzz(tmp_path, str(ROOT / "policies" / "default.yaml"), 160, seed=1234)
    assert seen["nest"] == {554} and seen["longline"] == {554} and seen["longheaderline"] == {554}
    assert 250 in set().union(*seen.values()) and 550 in set().union(*seen.values())


def test_fuzz_submission_hold_policy(tmp_path: Path) -> None:
    (tmp_path / "hold.yaml").write_text(POLICY_HOLD, encoding="utf-8")
    seen = _fuzz(tmp_path / "gw", str(tmp_path / "hold.yaml"), 40, seed=77, skip=("nest", "longline"))
    assert _held(tmp_path / "gw") > 0, seen


def test_deep_mime_nesting_gets_a_reason_not_an_exception_name(tmp_path: Path) -> None:
    with Sink() as sink:
        sp = _serve(tmp_path, sink, str(ROOT / "policies" / "default.yaml"))
        try:
            code, text = _send(sp.port, nested(1000), eightbit=False)
            assert code == 554 and "nested too deeply" in text[0] and "RecursionError" not in text[0]
            # … and the next message on the same gateway still goes through
            code, text = _send(sp.port, nested(3), eightbit=False)
            assert code == 250, text
        finally:
            sp.stop()
        assert len(sink.messages) == 1


def _gateway(tmp: Path, sink: Sink, *, decider=None, **timeouts: float) -> GatewayThread:
    cfg = GatewayConfig(
        state_dir=str(tmp / "state"), listeners=[ListenerConfig(address="127.0.0.1:0", tls="none")],
        upstream=UpstreamConfig(host=sink.host, port=sink.port, tls="none"),
        limits=LimitsConfig(timeouts=TimeoutsConfig(connect=2, command=2, data=3, **timeouts)))
    return GatewayThread(cfg, decider=decider).start()


def test_crlf_and_control_characters_in_findings_cannot_inject_reply_lines(tmp_path: Path) -> None:
    """Findings quote the mail (subject, names) and end up in the 550 reply: that text is hostile."""
    from proxy.policy.verdict import Action, Finding, Verdict

    def quoting_decider(envelope, message):  # what subject-changed does: show the subject as evidence
        f = Finding("subject-changed", Action.REJECT, f"subject is now '{message.subject}'",
                    evidence=message.subject, message_en=f"subject is now '{message.subject}'")
        return Verdict.from_findings([f, f])

    evil = base64.b64encode("Taro\r\n250 2.0.0 OK\r\n\x00\x1b[31m\u2028\x85山田".encode()).decode()
    msg = (f"From: agent@example.com\r\nTo: customer@example.org\r\nSubject: =?utf-8?B?{evil}?=\r\n"
           "Message-ID: <inj@example.com>\r\n\r\nHello\r\n").encode()
    with Sink() as sink:
        gw = _gateway(tmp_path, sink, decider=quoting_decider)
        try:
            for utf8 in (False, True):
                code, text = _send(gw.port, msg, eightbit=True, smtputf8=utf8)  # Raw checks every line
                assert code == 550, text
                assert all(line.startswith("5.7.1 ") for line in text), text
                assert all(ch not in line for line in text for ch in "\x00\x1b\u2028\x85\r\n"), text
                assert ("山田" in " ".join(text)) == utf8
        finally:
            gw.stop()
        assert sink.messages == []


def test_slow_data_is_bounded_in_total_not_only_per_read(tmp_path: Path) -> None:
    with Sink() as sink:
        gw = _gateway(tmp_path, sink, client_idle=5, client_data=1.5)
        try:
            c = Raw(gw.port)
            c.reply()
            c.cmd("EHLO slow.test")
            c.cmd("MAIL FROM:<a@example.com>")
            c.cmd("RCPT TO:<b@example.org>")
            assert c.cmd("DATA")[0] == 354
            t0 = time.monotonic()
            code, text = 0, [""]
            while time.monotonic() - t0 < 6:
                try:
                    c.s.sendall(b"X-Drip: 1\r\n")
                except OSError:
                    break
                c.s.settimeout(0.3)
                try:
                    code, text = c.reply()
                    break
                except socket.timeout:
                    continue
            assert code == 451 and text[0].startswith("4.4.2"), (code, text)
            assert time.monotonic() - t0 < 4
            c.s.settimeout(3)
            assert c.s.recv(100) == b""  # disconnected: the rest of the message is never read as commands
            c.s.close()
            assert sink.messages == []
            c2 = Raw(gw.port)  # the gateway still serves
            assert c2.reply()[0] == 220
            c2.close()
        finally:
            gw.stop()


def test_overlong_command_lines_get_500_and_the_session_survives(tmp_path: Path) -> None:
    with Sink() as sink:
        gw = _gateway(tmp_path, sink)
        try:
            c = Raw(gw.port)
            c.reply()
            assert c.cmd("EHLO " + "a" * 600)[0] == 500
            assert c.cmd(b"MAIL FROM:<" + b"a" * 1_000_000 + b"@example.com>")[0] == 500
            assert c.cmd("NOOP")[0] == 250
            assert c.cmd("EHLO ok.test")[0] == 250
            c.close()
        finally:
            gw.stop()


def test_auth_session_at_debug_level_never_logs_the_password(tmp_path: Path) -> None:
    secret = "S3cret-Pa55-word"
    with Sink(auth={"agent": secret}) as sink:
        sp = ServeProcess(tmp_path, "--upstream", f"127.0.0.1:{sink.port}", "--upstream-tls", "none",
                          "--log-level", "DEBUG")
        try:
            c = Raw(sp.port)
            c.reply()
            c.cmd("EHLO agent.test")
            plain_bad = base64.b64encode(f"\0agent\0{secret}x".encode()).decode()
            assert c.cmd(f"AUTH PLAIN {plain_bad}")[0] == 535
            assert c.cmd("AUTH LOGIN")[0] == 334
            c.cmd(base64.b64encode(b"agent").decode())
            assert c.cmd(base64.b64encode(secret.encode()).decode())[0] == 235
            c.close()
            time.sleep(0.3)
        finally:
            sp.stop()
    log = "".join(sp.lines)
    assert "agent" in log, log[-2000:]
    for needle in (secret, base64.b64encode(secret.encode()).decode(), plain_bad,
                   base64.b64encode(f"\0agent\0{secret}".encode()).decode()):
        assert needle not in log


def test_listener_defaults_to_loopback() -> None:
    cfg = default_config()
    assert [lst.host for lst in cfg.listeners] == ["127.0.0.1"]


@pytest.mark.parametrize("hold_id", ["../../etc/passwd", "/etc/passwd", "../evil", "x/../../evil",
                                     "20260101T000000-abcdef/../../evil", "20260101T000000-abcdef\n"])
def test_hold_ids_are_never_paths(tmp_path: Path, hold_id: str) -> None:
    state = tmp_path / "state"
    (state / "held").mkdir(parents=True)
    (state / "evil.json").write_text('{"state": "held", "secret": "ROOT-SECRET"}')
    (state / "evil.eml").write_text("Subject: ROOT-SECRET\n\nx\n")
    for verb in ((["show"], ["release"], ["refuse", "--reason", "no"]) if hold_id.startswith("..") else (["show"],)):
        p = subprocess.run([sys.executable, "-m", "proxy", "held", verb[0], hold_id, *verb[1:], "--state-dir", str(state)],
                           capture_output=True, text=True, timeout=30, cwd=tmp_path)
        assert p.returncode != 0 and "ROOT-SECRET" not in p.stdout + p.stderr and "Traceback" not in p.stderr
        assert "no held message" in p.stderr
    assert (state / "evil.json").exists() and (state / "evil.eml").exists()
