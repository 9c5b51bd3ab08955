"""The compliance log: one hash-chained JSON line per decision, durable before the reply.

Why a hash chain in plain files: compliance officers must show, months later, what was
decided and that nobody edited the record since. Each record carries the hash of the one
before it (`prev`) and its own `hash = sha256(prev + canonical JSON of the record)`, so an
edit, a deleted record or two swapped records break the chain at a position `verify` can
name (file and line). Plain JSON lines stay readable with grep and jq for decades.

Segments are `audit/audit-YYYYMMDD-NNN.jsonl`; a new one starts on a new UTC day or when
the current one would exceed `rotate_bytes`, and its first record links to the last hash
of the previous segment, so a whole missing segment is a gap `verify` reports too.

Durability (see docs/compliance.md): with `fsync="always"` (the default and the
recommendation) `record()` returns only after the line is on stable storage; concurrent
callers share one fsync (group commit), which is what keeps the cost low under load. An
event loop splits the two halves: `write_nowait()` (CPU work and one page-cache write, or
None when that could block) on the loop, then `sync_soon()` on the log's flusher thread,
and only then the reply.
Several processes (the gateway and `replyguard held release`) append to the same log:
an advisory `flock` serialises them and each re-reads the tail when another wrote.

What is never written: message bodies and credentials. Finding evidence is customer text,
so by default it is cut to a few characters (`evidence="short"`), or left out (`"none"`).
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proxy.decision import EnvelopeInfo
from proxy.message import ParsedMessage
from proxy.policy.verdict import Verdict

if TYPE_CHECKING:
    from proxy.config import AuditConfig

GENESIS = "0" * 64
SEGMENT_RE = re.compile(r"^audit-(\d{8})-(\d{3,})\.jsonl$")
FSYNC_POLICIES = ("always", "batch", "none")
EVIDENCE_POLICIES = ("short", "none", "full")
DEFAULT_ROTATE_BYTES = 64 * 1024 * 1024

log = logging.getLogger(__name__)


class AuditUnavailable(OSError):
    """The log cannot take a record (disk full, I/O error): the door must answer 4xx.

    A subclass of OSError so callers that already treat storage trouble as a tempfail
    do the right thing without knowing this module.
    """


def canonical(obj: Any) -> bytes:
    """The exact bytes that are hashed: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def chain_hash(prev: str, body: dict[str, Any]) -> str:
    """hash = sha256(prev + canonical(record without its own hash))."""
    return hashlib.sha256(prev.encode("ascii") + canonical(body)).hexdigest()


def segments(directory: str | os.PathLike[str]) -> list[Path]:
    """The log's segment files in chain order (date, then number)."""
    d = Path(directory)
    if not d.is_dir():
        return []
    found = []
    for p in d.iterdir():
        m = SEGMENT_RE.match(p.name)
        if m:
            found.append((m.group(1), int(m.group(2)), p))
    return [p for _, _, p in sorted(found)]


