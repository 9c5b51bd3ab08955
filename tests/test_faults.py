"""Fault tests with real processes: SIGKILL in the middle of a hold and of a release, and a
full disk. After a restart (recover) each message is exactly once either held or delivered,
and nothing that was acknowledged is lost."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from smtp_sinks import Sink  # noqa: E402

from proxy import audit  # noqa: E402
from proxy.audit import AuditLog, AuditUnavailable  # noqa: E402
from proxy.decision import EnvelopeInfo  # noqa: E402
from proxy.policy.verdict import Action, Finding, Verdict  # noqa: E402
from proxy.quarantine import Quarantine  # noqa: E402

PYTHON = sys.executable
REPLYGUARD = str(Path(sys.executable).with_name("replyguard"))
ROOT = Path(__file__).resolve().parent.parent
RAW = b"From: sato@support.example\r\nTo: tanaka@customer.example\r\nSubject: Re: order\r\n" \
      b"Message-ID: <f1@support.example>\r\n\r\n" + b"body line\r\n" * 2000
ENV = EnvelopeInfo(door="submission", mail_from="sato@support.example", rcpt_tos=("tanaka@customer.example",))
VERDICT = Verdict(Action.HOLD, (Finding("quote-altered", Action.HOLD, "changed"),), ("quote-altered",), "p1")

HOLD_LOOP = """
import sys
from proxy.decision import EnvelopeInfo
from proxy.policy.verdict import Action, Finding, Verdict
from proxy.quarantine import Quarantine
raw = open(sys.argv[2], 'rb').read()
env = EnvelopeInfo(door='submission', mail_from='sato@support.example', rcpt_tos=('tanaka@customer.example',))
v = Verdict(Action.HOLD, (Finding('quote-altered', Action.HOLD, 'changed'),), ('quote-altered',), 'p1')
q = Quarantine(sys.argv[1])
for i in range(int(sys.argv[3])):
    hid = q.hold(raw, env, v)
    print(hid, flush=True)   # the 250: only after hold() returned
"""

AUDIT_LOOP = """
import sys
from proxy.audit import AuditLog
from proxy.decision import EnvelopeInfo
log = AuditLog(sys.argv[1], rotate_bytes=20000)
env = EnvelopeInfo(door='submission', mail_from='a@b', rcpt_tos=('c@d',))
i = 0
while True:
    rec = log.record(envelope=env, outcome='accepted', reply='250 ok')
    print(rec['seq'], flush=True)   # acknowledged
