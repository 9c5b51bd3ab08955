"""Hold queue: durable holds, and list/show/release/refuse/cancel/escalate/release-due through
the real `replyguard` command with an aiosmtpd sink as the upstream."""
from __future__ import annotations

import asyncio
import email
import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from smtp_sinks import Sink  # noqa: E402

from proxy import audit  # noqa: E402
from proxy.audit import AuditLog  # noqa: E402
from proxy.decision import EnvelopeInfo  # noqa: E402
from proxy.message import parse  # noqa: E402
from proxy.quarantine import Quarantine, UnknownHold  # noqa: E402
from proxy.release import OutboxDelivery, Releaser  # noqa: E402
from proxy.policy.verdict import Action, Finding, Verdict  # noqa: E402

REPLYGUARD = str(Path(sys.executable).with_name("replyguard"))
RAW = (
    "From: Sato <sato@support.example>\r\nTo: tanaka@customer.example\r\n"
    "Subject: =?UTF-8?B?UmU6IOazqOaWhzEyMzQ=?=\r\nMessage-ID: <r1@support.example>\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n"
).encode("ascii") + "田中様\r\nご注文の件です。\r\n".encode("iso-2022-jp")
ENV = EnvelopeInfo(door="submission", mail_from="sato@support.example",
                   rcpt_tos=("tanaka@customer.example", "cc@customer.example"),
                   client_ip="127.0.0.1", auth_user="sato")
HOLD = Verdict(
    Action.HOLD,
    (Finding("quote-altered", Action.HOLD, "引用が変更されています", evidence="ご注文", where="quote 1",
             message_en="the quote was changed"),),
    rules_run=("subject-changed", "quote-altered"), policy_version="sha256:p1",
)
DELAY = Verdict(Action.ACCEPT, (), rules_run=("subject-changed",), policy_version="sha256:p1", delay_seconds=60)


def past_clock(hours: float = 5) -> datetime:
    return datetime.now(timezone.utc) - timedelta(hours=hours)


def run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {k: v for k, v in os.environ.items() if k != "SUDO_USER"}
    env.update({"USER": "tester", **(env_extra or {})})
    return subprocess.run([REPLYGUARD, *args], capture_output=True, text=True, timeout=60, env=env)


def up(sink: Sink) -> tuple[str, ...]:
    return ("--upstream", f"127.0.0.1:{sink.port}", "--upstream-tls", "none")


def records(state: Path, **kw: str) -> list[dict]:
    return list(audit.search(state / "audit", **kw))


@pytest.fixture
def sink():
    with Sink() as s:
        yield s


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "var"


def hold(state: Path, verdict: Verdict = HOLD, clock=None) -> str:
    q = Quarantine(state / "held", clock=clock) if clock else Quarantine(state / "held")
    return q.hold(RAW, ENV, verdict)


# --- the Holder seam ---------------------------------------------------------------------


def test_hold_writes_bytes_and_metadata(state: Path) -> None:
    hid = hold(state)
    d = state / "held"
    assert (d / f"{hid}.eml").read_bytes() == RAW
    meta = json.loads((d / f"{hid}.json").read_text())
    assert meta["state"] == "held" and meta["reason"] == "policy" and meta["release_at"] is None
    assert meta["envelope"]["rcpt_tos"] == ["tanaka@customer.example", "cc@customer.example"]
    assert meta["subject"] == "Re: 注文1234" and meta["message_id"] == "r1@support.example"
    assert meta["verdict"]["findings"][0]["rule"] == "quote-altered"
    assert meta["verdict"]["policy_version"] == "sha256:p1"
    assert sorted(p.name for p in d.iterdir() if not p.name.startswith(".")) == [f"{hid}.eml", f"{hid}.json"]


def test_delay_send_is_held_until_release_at(state: Path) -> None:
    clock_now = [datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)]
    q = Quarantine(state / "held", clock=lambda: clock_now[0])
    hid = q.hold(RAW, ENV, DELAY)
    meta = q.get(hid).meta
    assert meta["reason"] == "delay" and meta["release_at"] == "2026-04-01T09:01:00Z"
    assert q.due() == []
    clock_now[0] += timedelta(seconds=60)
    assert [h.id for h in q.due()] == [hid]