def default_operator() -> str:
    """Who ran a manual action: the sudo caller if any, else the login user."""
    return os.environ.get("SUDO_USER") or os.environ.get("USER") or os.environ.get("LOGNAME") or "unknown"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """ISO date or date-time (a trailing Z allowed); naive values are taken as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class AuditLog:
    """Implements `proxy.decision.Auditor` over a directory of hash-chained segments."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        fsync: str = "always",
        rotate_bytes: int = DEFAULT_ROTATE_BYTES,
        clock: Callable[[], datetime] = _utcnow,
        evidence: str = "short",
        evidence_chars: int = 24,
        body_digest: bool = False,
        batch_interval: float = 0.05,
        reserve_bytes: int = 1024 * 1024,
    ):
        if fsync not in FSYNC_POLICIES:
            raise ValueError(f"audit fsync must be one of {', '.join(FSYNC_POLICIES)}, not {fsync!r}")
        if evidence not in EVIDENCE_POLICIES:
            raise ValueError(f"audit evidence must be one of {', '.join(EVIDENCE_POLICIES)}, not {evidence!r}")
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync
        self.rotate_bytes = rotate_bytes
        self.clock = clock
        self.evidence = evidence
        self.evidence_chars = evidence_chars
        self.body_digest = body_digest
        self.batch_interval = batch_interval
        self.reserve_bytes = reserve_bytes
        self._reserve = self.dir / ".reserve"
        self._lock = threading.Lock()           # one writer thread at a time in this process
        self._sync_cond = threading.Condition()  # group commit: who has synced up to where
        self._written = 0                       # records written by this instance (local counter)
        self._synced = 0
        self._syncing = False
        self._last_sync = 0.0
        self._flush_cond = threading.Condition()  # sync_soon(): waiters for the flusher thread
        self._flush_waiters: list[tuple[int, Callable[[OSError | None], None]]] = []
        self._flusher: threading.Thread | None = None
        self._closing = False
        self._lockfile = open(self.dir / ".lock", "a+b")  # noqa: SIM115 — held for the log's life
        self._fd: int | None = None
        self._path: Path | None = None
        self._size = -1
        self._seq = 0
        self._hash = GENESIS
        self._dir_mtime = -1
        with self._lock:
            fcntl.flock(self._lockfile, fcntl.LOCK_EX)
            try:
                self._load_tail(repair=True)
            finally:
                fcntl.flock(self._lockfile, fcntl.LOCK_UN)
        self._make_reserve()

    # --- space reserve ----------------------------------------------------------------

    def _make_reserve(self) -> bool:
        """Keep `reserve_bytes` of disk allocated for records of actions already taken.

        The door records *after* acting (the upstream already said 250, the message is
        already held), so a full disk at that moment must not lose the record. When a
        write hits ENOSPC the reserve is given back and the write retried; from then on
        `ready()` is False, and the door answers 4xx *before* acting until there is room.
        """
        if self.reserve_bytes <= 0:
            return True
        try:
            try:
                if os.stat(self._reserve).st_size >= self.reserve_bytes:
                    return True
            except FileNotFoundError:
                pass
            fd = os.open(self._reserve, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.posix_fallocate(fd, 0, self.reserve_bytes)
                os.fsync(fd)
            finally:
                os.close(fd)
            return True
        except OSError:
            self._reserve.unlink(missing_ok=True)  # a partial reserve would only hide the problem
            return False

    def ready(self) -> bool:
        """Whether the door may take on new work: False while the disk has no room for
        the space reserve (checked again, cheaply, on every call)."""
        return self.reserve_bytes <= 0 or self._make_reserve()

    def _release_reserve(self) -> bool:
        if self.reserve_bytes > 0 and self._reserve.exists():
            self._reserve.unlink()
            return True
        return False

    # --- state of the tail ------------------------------------------------------------

    def _load_tail(self, *, repair: bool) -> None:
        """Find the last segment and its last good record; cut a torn last line.

        A torn last line can only come from a writer that died inside write(): record()
        had not returned, so nobody was told it was logged, and removing it keeps the
        chain verifiable. Anything broken *before* the last line is left alone for
        `verify` to report — the log never rewrites history.
        """
        segs = segments(self.dir)
        self._close_fd()
        self._seq, self._hash = 0, GENESIS
        for seg in reversed(segs):
            data = seg.read_bytes()
            if repair and data and not data.endswith(b"\n"):
                cut = data.rfind(b"\n") + 1
                with open(seg, "r+b") as fh:
                    fh.truncate(cut)
                    os.fsync(fh.fileno())
                data = data[:cut]
            lines = data.splitlines()
            if not lines:
                continue
            try:
                last = json.loads(lines[-1])
                self._seq, self._hash = int(last["seq"]), str(last["hash"])
            except (ValueError, KeyError, TypeError) as exc:
                raise AuditUnavailable(
                    errno.EIO,
                    f"compliance log {seg}: last record unreadable ({exc}); run `replyguard audit verify`",
                ) from exc
            break
        if segs:
            self._open(segs[-1])

    def _open(self, path: Path) -> None:
        self._close_fd()
        created = not path.exists()
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._path = path
        self._size = os.fstat(self._fd).st_size
        if created:
            self._fsync_dir()
            if self._dir_mtime != -1:  # our own new file (under the flock) is not news
                self._dir_mtime = os.stat(self.dir).st_mtime_ns

    def _close_fd(self) -> None:
        """Close the segment, syncing it first: records waiting for a group sync on it
        must not be left behind when another process (or rotation) moves us on."""
        if self._fd is not None:
            if self.fsync != "none":
                os.fsync(self._fd)
                with self._sync_cond:
                    self._synced = self._written
            os.close(self._fd)
        self._fd, self._path, self._size = None, None, -1

    def _fsync_dir(self) -> None:
        fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _refresh(self) -> None:
        """Another process may have appended or rotated since we last wrote: re-read.

        Cheap in the common case (two stat calls): an append by someone else changes our
        segment's size; a rotation creates a file, which changes the directory's mtime.
        Only then is the directory listed and the tail re-read.
        """
        dir_mtime = os.stat(self.dir).st_mtime_ns
        if self._fd is not None and dir_mtime == self._dir_mtime and os.fstat(self._fd).st_size == self._size:
            return
        segs = segments(self.dir)
        if (segs[-1] if segs else None) != self._path or (
            self._path is not None and self._size != os.stat(self._path).st_size
        ):
            self._load_tail(repair=False)
        self._dir_mtime = dir_mtime

    def _segment_for(self, when: datetime, size: int) -> Path:
        day = when.astimezone(timezone.utc).strftime("%Y%m%d")
        if self._path is not None:
            m = SEGMENT_RE.match(self._path.name)
            assert m
            if day < m.group(1):  # the clock went back: never write into an older day's name
                day = m.group(1)
            if m.group(1) == day and (self._size == 0 or self._size + size <= self.rotate_bytes):
                return self._path
            number = int(m.group(2)) + 1 if m.group(1) == day else 1
        else:
            number = 1
        return self.dir / f"audit-{day}-{number:03d}.jsonl"

    # --- writing ----------------------------------------------------------------------

    def build(
        self,
        *,
        envelope: EnvelopeInfo,
        outcome: str,
        reply: str,
        message: ParsedMessage | None = None,
        verdict: Verdict | None = None,
        operator: str | None = None,
        detail: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The record's content (without seq/time/prev/hash): only what compliance needs."""
        rec: dict[str, Any] = {
            "door": envelope.door,
            "envelope": {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "client_ip": envelope.client_ip,
                "helo": envelope.helo,
                "auth_user": envelope.auth_user,
            },
            "outcome": outcome,
            "reply": reply,
        }
        if message is not None:
            rec["message_id"] = message.message_id
            rec["subject"] = message.subject
            rec["from"] = message.from_.addr if message.from_ else None
            if self.body_digest:
                rec["body_sha256"] = hashlib.sha256(message.raw).hexdigest()
        if verdict is not None:
            rec["action"] = verdict.action.label
            rec["policy_version"] = verdict.policy_version
            rec["rules_run"] = list(verdict.rules_run)
            rec["findings"] = [self._finding(f) for f in verdict.findings]
            if verdict.shadow:
                rec["shadow"] = [self._finding(f) for f in verdict.shadow]
            if verdict.delay_seconds:
                rec["delay_seconds"] = verdict.delay_seconds
        if operator:
            rec["operator"] = operator
        if detail:
            rec["detail"] = {str(k): str(v) for k, v in detail.items()}
        return rec

    def _finding(self, f: Any) -> dict[str, str]:
        out = {"rule": f.rule, "action": f.action.label}
        if f.where:
            out["where"] = f.where
        if self.evidence == "full" and f.evidence:
            out["evidence"] = f.evidence
        elif self.evidence == "short" and f.evidence:
            ev = f.evidence
            out["evidence"] = ev if len(ev) <= self.evidence_chars else ev[: self.evidence_chars] + "…"
        return out

    def record(
        self,
        *,
        envelope: EnvelopeInfo,
        outcome: str,
        reply: str,
        message: ParsedMessage | None = None,
        verdict: Verdict | None = None,
        operator: str | None = None,
        detail: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Append one decision; returns the written record once it is durable.

        Raises AuditUnavailable when the log cannot be written (ENOSPC, EIO, …); the
        chain is left exactly as before, so the door can answer 4xx and try again later.
        """
        body = self.build(
            envelope=envelope, outcome=outcome, reply=reply, message=message,
            verdict=verdict, operator=operator, detail=detail,
        )
        return self.append(body)

    def append(self, content: dict[str, Any]) -> dict[str, Any]:
        """Chain and write one record built by `build` (or by hand, for CLI events); returns
        once it is as durable as the fsync policy says."""
        rec, ticket = self.write(content)
        self.sync(ticket)
        return rec

    def write(self, content: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Chain and write one record (may block on the locks and re-read the tail); returns
        the record and a ticket for `sync`. Not yet durable: `append` is write + sync."""
        with self._lock:
            fcntl.flock(self._lockfile, fcntl.LOCK_EX)
            try:
                self._refresh()
                written = self._chain_write(self.clock(), content, may_open=True)
                assert written is not None
                return written
            finally:
                fcntl.flock(self._lockfile, fcntl.LOCK_UN)

    def write_nowait(self, content: dict[str, Any]) -> tuple[dict[str, Any], int] | None:
        """`write` for a caller on an event loop: only CPU work and one page-cache write().

        Returns None, having written nothing, whenever that could block: another thread or
        process holds the log, another process appended or rotated since (the tail must be
        re-read), or the record needs a new segment (rotation syncs the old one). The caller
        then runs `append` on a thread. A returned record is written, not yet durable: call
        `sync(ticket)` (on a thread) when `needs_sync(ticket)` says so, before acknowledging.
        """
        if not self._lock.acquire(blocking=False):
            return None
        try:
            try:
                fcntl.flock(self._lockfile, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            try:
                if self._fd is None or os.fstat(self._fd).st_size != self._size \
                        or os.stat(self.dir).st_mtime_ns != self._dir_mtime:
                    return None
                return self._chain_write(self.clock(), content, may_open=False)
            finally:
                fcntl.flock(self._lockfile, fcntl.LOCK_UN)
        finally:
            self._lock.release()

    def needs_sync(self, ticket: int) -> bool:
        """Whether `sync(ticket)` has anything to do (cheap; no system call)."""
        if self.fsync == "always":
            return self._synced < ticket
        if self.fsync == "batch":
            return time.monotonic() - self._last_sync >= self.batch_interval
        return False

    def sync(self, ticket: int) -> None:
        """Make the record of `ticket` as durable as the fsync policy says (may block)."""
        if self.fsync == "always":
            self._group_sync(ticket)
        elif self.fsync == "batch":
            self._maybe_sync()

    def sync_soon(self, ticket: int, done: Callable[[OSError | None], None]) -> None:
        """`sync(ticket)` on the log's flusher thread; `done(None)` (or `done(error)`) is
        called from that thread when it finished. Everything waiting when a flush starts
        shares it, with no thread per waiter: one wake-up and one flush per batch, which is
        what an event loop with many sessions wants (the submission door uses this)."""
        with self._flush_cond:
            if self._closing:
                raise AuditUnavailable(errno.EIO, f"compliance log {self.dir} is closed")
            self._flush_waiters.append((ticket, done))
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._flush_loop, name="replyguard-audit-flush",
                                                 daemon=True)
                self._flusher.start()
            else:
                self._flush_cond.notify()

    def _flush_loop(self) -> None:
        while True:
            with self._flush_cond:
                while not self._flush_waiters and not self._closing:
                    self._flush_cond.wait()
                if not self._flush_waiters:
                    return
                waiters, self._flush_waiters = self._flush_waiters, []
            err: OSError | None = None
            try:
                self.sync(max(t for t, _ in waiters))
            except OSError as exc:
                err = exc
            for _, done in waiters:
                try:
                    done(err)
                except Exception:  # noqa: BLE001 - a waiter gone away (its loop closed) must not stop the flusher
                    pass

    def _chain_write(self, now: datetime, content: dict[str, Any], *,
                     may_open: bool) -> tuple[dict[str, Any], int] | None:
        """Under both locks, the tail fresh: link, hash and write one line."""
        prev = self._hash
        body = {"seq": self._seq + 1, "time": _iso(now), **content, "prev": prev}
        encoded = canonical(body)  # the one serialisation: hashed, and (plus the hash) stored
        digest = hashlib.sha256(prev.encode("ascii") + encoded).hexdigest()
        # the stored line is the hashed bytes with the hash appended as the last key
        line = b"".join((encoded[:-1], b',"hash":"', digest.encode("ascii"), b'"}\n'))
        target = self._segment_for(now, len(line))
        if target != self._path:
            if not may_open:
                return None
            self._open(target)  # syncs and closes the finished segment
        try:
            self._write(line)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT) or not self._release_reserve():
                raise self._unavailable(exc) from exc
            try:
                self._write(line)
            except OSError as exc2:
                raise self._unavailable(exc2) from exc2
        body["hash"] = digest
        self._seq, self._hash = body["seq"], digest
        self._written += 1
        return body, self._written

    def _write(self, line: bytes) -> None:
        assert self._fd is not None
        start = self._size
        try:
            done = 0
            while done < len(line):
                done += os.write(self._fd, line[done:])
        except OSError:
            # Leave no torn line behind: the chain must stay exactly as it was.
            try:
                os.ftruncate(self._fd, start)
            except OSError:
                pass
            raise
        self._size = start + len(line)

    def _unavailable(self, exc: OSError) -> AuditUnavailable:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            why = "disk full"
        elif exc.errno == errno.EROFS:
            why = "file system is read-only"
        else:
            why = exc.strerror or type(exc).__name__
        return AuditUnavailable(exc.errno or errno.EIO, f"compliance log {self.dir} not writable: {why}")

    def _group_sync(self, ticket: int) -> None:
        """Return once a sync covering `ticket` finished; one thread syncs for all waiting.

        The leader syncs a dup of the current descriptor taken under the write lock, so a
        rotation in another thread can close the segment without pulling the fd away;
        rotation itself syncs the segment it closes.
        """
        with self._sync_cond:
            while self._synced < ticket:
                if self._syncing:
                    self._sync_cond.wait()
                    continue
                self._syncing = True
                self._sync_cond.release()
                err: OSError | None = None
                target = 0
                try:
                    with self._lock:
                        target = self._written
                        fd = os.dup(self._fd) if self._fd is not None else None
                    if fd is not None:
                        try:
                            os.fdatasync(fd)
                        finally:
                            os.close(fd)
                except OSError as exc:
                    err = exc
                finally:
                    self._sync_cond.acquire()
                    self._syncing = False
                    self._sync_cond.notify_all()
                if err is not None:
                    raise self._unavailable(err) from err
                self._synced = max(self._synced, target)

    def _maybe_sync(self) -> None:
        """batch: sync at most every `batch_interval` seconds (that window is lost on power loss)."""
        now = time.monotonic()
        if now - self._last_sync < self.batch_interval:
            return
        self._last_sync = now
        try:
            with self._lock:  # a dup, so the flush does not hold up writers (or a rotation)
                fd = os.dup(self._fd) if self._fd is not None else None
            if fd is not None:
                try:
                    os.fdatasync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise self._unavailable(exc) from exc

    def close(self) -> None:
        with self._flush_cond:  # the flusher serves whoever is still waiting, then ends
            self._closing = True
            self._flush_cond.notify_all()
            flusher = self._flusher
        if flusher is not None:
            flusher.join()
        with self._lock:
            if self._fd is not None:
                try:
                    os.fsync(self._fd)
                except OSError as exc:  # batch/none mode: records since the last flush may not be on disk
                    log.error("compliance log: final flush of %s failed: %s", self.dir, exc)
            self._close_fd()
            self._lockfile.close()

    def __enter__(self) -> "AuditLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    """Where the chain first breaks: a segment file, a 1-based line number and why."""

    file: str
    line: int
    why: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.why}"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int            # records checked and found good (before the first break)
    first_broken: Broken | None = None

    def __iter__(self) -> Iterator[Any]:  # allows `ok, count, broken = verify(dir)`
        return iter((self.ok, self.count, self.first_broken))


def verify(directory: str | os.PathLike[str]) -> VerifyResult:
    """Walk every segment in order and re-check the chain; stop at the first break.

    Detects: an edited record (its hash no longer matches), a deleted or reordered record
    (its `prev` is not the hash of the record before it, or its seq is not the next one),
    a record cut in the middle (not valid JSON), and a gap across segments (a missing
    segment or a segment cut at a line boundary: the next segment's first `prev` does not
    link). Deleting the newest records at the very end cannot be seen from the log alone;
    docs/compliance.md says how to anchor the head elsewhere.
    """
    prev, seq, count = GENESIS, 0, 0
    for seg in segments(directory):
        with open(seg, "rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                where = (seg.name, lineno)
                if not raw.endswith(b"\n"):
                    return VerifyResult(False, count, Broken(*where, "record cut short (no line end): truncated"))
                try:
                    rec = json.loads(raw)
                    claimed = rec.pop("hash")
                    rec_prev, rec_seq = rec["prev"], int(rec["seq"])
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    return VerifyResult(False, count, Broken(*where, f"not a valid record ({exc.__class__.__name__}): truncated or edited"))
                if chain_hash(rec_prev, rec) != claimed:
                    return VerifyResult(False, count, Broken(*where, f"seq {rec_seq}: hash does not match content: record edited"))
                if rec_prev != prev:
                    what = "record(s) before it deleted, reordered or segment missing" if lineno == 1 and count else "record(s) before it deleted or reordered"
                    return VerifyResult(False, count, Broken(*where, f"seq {rec_seq}: prev hash does not link to seq {seq}: {what}"))
                if rec_seq != seq + 1:
                    return VerifyResult(False, count, Broken(*where, f"seq {rec_seq} where {seq + 1} was expected"))
                prev, seq, count = claimed, rec_seq, count + 1
    return VerifyResult(True, count, None)


def iter_records(directory: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Every parseable record in chain order (search does not verify; `verify` does)."""
    for seg in segments(directory):
        with open(seg, "rb") as fh:
            for raw in fh:
                try:
                    yield json.loads(raw)
                except ValueError:
                    continue


def _addr_match(pattern: str, values: list[str]) -> bool:
    """An address matches exactly (case-insensitive); `@domain` matches a whole domain."""
    p = pattern.strip().lower()
    for v in values:
        v = (v or "").lower()
        if v == p or (p.startswith("@") and v.endswith(p)):
            return True
    return False


def search(
    directory: str | os.PathLike[str],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    sender: str | None = None,
    recipient: str | None = None,
    rule: str | None = None,
    outcome: str | None = None,
    message_id: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Records matching every given filter; `since` inclusive, `until` exclusive."""
    segs = segments(directory)
    for seg in segs:
        # a segment named after a day wholly before `since` cannot match: skip reading it
        if since is not None:
            m = SEGMENT_RE.match(seg.name)
            if m and m.group(1) < since.astimezone(timezone.utc).strftime("%Y%m%d"):
                continue
        with open(seg, "rb") as fh:
            for raw in fh:
                try:
                    rec = json.loads(raw)
                except ValueError:
                    continue
                if _matches(rec, since, until, sender, recipient, rule, outcome, message_id):
                    yield rec


def _matches(
    rec: dict[str, Any],
    since: datetime | None,
    until: datetime | None,
    sender: str | None,
    recipient: str | None,
    rule: str | None,
    outcome: str | None,
    message_id: str | None,
) -> bool:
    if since is not None or until is not None:
        try:
            t = parse_time(rec["time"])
        except (KeyError, ValueError):
            return False
        if since is not None and t < since:
            return False
        if until is not None and t >= until:
            return False
    env = rec.get("envelope") or {}
    if sender and not _addr_match(sender, [env.get("mail_from", ""), rec.get("from") or ""]):
        return False
    if recipient and not _addr_match(recipient, list(env.get("rcpt_tos") or [])):
        return False
    if rule and rule not in {f.get("rule") for f in rec.get("findings") or []}:
        return False
    if outcome and rec.get("outcome") != outcome:
        return False
    if message_id and (rec.get("message_id") or "").strip("<>") != message_id.strip("<>"):
        return False
    return True


def open_log(state_dir: str | os.PathLike[str], cfg: "AuditConfig | None" = None, **kw: Any) -> AuditLog:
    """The log of one state dir with the gateway config's `audit:` settings."""
    from proxy.config import AuditConfig

    cfg = cfg or AuditConfig()
    return AuditLog(
        Path(state_dir) / "audit", fsync=cfg.fsync, rotate_bytes=cfg.rotate_size,
        evidence=cfg.evidence, body_digest=cfg.body_digest, **kw,
    )