"""


def env_with(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def write_raw(tmp: Path) -> Path:
    p = tmp / "msg.eml"
    p.write_bytes(RAW)
    return p


# --- SIGKILL during a hold write --------------------------------------------------------------


def test_crash_between_eml_and_json_leaves_no_hold(tmp_path: Path) -> None:
    held = tmp_path / "held"
    r = subprocess.run([PYTHON, "-c", HOLD_LOOP, str(held), str(write_raw(tmp_path)), "1"],
                       env=env_with(REPLYGUARD_CRASH_AT="hold:after-eml"), capture_output=True, text=True)
    assert r.returncode == -signal.SIGKILL
    assert r.stdout == ""                      # never acknowledged
    assert len(list(held.glob("*.eml"))) == 1  # the bytes are there, the commit point is not
    done = Quarantine(held).recover()
    assert any("never completed" in line for line in done)
    assert [p for p in held.iterdir() if p.name != ".lock"] == []


@pytest.mark.parametrize("after", [0.05, 0.15, 0.3])
def test_sigkill_during_hold_loop_loses_nothing_acknowledged(tmp_path: Path, after: float) -> None:
    held = tmp_path / "held"
    proc = subprocess.Popen([PYTHON, "-c", HOLD_LOOP, str(held), str(write_raw(tmp_path)), "100000"],
                            env=env_with(), stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline().strip()     # wait until it is really writing
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    rest, _ = proc.communicate()
    acked = [first] + rest.split()
    acked = [a for a in acked if len(a) == 22]  # a line cut by the kill was not an acknowledgement
    Quarantine(held).recover()
    q = Quarantine(held)
    stored = {h.id: h for h in q.all()}
    assert set(acked) <= set(stored)
    assert len(stored) - len(acked) <= 1       # at most the one whose 250 was being printed
    for h in stored.values():
        assert h.raw() == RAW and h.state == "held"
    names = {p.name for p in held.iterdir()} - {".lock"}
    assert names == {f"{i}.eml" for i in stored} | {f"{i}.json" for i in stored}


# --- SIGKILL during a release ---------------------------------------------------------------


def release(state: Path, hid: str, upstream: tuple[str, ...], **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([REPLYGUARD, "held", "release", hid, "--state-dir", str(state), *upstream],
                          env=env_with(**extra), capture_output=True, text=True, timeout=60)


def recover(state: Path, upstream: tuple[str, ...]) -> str:
    r = subprocess.run([REPLYGUARD, "held", "recover", "--state-dir", str(state), *upstream],
                       env=env_with(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def held_ids(state: Path) -> list[str]:
    return [h.id for h in Quarantine(state / "held").all()]


@pytest.fixture
def sink():
    with Sink() as s:
        yield s


def test_sigkill_while_upstream_is_slow_before_data_rolls_back(tmp_path: Path, sink: Sink) -> None:
    """Killed while waiting for RCPT: nothing was sent; recover puts it back; one delivery."""
    state = tmp_path / "var"
    hid = Quarantine(state / "held").hold(RAW, ENV, VERDICT)
    upstream = ("--upstream", f"127.0.0.1:{sink.port}", "--upstream-tls", "none")
    sink.behaviour.delay["RCPT"] = 3
    proc = subprocess.Popen([REPLYGUARD, "held", "release", hid, "--state-dir", str(state), *upstream],
                            env=env_with(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while Quarantine(state / "held").get(hid).state != "releasing" and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert Quarantine(state / "held").get(hid).meta["phase"] == "connect"
    sink.behaviour.delay.clear()
    out = recover(state, upstream)
    assert "back to held" in out
    assert sink.messages == [] and held_ids(state) == [hid]
    r = release(state, hid, upstream)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(sink.messages) == 1 and held_ids(state) == []
    outcomes = [x["outcome"] for x in audit.iter_records(state / "audit")]
    assert outcomes == ["release-rolled-back", "released"]
    assert audit.verify(state / "audit").ok


@pytest.mark.parametrize("point", ["release:before-connect", "release:before-data", "release:after-answer",
                                   "release:after-record"])
def test_crash_points_with_local_maildir_are_exactly_once(tmp_path: Path, point: str) -> None:
    state = tmp_path / "var"
    hid = Quarantine(state / "held").hold(RAW, ENV, VERDICT)
    r = release(state, hid, (), REPLYGUARD_CRASH_AT=point)
    assert r.returncode == -signal.SIGKILL
    recover(state, ())
    delivered = list((state / "outbox" / "new").glob("*")) if (state / "outbox" / "new").exists() else []
    held = held_ids(state)
    assert len(delivered) + len(held) == 1, (delivered, held)
    if held:      # rolled back: releasing again delivers exactly once
        assert release(state, hid, ()).returncode == 0
    delivered = list((state / "outbox" / "new").glob("*"))
    assert len(delivered) == 1 and held_ids(state) == []
    assert delivered[0].read_bytes().endswith(RAW)
    assert [x["outcome"] for x in audit.iter_records(state / "audit")][-1] == "released"
    assert audit.verify(state / "audit").ok


@pytest.mark.parametrize("point, sent, held", [
    ("release:before-connect", 0, 1),   # rolled back, nothing sent
    ("release:before-data", 0, 1),      # MAIL/RCPT done, DATA not: the upstream has nothing
    ("release:after-record", 1, 0),     # answer written down: recovery finishes it
])
def test_crash_points_with_upstream_are_exactly_once(tmp_path: Path, sink: Sink, point: str, sent: int, held: int) -> None:
    state = tmp_path / "var"
    hid = Quarantine(state / "held").hold(RAW, ENV, VERDICT)
    upstream = ("--upstream", f"127.0.0.1:{sink.port}", "--upstream-tls", "none")
    r = release(state, hid, upstream, REPLYGUARD_CRASH_AT=point)
    assert r.returncode == -signal.SIGKILL
    recover(state, upstream)
    assert (len(sink.messages), len(held_ids(state))) == (sent, held)
    if held:
        assert release(state, hid, upstream).returncode == 0
    assert len(sink.messages) == 1 and held_ids(state) == []
    assert audit.verify(state / "audit").ok


def test_crash_after_upstream_accepted_is_not_resent(tmp_path: Path, sink: Sink) -> None:
    """The one window that cannot be exactly-once: the upstream said 250, we died before
    writing it down. We choose not to re-send (no duplicate to the customer): the message
    stays held, flagged, and the audit says so (docs/compliance.md)."""
    state = tmp_path / "var"
    hid = Quarantine(state / "held").hold(RAW, ENV, VERDICT)
    upstream = ("--upstream", f"127.0.0.1:{sink.port}", "--upstream-tls", "none")
    r = release(state, hid, upstream, REPLYGUARD_CRASH_AT="release:after-answer")
    assert r.returncode == -signal.SIGKILL
    assert len(sink.messages) == 1
    out = recover(state, upstream)
    assert "NOT re-sent" in out
    assert len(sink.messages) == 1
    meta = Quarantine(state / "held").get(hid).meta
    assert meta["state"] == "held" and meta["maybe_delivered"] is True
    assert [x["outcome"] for x in audit.iter_records(state / "audit")] == ["release-uncertain"]
    r = subprocess.run([REPLYGUARD, "held", "list", "--state-dir", str(state)], capture_output=True, text=True)
    assert "held?" in r.stdout


# --- SIGKILL during audit appends --------------------------------------------------------------


def test_sigkill_during_audit_appends_keeps_the_chain(tmp_path: Path) -> None:
    d = tmp_path / "audit"
    proc = subprocess.Popen([PYTHON, "-c", AUDIT_LOOP, str(d)], env=env_with(), stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()
    time.sleep(0.4)
    proc.send_signal(signal.SIGKILL)
    rest, _ = proc.communicate()
    acked = [int(x) for x in rest.split() if x.isdigit()]
    log = AuditLog(d)             # restart: repairs a torn last line if the kill left one
    log.record(envelope=ENV, outcome="accepted", reply="250")
    log.close()
    ok, count, broken = audit.verify(d)
    assert ok, broken
    assert count >= max(acked) + 1


# --- disk full --------------------------------------------------------------------------------


def fill(path: Path) -> None:
    """Write until the file system says ENOSPC (unbuffered: nothing left to flush later)."""
    with open(path, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"x" * 1024)
        except OSError as exc:
            assert exc.errno == 28


@pytest.fixture
def small_fs(tmp_path: Path):
    """A real 192 KiB tmpfs: ENOSPC from the kernel, not a mock (tests run as root)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_full_audit_raises_and_keeps_every_acknowledged_record(small_fs: Path) -> None:
    log = AuditLog(small_fs / "audit", rotate_bytes=40000, reserve_bytes=32 * 1024)
    assert log.ready()
    acked, acked_when_not_ready = 0, 0
    with pytest.raises(AuditUnavailable, match="disk full"):
        for _ in range(100000):
            log.record(envelope=ENV, outcome="accepted", reply="250 2.0.0 ok " + "x" * 200)
            acked += 1
            if not log.ready():
                acked_when_not_ready += 1
    # The reserve was given back at the first ENOSPC: the door saw ready() == False (and
    # answers 4xx before acting) while records of actions already taken still fit.
    assert acked > 100 and acked_when_not_ready > 32 * 1024 // 600
    assert not log.ready()
    ok, count, broken = audit.verify(small_fs / "audit")
    assert ok, broken
    assert count == acked
    with pytest.raises(AuditUnavailable):       # still full: still a clear error, chain untouched
        log.record(envelope=ENV, outcome="accepted", reply="250")
    assert tuple(audit.verify(small_fs / "audit")) == (True, acked, None)
    for seg in audit.segments(small_fs / "audit")[:-1]:   # old segments archived elsewhere: room again
        seg.unlink()
    assert log.ready()                          # the reserve is back, the door takes mail again
    rec = log.record(envelope=ENV, outcome="accepted", reply="250")
    assert rec["seq"] == acked + 1
    log.close()