@pytest.mark.parametrize("bad", ["../../etc/passwd", "", "20260401T090000-zzzzzz", "x.json"])
def test_ids_are_never_paths(state: Path, bad: str) -> None:
    with pytest.raises(UnknownHold):
        Quarantine(state / "held").get(bad)


def test_recover_removes_debris_but_keeps_holds(state: Path) -> None:
    hid = hold(state)
    d = state / "held"
    (d / ".20260401T090000-abcdef.eml.999.tmp").write_bytes(b"half")
    (d / "20260401T090000-abcdef.eml").write_bytes(RAW)  # eml renamed, json never written
    done = Quarantine(d).recover()
    assert len(done) == 2
    assert sorted(p.name for p in d.iterdir() if not p.name.startswith(".")) == [f"{hid}.eml", f"{hid}.json"]


# --- the CLI against a real upstream --------------------------------------------------------


def test_cli_list_and_show(state: Path) -> None:
    hid = hold(state)
    did = hold(state, DELAY)
    r = run("held", "list", "--state-dir", str(state))
    assert r.returncode == 0, r.stderr
    assert hid in r.stdout and "quote-altered" in r.stdout and "Re: 注文1234" in r.stdout
    assert did in r.stdout and "send at" in r.stdout
    r = run("held", "list", "--json", "--state-dir", str(state))
    assert {m["id"] for m in json.loads(r.stdout)} == {hid, did}
    r = run("held", "show", hid, "--state-dir", str(state))
    assert r.returncode == 0 and "[quote-altered] hold: 引用が変更されています" in r.stdout
    assert "tanaka@customer.example, cc@customer.example" in r.stdout
    raw = subprocess.run([REPLYGUARD, "held", "show", hid, "--raw", "--state-dir", str(state)],
                         capture_output=True, timeout=60)
    assert raw.returncode == 0 and raw.stdout == RAW
    r = run("held", "show", "20990101T000000-000000", "--state-dir", str(state))
    assert r.returncode == 2 and "no held message" in r.stderr


def test_cli_release_relays_exact_bytes_and_audits(state: Path, sink: Sink) -> None:
    hid = hold(state)
    r = run("held", "release", hid, "--operator", "suzuki", "--state-dir", str(state), *up(sink))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "queued as SINK1" in r.stdout
    [got] = sink.messages
    assert got.content == RAW
    assert got.mail_from == "sato@support.example"
    assert got.rcpt_tos == ["tanaka@customer.example", "cc@customer.example"]
    assert not list((state / "held").glob("*.json"))
    [rec] = records(state, outcome="released")
    assert rec["operator"] == "suzuki" and rec["door"] == "release"
    assert rec["detail"]["hold_id"] == hid and "SINK1" in rec["reply"]
    r = run("audit", "verify", "--state-dir", str(state))
    assert r.returncode == 0 and r.stdout.strip() == "OK: 1 records"
    r = run("held", "release", hid, "--state-dir", str(state), *up(sink))
    assert r.returncode == 2 and "no held message" in r.stderr


def test_operator_defaults_to_login_user(state: Path, sink: Sink) -> None:
    hid = hold(state)
    r = run("held", "release", hid, "--state-dir", str(state), *up(sink), env_extra={"SUDO_USER": "root-caller"})
    assert r.returncode == 0, r.stderr
    assert records(state, outcome="released")[0]["operator"] == "root-caller"


