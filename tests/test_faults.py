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
    log = AuditLog(small_fs / "audit", rotate_bytes=40000)
    acked = 0
    with pytest.raises(AuditUnavailable, match="disk full"):
        for _ in range(100000):
            log.record(envelope=ENV, outcome="accepted", reply="250 2.0.0 ok " + "x" * 200)
            acked += 1
    assert acked > 100
    ok, count, broken = audit.verify(small_fs / "audit")
    assert ok, broken
    assert count == acked
    with pytest.raises(AuditUnavailable):       # still full: still a clear error, chain untouched
        log.record(envelope=ENV, outcome="accepted", reply="250")
    assert tuple(audit.verify(small_fs / "audit")) == (True, acked, None)
    (small_fs / "ballast").unlink(missing_ok=True)
    segs = audit.segments(small_fs / "audit")
    for seg in segs[:-1]:                       # archive old segments elsewhere: room again
        seg.unlink()
    log2 = AuditLog(small_fs / "audit")
    rec = log2.record(envelope=ENV, outcome="accepted", reply="250")
    assert rec["seq"] == acked + 1
    log.close()
    log2.close()


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