def test_ready_is_false_while_the_disk_is_full(small_fs: Path) -> None:
    """ready() turns False as soon as the reserve cannot be kept, before any record is lost."""
    log = AuditLog(small_fs / "audit", reserve_bytes=64 * 1024)
    ballast = small_fs / "ballast"
    fill(ballast)
    log._release_reserve()      # what the first ENOSPC does; then the records use the space up
    fill(small_fs / "ballast2")
    assert not log.ready()
    ballast.unlink()
    assert log.ready()
    log.close()


def test_disk_full_hold_raises_and_leaves_no_debris(small_fs: Path) -> None:
    q = Quarantine(small_fs / "held")
    ids = []
    with pytest.raises(OSError) as exc:
        for _ in range(1000):
            ids.append(q.hold(RAW, ENV, VERDICT))
    assert exc.value.errno == 28
    assert ids
    assert not [p for p in (small_fs / "held").iterdir() if p.name.endswith(".tmp")]
    Quarantine(small_fs / "held").recover()
    stored = {h.id for h in Quarantine(small_fs / "held").all()}
    assert stored == set(ids)
    for hid in ids:
        assert q.get(hid).raw() == RAW
        json.loads((small_fs / "held" / f"{hid}.json").read_text())


# --- the real gateway process ----------------------------------------------------------------