@pytest.mark.parametrize("failure", ["data-451", "rcpt-550", "down"])
def test_cli_release_failure_keeps_it_held(state: Path, sink: Sink, failure: str) -> None:
    hid = hold(state)
    upstream = up(sink)
    if failure == "data-451":
        sink.behaviour.data_reply = "451 4.3.0 try later"
    elif failure == "rcpt-550":
        sink.behaviour.rcpt_replies["cc@customer.example"] = "550 5.1.1 no such user"
    else:
        upstream = ("--upstream", "127.0.0.1:9", "--upstream-tls", "none")
    r = run("held", "release", hid, "--state-dir", str(state), *upstream)
    assert r.returncode == 1
    assert "not released, still held" in r.stdout
    assert {"data-451": "451 4.3.0 try later", "rcpt-550": "cc@customer.example: 5.1.1 no such user",
            "down": "unreachable"}[failure] in r.stdout
    assert sink.messages == []
    meta = json.loads((state / "held" / f"{hid}.json").read_text())
    assert meta["state"] == "held" and meta["last_error"]
    assert records(state, outcome="release-failed")[0]["detail"]["hold_id"] == hid
    sink.behaviour.data_reply = None
    sink.behaviour.rcpt_replies.clear()
    r = run("held", "release", hid, "--state-dir", str(state), *up(sink))
    assert r.returncode == 0 and len(sink.messages) == 1


def test_cli_refuse_notifies_the_agent(state: Path, sink: Sink) -> None:
    hid = hold(state)
    r = run("held", "refuse", hid, "--reason", "Please do not change the quote", "--operator", "suzuki",
            "--state-dir", str(state), *up(sink))
    assert r.returncode == 0, r.stdout + r.stderr
    [notice] = sink.messages
    assert notice.mail_from in ("", "<>") and notice.rcpt_tos == ["sato@support.example"]
    msg = email.message_from_bytes(notice.content)
    assert msg["Auto-Submitted"] == "auto-replied"
    text, original = [p for p in msg.walk() if not p.is_multipart()]
    body = text.get_payload(decode=True).decode("utf-8")
    assert "Please do not change the quote" in body and "suzuki" in body
    assert "[quote-altered] 引用が変更されています" in body and "the quote was changed" in body
    assert original.get_filename() == "original.eml" and original.get_payload(decode=True) == RAW
    assert not list((state / "held").glob("*.json"))
    [rec] = records(state, outcome="refused")
    assert rec["operator"] == "suzuki" and rec["detail"]["reason"] == "Please do not change the quote"


def test_cli_refuse_needs_a_reason_and_keeps_it_when_notice_fails(state: Path, sink: Sink) -> None:
    hid = hold(state)
    r = run("held", "refuse", hid, "--state-dir", str(state), *up(sink))
    assert r.returncode == 2
    sink.behaviour.data_reply = "452 4.3.1 mailbox full"
    r = run("held", "refuse", hid, "--reason", "x", "--state-dir", str(state), *up(sink))
    assert r.returncode == 1 and "still held" in r.stdout
    assert json.loads((state / "held" / f"{hid}.json").read_text())["state"] == "held"


def test_cli_cancel(state: Path, sink: Sink) -> None:
    hid = hold(state, DELAY)
    r = run("held", "cancel", hid, "--state-dir", str(state))
    assert r.returncode == 0 and "will not be sent" in r.stdout
    assert records(state, outcome="cancelled")[0]["operator"] == "tester"
    r = run("held", "release-due", "--state-dir", str(state), *up(sink))
    assert r.returncode == 0 and sink.messages == []


def test_cli_release_due_sends_only_due_mail(state: Path, sink: Sink) -> None:
    due = hold(state, DELAY, clock=lambda: past_clock(1))
    later = hold(state, DELAY)
    policy = hold(state, HOLD, clock=lambda: past_clock(1))
    r = run("held", "release-due", "--state-dir", str(state), *up(sink))
    assert r.returncode == 0, r.stdout + r.stderr
    assert due in r.stdout and later not in r.stdout and policy not in r.stdout
    assert len(sink.messages) == 1
    [rec] = records(state, outcome="released-delayed")
    assert rec["operator"] == "replyguard:delay"


