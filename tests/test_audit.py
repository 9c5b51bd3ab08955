"""Compliance log: the chain catches every kind of tampering at the right place, rotation
keeps it, records hold what compliance needs and nothing more, and the CLI says so."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from proxy import audit
from proxy.audit import AuditLog, verify
from proxy.decision import EnvelopeInfo
from proxy.message import parse
from proxy.policy.verdict import Action, Finding, Verdict

REPLYGUARD = str(Path(sys.executable).with_name("replyguard"))
T0 = datetime(2026, 4, 1, 9, 0, 0, tzinfo=timezone.utc)

RAW = (
    b"From: Agent Sato <sato@support.example>\r\nTo: tanaka@customer.example\r\n"
    b"Subject: Re: order 1234\r\nMessage-ID: <r1@support.example>\r\n\r\n"
    b"Secret body text: card 4111 1111 1111 1111\r\n"
)


class Clock:
    """A clock the test moves (Mailman's utilities/datetime.py idea)."""

    def __init__(self, start: datetime = T0):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def env(i: int = 0, door: str = "submission") -> EnvelopeInfo:
    return EnvelopeInfo(
        door=door, mail_from=f"agent{i % 3}@support.example", rcpt_tos=(f"cust{i}@customer.example",),
        client_ip="127.0.0.1", auth_user=f"agent{i % 3}",
    )


VERDICT = Verdict(
    Action.HOLD,
    (Finding("quote-altered", Action.HOLD, "quote changed", evidence="the customer's long quoted sentence here", where="quote 1"),),
    rules_run=("subject-changed", "quote-altered"),
    policy_version="sha256:abc",
)


def fill(d: Path, n: int, *, clock: Clock | None = None, rotate_bytes: int = 10**9) -> AuditLog:
    log = AuditLog(d, clock=clock or Clock(), rotate_bytes=rotate_bytes)
    msg = parse(RAW)
    for i in range(n):
        log.record(envelope=env(i), outcome="held" if i % 2 else "accepted", reply="250 2.0.0 ok",
                   message=msg, verdict=VERDICT if i % 2 else None)
    return log


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def only_segment(d: Path) -> Path:
    segs = audit.segments(d)
    assert len(segs) == 1
    return segs[0]


def test_intact_log_verifies_with_count(tmp_path: Path) -> None:
    fill(tmp_path, 10).close()
    assert tuple(verify(tmp_path)) == (True, 10, None)


def test_record_content_and_no_body(tmp_path: Path) -> None:
    log = fill(tmp_path, 2)
    text = only_segment(tmp_path).read_text()
    assert "Secret body" not in text and "4111" not in text
    rec = json.loads(text.splitlines()[1])
    assert rec["seq"] == 2 and rec["time"] == "2026-04-01T09:00:00.000000Z"
    assert rec["door"] == "submission" and rec["outcome"] == "held"
    assert rec["envelope"] == {"mail_from": "agent1@support.example", "rcpt_tos": ["cust1@customer.example"],
                               "client_ip": "127.0.0.1", "helo": "", "auth_user": "agent1"}
    assert rec["message_id"] == "r1@support.example" and rec["subject"] == "Re: order 1234"
    assert rec["policy_version"] == "sha256:abc" and rec["rules_run"] == ["subject-changed", "quote-altered"]
    assert rec["findings"] == [{"rule": "quote-altered", "action": "hold", "where": "quote 1",
                                "evidence": "the customer's long quot…"}]
    assert "body_sha256" not in rec
    first = json.loads(text.splitlines()[0])
    assert first["prev"] == audit.GENESIS and rec["prev"] == first["hash"]
    log.close()


def test_evidence_off_and_body_digest_on(tmp_path: Path) -> None:
    log = AuditLog(tmp_path, evidence="none", body_digest=True, clock=Clock())
    rec = log.record(envelope=env(), outcome="held", reply="250", message=parse(RAW), verdict=VERDICT)
    assert "evidence" not in rec["findings"][0]
    assert len(rec["body_sha256"]) == 64
    log.close()


def test_operator_and_detail(tmp_path: Path) -> None:
    log = AuditLog(tmp_path, clock=Clock())
    rec = log.record(envelope=env(door="release"), outcome="released", reply="250 queued",
                     operator="suzuki", detail={"hold_id": "H1"})
    assert rec["operator"] == "suzuki" and rec["detail"] == {"hold_id": "H1"}
    log.close()


@pytest.mark.parametrize(
    "tamper, line, why",
    [
        ("edit", 5, "record edited"),
        ("delete", 5, "deleted or reordered"),
        ("reorder", 5, "deleted or reordered"),
        ("truncate", 5, "truncated"),
        ("cut-line", 5, "truncated"),
        ("edit-seq-and-rehash", 5, "deleted or reordered"),
    ],
)
def test_tampering_is_found_at_its_position(tmp_path: Path, tamper: str, line: int, why: str) -> None:
    fill(tmp_path, 10).close()
    seg = only_segment(tmp_path)
    ls = lines(seg)
    i = line - 1
    if tamper == "edit":
        ls[i] = ls[i].replace(b"cust4@customer.example", b"cust9@customer.example")
    elif tamper == "delete":
        del ls[i]
    elif tamper == "reorder":
        ls[i], ls[i + 1] = ls[i + 1], ls[i]
    elif tamper == "truncate":       # the middle of the segment cut away mid-record
        ls = ls[:i] + [ls[i][:40]] + ls[i + 2:]
    elif tamper == "cut-line":       # a record cut short with its line end kept
        ls[i] = ls[i][:60] + b"\n"
    elif tamper == "edit-seq-and-rehash":  # a forger who recomputes the record's own hash
        rec = json.loads(ls[i])
        rec.pop("hash")
        rec["outcome"] = "accepted"
        rec["prev"] = "f" * 64
        rec["hash"] = audit.chain_hash(rec["prev"], rec)
        ls[i] = audit.canonical(rec) + b"\n"
    seg.write_bytes(b"".join(ls))
    result = verify(tmp_path)
    assert not result.ok
    assert result.first_broken is not None
    assert (result.first_broken.file, result.first_broken.line) == (seg.name, line), result
    assert why in result.first_broken.why
    assert result.count == line - 1


def test_rotation_by_size_keeps_the_chain(tmp_path: Path) -> None:
    fill(tmp_path, 40, rotate_bytes=3000).close()
    segs = audit.segments(tmp_path)
    assert len(segs) > 3
    assert [s.name for s in segs][:2] == ["audit-20260401-001.jsonl", "audit-20260401-002.jsonl"]
    assert all(s.stat().st_size <= 3000 for s in segs)
    assert tuple(verify(tmp_path)) == (True, 40, None)
    first_of_second = json.loads(lines(segs[1])[0])
    last_of_first = json.loads(lines(segs[0])[-1])
    assert first_of_second["prev"] == last_of_first["hash"]


def test_rotation_by_day(tmp_path: Path) -> None:
    clock = Clock(T0.replace(hour=23, minute=59, second=59))
    log = AuditLog(tmp_path, clock=clock)
    log.record(envelope=env(), outcome="accepted", reply="250")
    clock.tick(seconds=2)
    log.record(envelope=env(), outcome="accepted", reply="250")
    log.close()
    assert [s.name for s in audit.segments(tmp_path)] == ["audit-20260401-001.jsonl", "audit-20260402-001.jsonl"]
    assert verify(tmp_path).ok


def test_clock_going_back_a_day_keeps_segment_order(tmp_path: Path) -> None:
    clock = Clock(T0)
    log = AuditLog(tmp_path, clock=clock)
    log.record(envelope=env(), outcome="accepted", reply="250")
    clock.tick(days=-1)
    log.record(envelope=env(), outcome="accepted", reply="250")
    log.close()
    assert [s.name for s in audit.segments(tmp_path)] == ["audit-20260401-001.jsonl"]
    assert tuple(verify(tmp_path)) == (True, 2, None)


def test_missing_segment_is_a_gap(tmp_path: Path) -> None:
    fill(tmp_path, 40, rotate_bytes=3000).close()
    segs = audit.segments(tmp_path)
    segs[1].unlink()
    result = verify(tmp_path)
    assert not result.ok and result.first_broken is not None
    assert (result.first_broken.file, result.first_broken.line) == (segs[2].name, 1)
    assert "segment missing" in result.first_broken.why


def test_segment_cut_at_a_line_boundary_is_a_gap(tmp_path: Path) -> None:
    fill(tmp_path, 40, rotate_bytes=3000).close()
    segs = audit.segments(tmp_path)
    seg0 = lines(segs[0])
    segs[0].write_bytes(b"".join(seg0[:-2]))
    result = verify(tmp_path)
    assert result.first_broken is not None
    assert (result.first_broken.file, result.first_broken.line) == (segs[1].name, 1)


def test_reopen_continues_the_chain_and_repairs_a_torn_tail(tmp_path: Path) -> None:
    fill(tmp_path, 3).close()
    seg = only_segment(tmp_path)
    with open(seg, "ab") as fh:   # a writer killed inside write(): never acknowledged
        fh.write(b'{"seq":4,"time":"2026-')
    assert not verify(tmp_path).ok
    log = AuditLog(tmp_path, clock=Clock())
    rec = log.record(envelope=env(), outcome="accepted", reply="250")
    log.close()
    assert rec["seq"] == 4
    assert tuple(verify(tmp_path)) == (True, 4, None)


def test_two_writers_share_one_chain(tmp_path: Path) -> None:
    """The gateway and a `held release` CLI both append: the flock keeps one chain."""
    a = AuditLog(tmp_path, clock=Clock())
    b = AuditLog(tmp_path, clock=Clock())
    for i in range(10):
        (a if i % 3 else b).record(envelope=env(i), outcome="accepted", reply="250")
    a.close()
    b.close()
    assert tuple(verify(tmp_path)) == (True, 10, None)


def test_threads_group_commit(tmp_path: Path) -> None:
    log = AuditLog(tmp_path, rotate_bytes=20000)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for i in range(40):
                log.record(envelope=env(k * 100 + i), outcome="accepted", reply="250")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    assert not errors
    assert tuple(verify(tmp_path)) == (True, 320, None)
    seqs = [r["seq"] for r in audit.iter_records(tmp_path)]
    assert seqs == list(range(1, 321))


def test_write_nowait_then_sync_soon(tmp_path: Path) -> None:
    """The event-loop path: write without blocking, flush on the flusher thread; it declines
    (writing nothing) whenever it would block, and the chain stays one chain."""
    clock = Clock()
    a = AuditLog(tmp_path, clock=clock, rotate_bytes=3000)
    other = AuditLog(tmp_path, clock=clock, rotate_bytes=3000)  # another process's writer
    content = lambda i: a.build(envelope=env(i), outcome="accepted", reply="250")  # noqa: E731
    assert a.write_nowait(content(0)) is None     # no segment yet: creating one may block
    a.append(content(0))
    rec, ticket = a.write_nowait(content(1)) or (None, 0)
    assert rec is not None and rec["seq"] == 2 and a.needs_sync(ticket)
    done = threading.Event()
    errors: list[object] = []
    a.sync_soon(ticket, lambda err: (errors.append(err), done.set()))
    assert done.wait(10) and errors == [None] and not a.needs_sync(ticket)
    other.record(envelope=env(2), outcome="accepted", reply="250")
    assert a.write_nowait(content(3)) is None     # another writer appended: tail to re-read
    a.append(content(3))
    with open(tmp_path / ".lock", "a+b") as held:  # another process holds the log
        audit.fcntl.flock(held, audit.fcntl.LOCK_EX)
        assert a.write_nowait(content(4)) is None
    for i in range(4, 40):                        # rotation (by size) is left to append
        if a.write_nowait(content(i)) is None:
            a.append(content(i))
    assert len(audit.segments(tmp_path)) > 1
    a.close()
    other.close()
    assert tuple(verify(tmp_path)) == (True, 40, None)


def test_search_filters(tmp_path: Path) -> None:
    clock = Clock()
    log = AuditLog(tmp_path, clock=clock)
    msg = parse(RAW)
    for i in range(6):
        log.record(envelope=env(i), outcome="held" if i % 2 else "accepted", reply="250",
                   message=msg, verdict=VERDICT if i % 2 else None)
        clock.tick(hours=1)
    log.close()
    d = tmp_path
    assert len(list(audit.search(d))) == 6
    assert [r["seq"] for r in audit.search(d, outcome="held")] == [2, 4, 6]
    assert [r["seq"] for r in audit.search(d, rule="quote-altered")] == [2, 4, 6]
    assert [r["seq"] for r in audit.search(d, sender="AGENT1@support.example")] == [2, 5]
    assert len(list(audit.search(d, sender="@support.example"))) == 6
    assert [r["seq"] for r in audit.search(d, recipient="cust3@customer.example")] == [4]
    assert len(list(audit.search(d, message_id="<r1@support.example>"))) == 6
    since, until = T0 + timedelta(hours=2), T0 + timedelta(hours=4)
    assert [r["seq"] for r in audit.search(d, since=since, until=until)] == [3, 4]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([REPLYGUARD, *args], capture_output=True, text=True, timeout=60)


def test_cli_verify_ok_and_broken(tmp_path: Path) -> None:
    fill(tmp_path / "audit", 7).close()
    r = run("audit", "verify", "--state-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "OK: 7 records"
    seg = only_segment(tmp_path / "audit")
    ls = lines(seg)
    del ls[2]
    seg.write_bytes(b"".join(ls))
    r = run("audit", "verify", "--state-dir", str(tmp_path))
    assert r.returncode == 1
    assert f"{seg.name} line 3" in r.stdout


def test_cli_verify_without_log_is_a_usage_error(tmp_path: Path) -> None:
    r = run("audit", "verify", "--state-dir", str(tmp_path))
    assert r.returncode == 2 and "no compliance log" in r.stderr


def test_cli_search_formats(tmp_path: Path) -> None:
    fill(tmp_path / "audit", 4).close()
    base = ("audit", "search", "--state-dir", str(tmp_path), "--outcome", "held")
    r = run(*base, "--format", "json")
    assert r.returncode == 0, r.stderr
    recs = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["seq"] for x in recs] == [2, 4]
    r = run(*base, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [x["seq"] for x in rows] == ["2", "4"] and rows[0]["rules"] == "quote-altered:hold"
    r = run(*base)
    assert "(2 records)" in r.stdout and "OUTCOME" in r.stdout
    r = run("audit", "search", "--state-dir", str(tmp_path), "--since", "yesterday")
    assert r.returncode == 2 and "--since" in r.stderr