GATEWAY_DRIVER = """
import asyncio, signal, sys
from proxy import config
from proxy.audit import open_log
from proxy.policy.verdict import Action, Finding, Verdict
from proxy.release import GatewayHolder, from_config
from proxy.smtp.submission import Gateway, SubmissionHandler

cfg = config.loads(open(sys.argv[1]).read(), sys.argv[1])
HOLD = Verdict(Action.HOLD, (Finding('quote-altered', Action.HOLD, 'quote changed', message_en='quote changed'),),
               ('quote-altered',), 'test-policy')

def decider(info, message):   # stands in for the policy engine: the subject says what to do
    if 'HOLDME' in message.subject:
        return HOLD
    if 'DELAYME' in message.subject:
        return Verdict(Action.ACCEPT, (), ('quote-altered',), 'test-policy', delay_seconds=float(sys.argv[2]))
    return Verdict(Action.ACCEPT, (), ('quote-altered',), 'test-policy')

if len(sys.argv) > 4:          # the real policy engine instead of the stand-in
    from proxy.policy.reload import gateway_engine
    decider = gateway_engine(sys.argv[4], cfg.state_dir)[0].decide
auditor = open_log(cfg.state_dir, cfg.audit, reserve_bytes=int(sys.argv[3]))
holder = GatewayHolder(from_config(cfg, auditor))
for line in asyncio.run(holder.releaser.recover()):
    print('recovered:', line, flush=True)
handler = SubmissionHandler(cfg, decider=decider, holder=holder, auditor=auditor, hostname='gateway.test')

async def main():
    gw = Gateway(cfg, handler, hostname='gateway.test')
    addrs = await gw.start()
    print('LISTEN', addrs[0][1], flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    task = asyncio.create_task(holder.periodic(cfg.hold.interval, stop))
    await stop.wait()
    await task
    await gw.stop(1)

asyncio.run(main())
"""