def test_release_due_backs_off_while_upstream_fails(state: Path, sink: Sink) -> None:
    due = hold(state, DELAY, clock=lambda: past_clock(1))
    sink.behaviour.data_reply = "451 4.3.0 try later"
    r = run("held", "release-due", "--state-dir", str(state), *up(sink))
    assert r.returncode == 1 and due in r.stdout
    meta = Quarantine(state / "held").get(due).meta
    assert meta["failures"] == 1 and meta["retry_at"] > meta["release_at"]
    r = run("held", "release-due", "--state-dir", str(state), *up(sink))
    assert "nothing due" in r.stdout             # backing off: no second attempt, no second record
    assert len(records(state, outcome="release-failed")) == 1
    sink.behaviour.data_reply = None
    r = run("held", "release", due, "--state-dir", str(state), *up(sink))   # an operator need not wait
    assert r.returncode == 0 and len(sink.messages) == 1


def test_cli_release_without_upstream_goes_to_outbox_once(state: Path) -> None:
    hid = hold(state)
    r = run("held", "release", hid, "--state-dir", str(state))
    assert r.returncode == 0, r.stderr
    [path] = list((state / "outbox" / "new").iterdir())
    assert path.name.startswith(hid)
    assert path.read_bytes().endswith(RAW)
    assert b"Return-Path: <sato@support.example>" in path.read_bytes()


def test_cli_escalate_logs_and_mails_supervisor(state: Path, sink: Sink, tmp_path: Path) -> None:
    old = hold(state, clock=lambda: past_clock(5))
    young = hold(state)
    cfg = tmp_path / "gw.yaml"
    cfg.write_text(f"state_dir: {state}\nhold:\n  escalate_after: 4h\n  supervisor: boss@support.example\n"
                   f"upstream:\n  host: 127.0.0.1\n  port: {sink.port}\n  tls: none\n")
    r = run("held", "escalate", "--config", str(cfg))
    assert r.returncode == 0, r.stdout + r.stderr
    assert old in r.stdout and young not in r.stdout
    [mail] = sink.messages
    assert mail.rcpt_tos == ["boss@support.example"] and old.encode() in mail.content
    [rec] = records(state, outcome="escalated")
    assert rec["detail"]["hold_id"] == old
    r = run("held", "escalate", "--config", str(cfg))
    assert "nothing to escalate" in r.stdout and len(sink.messages) == 1
    r = run("held", "list", "--config", str(cfg))
    assert "held!" in r.stdout


def test_escalation_mail_failure_is_logged_once(state: Path, sink: Sink, tmp_path: Path) -> None:
    old = hold(state, clock=lambda: past_clock(5))
    sink.behaviour.data_reply = "550 5.1.1 no such supervisor"
    cfg = tmp_path / "gw.yaml"
    cfg.write_text(f"state_dir: {state}\nhold:\n  supervisor: boss@support.example\n"
                   f"upstream:\n  host: 127.0.0.1\n  port: {sink.port}\n  tls: none\n")
    r = run("held", "escalate", "--config", str(cfg))
    assert r.returncode == 1 and "no such supervisor" in r.stdout
    [rec] = records(state, outcome="escalated")
    assert rec["detail"]["mail"] == "failed" and rec["detail"]["hold_id"] == old
    r = run("held", "escalate", "--config", str(cfg))
    assert "nothing to escalate" in r.stdout
    assert len(records(state, outcome="escalated")) == 1


# --- the agent's mail command ---------------------------------------------------------------


def command_mail(subject: str) -> bytes:
    return f"From: sato@support.example\r\nTo: sato@support.example\r\nSubject: {subject}\r\n\r\n.\r\n".encode()