class GatewayProcess:
    """replyguard's submission door in its own process (so it can be SIGKILLed)."""

    def __init__(self, tmp: Path, state: Path, sink_port: int | None, *, delay: float = 2.0,
                 interval: float = 0.2, reserve: int = 1024 * 1024, crash_at: str | None = None,
                 policy: Path | None = None):
        self.cfg = tmp / "gateway.yaml"
        up = f"upstream:\n  host: 127.0.0.1\n  port: {sink_port}\n  tls: none\n  auth: none\n" if sink_port else ""
        self.cfg.write_text(f"state_dir: {state}\nlisteners:\n  - address: 127.0.0.1:0\n    tls: none\n"
                            f"hold:\n  interval: {interval}\n{up}")
        self.args = [PYTHON, "-c", GATEWAY_DRIVER, str(self.cfg), str(delay), str(reserve)]
        if policy is not None:
            self.args.append(str(policy))
        self.crash_at = crash_at
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        self.recovered: list[str] = []

    def start(self) -> "GatewayProcess":
        extra = {"REPLYGUARD_CRASH_AT": self.crash_at} if self.crash_at else {}
        self.proc = subprocess.Popen(self.args, env=env_with(**extra), stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("recovered:"):
                self.recovered.append(line.strip())
            if line.startswith("LISTEN"):
                self.port = int(line.split()[1])
                return self
        raise AssertionError("gateway did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def swaks(port: int, subject: str, *, data: Path | None = None, sender: str = "sato@support.example") -> str:
    args = ["swaks", "--server", "127.0.0.1", "--port", str(port), "--from", sender,
            "--to", "tanaka@customer.example", "--helo", "agent.test", "--timeout", "20"]
    args += ["--data", f"@{data}"] if data else ["--header", f"Subject: {subject}", "--body", "Dear customer"]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    return r.stdout + r.stderr


def final_reply(transcript: str) -> str:
    """The server's answer to the end of DATA, as swaks shows it."""
    lines = [ln for ln in transcript.splitlines() if ln.startswith("<~") or ln.startswith("<-") or ln.startswith("<**")]
    after_dot = [i for i, ln in enumerate(transcript.splitlines()) if ln.strip().endswith(" .")]
    if not after_dot:
        return "\n".join(lines[-2:])
    rest = transcript.splitlines()[after_dot[-1] + 1:]
    return next((ln for ln in rest if ln.startswith("<")), "")


def hold_id_in(text: str) -> str:
    import re

    m = re.search(r"id (\d{8}T\d{6}-[0-9a-f]{6})", text)
    assert m, text
    return m.group(1)


def test_gateway_sigkill_during_hold_write_then_retry_holds_once(tmp_path: Path) -> None:
    state = tmp_path / "var"
    gw = GatewayProcess(tmp_path, state, None, crash_at="hold:after-eml").start()
    out = swaks(gw.port, "HOLDME please")
    gw.proc.wait(10)
    assert gw.proc.returncode == -signal.SIGKILL
    assert "250 2.0.0 held" not in out             # the client was not told 250
    assert len(list((state / "held").glob("*.eml"))) == 1 and held_ids(state) == []
    gw = GatewayProcess(tmp_path, state, None).start()
    try:
        assert any("never completed" in ln for ln in gw.recovered)
        out = swaks(gw.port, "HOLDME please")      # the client retries
        assert "250 2.0.0 held for review: quote-altered" in final_reply(out), out
        assert held_ids(state) == [hold_id_in(final_reply(out))]
        assert len(list((state / "held").glob("*.eml"))) == 1
    finally:
        gw.stop()
    assert audit.verify(state / "audit").ok


def test_gateway_sigkill_during_data_nothing_half_done(tmp_path: Path, sink: Sink) -> None:
    import socket

    state = tmp_path / "var"
    gw = GatewayProcess(tmp_path, state, sink.port).start()
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    f = s.makefile("rwb")

    def cmd(line: bytes) -> bytes:
        f.write(line + b"\r\n")
        f.flush()
        reply = f.readline()
        while reply[3:4] == b"-":
            reply = f.readline()
        return reply

    f.readline()
    assert cmd(b"EHLO agent.test").startswith(b"250")
    assert cmd(b"MAIL FROM:<sato@support.example>").startswith(b"250")
    assert cmd(b"RCPT TO:<tanaka@customer.example>").startswith(b"250")
    assert cmd(b"DATA").startswith(b"354")
    f.write(b"Subject: HOLDME half\r\n\r\nfirst half of the body\r\n")
    f.flush()
    time.sleep(0.3)
    gw.kill()                                       # mid-DATA
    assert f.readline() == b""                      # no 250 ever came
    s.close()
    gw = GatewayProcess(tmp_path, state, sink.port).start()
    try:
        assert held_ids(state) == [] and sink.messages == []
        out = swaks(gw.port, "HOLDME again")
        assert "250 2.0.0 held" in final_reply(out)
        assert len(held_ids(state)) == 1 and sink.messages == []
    finally:
        gw.stop()
    assert audit.verify(state / "audit").ok


def test_gateway_sigkill_during_delayed_release_then_exactly_once(tmp_path: Path, sink: Sink) -> None:
    state = tmp_path / "var"
    sink.behaviour.delay["RCPT"] = 5
    gw = GatewayProcess(tmp_path, state, sink.port, delay=0.3, interval=0.1).start()
    out = swaks(gw.port, "DELAYME soon")
    hid = hold_id_in(final_reply(out))
    assert "will be sent in 0 s" in final_reply(out) and f"CANCEL {hid}" in final_reply(out)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Quarantine(state / "held").get(hid).state != "releasing":
        time.sleep(0.02)
    time.sleep(0.2)
    gw.kill()                                       # the release is waiting for the upstream's RCPT answer
    sink.behaviour.delay.clear()
    assert Quarantine(state / "held").get(hid).state == "releasing"
    gw = GatewayProcess(tmp_path, state, sink.port, delay=0.3, interval=0.1).start()
    try:
        assert any("back to held" in ln for ln in gw.recovered), gw.recovered
        got = sink.wait_for(1, timeout=10)
        time.sleep(0.5)
        assert len(got) == 1 and len(sink.messages) == 1
        assert held_ids(state) == []
    finally:
        gw.stop()
    outcomes = [r["outcome"] for r in audit.iter_records(state / "audit")]
    assert outcomes == ["delayed", "release-rolled-back", "released-delayed"]
    assert audit.verify(state / "audit").ok


def test_gateway_disk_full_answers_4xx_and_loses_nothing(tmp_path: Path, small_fs: Path) -> None:
    state = small_fs / "var"
    gw = GatewayProcess(tmp_path, state, None, reserve=24 * 1024).start()
    try:
        assert "250 2.0.0 held" in final_reply(swaks(gw.port, "HOLDME before"))
        ballast = small_fs / "ballast"
        fill(ballast)
        replies = [final_reply(swaks(gw.port, f"HOLDME full {i}")) for i in range(3)]
        replies += [final_reply(swaks(gw.port, "plain accept while full"))]
        assert all(" 451 " in r or r.startswith("<** 451") for r in replies), replies
        ballast.unlink()
        assert "250 2.0.0 held" in final_reply(swaks(gw.port, "HOLDME after"))
    finally:
        gw.stop()
    ok, count, broken = audit.verify(state / "audit")
    assert ok, broken
    recs = list(audit.iter_records(state / "audit"))
    assert [r["outcome"] for r in recs if r["outcome"] == "held"] == ["held", "held"]
    assert len(held_ids(state)) == 2
    assert not [p for p in (state / "held").iterdir() if p.name.endswith(".tmp")]


def test_replyguard_serve_recovers_at_start_and_audits(tmp_path: Path) -> None:
    """The real `replyguard serve`: recovery before listening, then every outcome in the log."""
    state = tmp_path / "var"
    q = Quarantine(state / "held")
    rolled = q.hold(RAW, ENV, VERDICT)
    q.update(rolled, state="releasing", phase="connect")               # a release killed before DATA
    (state / "held" / "20260101T000000-abcdef.eml").write_bytes(RAW)    # a hold killed before its commit
    cfg = tmp_path / "gw.yaml"
    cfg.write_text(f"state_dir: {state}\nlisteners:\n  - address: 127.0.0.1:0\n    tls: none\n")
    proc = subprocess.Popen([REPLYGUARD, "serve", "--config", str(cfg)], env=env_with(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line.strip())
            if "listening on" in line:
                break
        port = int(lines[-1].split("127.0.0.1:")[1].split()[0])
        assert any("never completed" in ln for ln in lines), lines
        assert any(f"{rolled}: release was interrupted before anything was sent" in ln for ln in lines), lines
        reply = final_reply(swaks(port, "hello"))   # whatever the shipped policy says about it
        assert "250 2.0.0" in reply or "550 5.7.1" in reply, reply
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    assert Quarantine(state / "held").get(rolled).state == "held"
    outcomes = [r["outcome"] for r in audit.iter_records(state / "audit")]
    assert outcomes[0] == "release-rolled-back" and outcomes[1] in ("accepted", "warned", "rejected", "delayed")
    assert len(outcomes) == 2
    assert audit.verify(state / "audit").ok