def test_mail_command_cancels_only_own_message(state: Path) -> None:
    hid = hold(state, DELAY)
    rel = Releaser(Quarantine(state / "held"), AuditLog(state / "audit"), OutboxDelivery(state / "outbox"))
    assert rel.mail_command(ENV, parse(command_mail("Re: cancel my order"))) is None
    stranger = EnvelopeInfo(door="submission", mail_from="eve@support.example", rcpt_tos=("x@y",))
    ok, text = rel.mail_command(stranger, parse(command_mail(f"CANCEL {hid}")))
    assert not ok and "no held message" in text
    ok, text = rel.mail_command(ENV, parse(command_mail(f"cancel {hid}")))
    assert ok and "will not be sent" in text
    assert not (state / "held" / f"{hid}.json").exists()
    ok, text = rel.mail_command(ENV, parse(command_mail(f"CANCEL {hid}")))
    assert not ok


def test_two_releasers_cannot_both_send(state: Path, sink: Sink) -> None:
    """The gateway's periodic release and an operator's CLI race for one message."""
    from proxy import config

    hid = hold(state)
    cfg = config.loads(f"state_dir: {state}\nupstream:\n  host: 127.0.0.1\n  port: {sink.port}\n  tls: none\n")
    from proxy.release import from_config

    sink.behaviour.delay["DATA"] = 0.5
    a, b = from_config(cfg), from_config(cfg)

    async def both():
        return await asyncio.gather(a.release(hid, "a"), b.release(hid, "b"))

    results = asyncio.run(both())
    assert sorted(r.ok for r in results) == [False, True]
    assert len(sink.messages) == 1
    assert "being released" in [r for r in results if not r.ok][0].text


# --- end to end: swaks → gateway → hold → release/refuse → aiosmtpd sink ------------------------


def test_e2e_swaks_hold_then_release_and_refuse(tmp_path: Path, sink: Sink) -> None:
    from test_faults import GatewayProcess, final_reply, hold_id_in, swaks

    state = tmp_path / "var"
    eml = tmp_path / "reply.eml"
    eml.write_bytes(b"From: sato@support.example\r\nTo: tanaka@customer.example\r\nSubject: Re: HOLDME order\r\n"
                    b"Message-ID: <e2e-1@support.example>\r\n\r\nDear customer,\r\nthank you.\r\n")
    gw = GatewayProcess(tmp_path, state, sink.port).start()
    try:
        first = final_reply(swaks(gw.port, "", data=eml))
        assert "250 2.0.0 held for review: quote-altered" in first
        second = final_reply(swaks(gw.port, "HOLDME second"))
        assert sink.messages == []
        a, b = hold_id_in(first), hold_id_in(second)
        r = run("held", "list", "--config", str(gw.cfg))
        assert a in r.stdout and b in r.stdout
        stored = (state / "held" / f"{a}.eml").read_bytes()
        assert stored.startswith(eml.read_bytes())   # swaks adds one CRLF of its own at the end
        r = run("held", "release", a, "--operator", "suzuki", "--config", str(gw.cfg))
        assert r.returncode == 0, r.stdout + r.stderr
        [got] = sink.messages
        assert got.content == stored and got.rcpt_tos == ["tanaka@customer.example"]
        r = run("held", "refuse", b, "--reason", "keep the customer's subject", "--operator", "suzuki",
                "--config", str(gw.cfg))
        assert r.returncode == 0, r.stdout + r.stderr
        notice = sink.messages[1]
        assert notice.rcpt_tos == ["sato@support.example"]
        text = next(p for p in email.message_from_bytes(notice.content).walk() if p.get_content_type() == "text/plain")
        assert "keep the customer's subject" in text.get_payload(decode=True).decode()
    finally:
        gw.stop()
    outcomes = [(x["door"], x["outcome"], x.get("operator")) for x in audit.iter_records(state / "audit")]
    assert outcomes == [("submission", "held", None), ("submission", "held", None),
                        ("release", "released", "suzuki"), ("release", "refused", "suzuki")]
    r = run("audit", "verify", "--state-dir", str(state))
    assert r.returncode == 0 and "OK: 4 records" in r.stdout
    r = run("audit", "search", "--state-dir", str(state), "--message-id", "e2e-1@support.example", "--format", "json")
    assert [json.loads(x)["outcome"] for x in r.stdout.splitlines()] == ["held", "released"]


def test_e2e_delay_send_goes_out_unless_called_back_by_mail(tmp_path: Path, sink: Sink) -> None:
    from test_faults import GatewayProcess, final_reply, hold_id_in, swaks

    state = tmp_path / "var"
    gw = GatewayProcess(tmp_path, state, sink.port, delay=1.5, interval=0.1).start()
    try:
        keep = final_reply(swaks(gw.port, "Re: DELAYME keep"))
        stop = final_reply(swaks(gw.port, "Re: DELAYME oops wrong customer"))
        assert "will be sent in 1 s" in keep
        sid = hold_id_in(stop)
        other = final_reply(swaks(gw.port, f"CANCEL {sid}", sender="eve@support.example"))
        assert "550 5.7.0 replyguard: cannot cancel: no held message" in other
        cancel = final_reply(swaks(gw.port, f"CANCEL {sid}"))
        assert "250 2.0.0 replyguard: cancelled" in cancel, cancel
        got = sink.wait_for(1, timeout=10)
        time.sleep(0.5)
    finally:
        gw.stop()
    assert len(got) == 1 and len(sink.messages) == 1
    assert b"Subject: Re: DELAYME keep" in sink.messages[0].content
    assert held_ids(state) == []
    outcomes = [x["outcome"] for x in audit.iter_records(state / "audit")]
    assert sorted(outcomes) == sorted(["delayed", "delayed", "command", "cancelled", "command", "released-delayed"])
    assert audit.verify(state / "audit").ok


def held_ids(state: Path) -> list[str]:
    return [h.id for h in Quarantine(state / "held").all()]


def test_e2e_with_the_policy_engine_hold_and_delay(tmp_path: Path, sink: Sink) -> None:
    """The real engine decides: an unsigned reply is held, a signed one waits `delay:` then goes."""
    from test_faults import GatewayProcess, final_reply, hold_id_in, swaks

    root = Path(__file__).resolve().parent.parent
    policy = tmp_path / "policy.yaml"
    text = (root / "policies" / "examples" / "en-warn.yaml").read_text()
    text = text.replace("mode: enforce\n", "mode: enforce\ndelay: 1s\n")
    text = text.replace("  - id: signature-missing\n    action: warn", "  - id: signature-missing\n    action: hold")
    policy.write_text(text)
    state = tmp_path / "var"
    unsigned, signed = tmp_path / "unsigned.eml", tmp_path / "signed.eml"
    head = (b"From: Taro Sato <sato@support.example>\r\nTo: tanaka@customer.example\r\n"
            b"Subject: Re: your order\r\nMessage-ID: <%s@support.example>\r\n\r\nDear Mr. Tanaka,\r\n\r\n"
            b"your order ships today.\r\n")
    unsigned.write_bytes(head % b"u1")
    signed.write_bytes(head % b"s1" + b"\r\n-- \r\nTaro Sato\r\nExample Support Team\r\n")
    gw = GatewayProcess(tmp_path, state, sink.port, interval=0.1, policy=policy).start()
    try:
        held = final_reply(swaks(gw.port, "", data=unsigned))
        assert "250 2.0.0 held for review: signature-missing" in held, held
        later = final_reply(swaks(gw.port, "", data=signed))
        assert "will be sent in 1 s" in later, later
        assert sink.messages == []
        got = sink.wait_for(1, timeout=10)
        assert len(got) == 1 and b"<s1@support.example>" in got[0].content
        r = run("held", "release", hold_id_in(held), "--config", str(gw.cfg))
        assert r.returncode == 0, r.stdout + r.stderr
        assert len(sink.messages) == 2
    finally:
        gw.stop()
    recs = list(audit.iter_records(state / "audit"))
    assert [r["outcome"] for r in recs] == ["held", "delayed", "released-delayed", "released"]
    assert recs[0]["findings"][0]["rule"] == "signature-missing"
    assert recs[0]["policy_version"] and "other-customer-data" in recs[0]["rules_run"]  # no original: quote rules skip
    assert audit.verify(state / "audit").ok
