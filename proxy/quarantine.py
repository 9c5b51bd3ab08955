"""The hold queue: held replies, durable on disk, each with the verdict that held it.

Mailman's moderation idea (STYLE §2): the message is stored under an id, a *copy* of the
metadata (verdict, envelope, reason, time, state) is kept beside it, and one function per
action handles it by id (`proxy.release`). On disk, in `<state-dir>/held/`:

    <id>.eml    the exact bytes the agent sent (never re-encoded: ISO-2022-JP!)
    <id>.json   metadata; its presence is the commit point of a hold

Both are written tmp → fsync → rename, then the directory is fsynced, and only then does
`hold()` return the id — so a `250 held for review` is never given for a message a crash
could take away. A `.eml` without its `.json` is a hold that never completed (the client
got no 250 and will retry): `recover()` deletes it, as it deletes stray tmp files.

State lives in the `.json` (`held` → `releasing`/`refusing` → `released`/`refused`/
`cancelled` → files removed), updated by atomic replace; `proxy.release` uses it to finish or
roll back an action a killed process left half done.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from proxy.decision import EnvelopeInfo
from proxy.message import parse
from proxy.policy.verdict import Action, Verdict

ID_RE = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{6}$")
HELD, RELEASING, REFUSING = "held", "releasing", "refusing"
RELEASED, REFUSED, CANCELLED = "released", "refused", "cancelled"
FINAL_STATES = (RELEASED, REFUSED, CANCELLED)


def crash_point(name: str) -> None:
    """Die here, as abruptly as SIGKILL, when the fault tests ask for it.

    The fault tests run real processes and need to kill them at one exact step (after the
    .eml is renamed but before the .json, after the upstream said 250 but before that was
    written down). Reading an environment variable costs nothing in production.
    """
    if os.environ.get("REPLYGUARD_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class UnknownHold(KeyError):
    """No held message with this id (already released, refused, cancelled, or a typo)."""

    def __str__(self) -> str:
        return f"no held message {self.args[0]!r}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    """tmp (same dir, dot-named so listings skip it) → write → fsync → rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, path)


@dataclass(frozen=True)
class Held:
    """One held message as stored: metadata plus a way to read its bytes."""

    id: str
    meta: dict[str, Any]
    eml: Path

    def raw(self) -> bytes:
        return self.eml.read_bytes()

    @property
    def state(self) -> str:
        return str(self.meta.get("state", HELD))


class Quarantine:
    """Implements `proxy.decision.Holder` over `<state-dir>/held/`."""

    def __init__(self, directory: str | os.PathLike[str], *, clock: Callable[[], datetime] = _utcnow):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.clock = clock

    # --- the Holder seam --------------------------------------------------------------

    def new_id(self) -> str:
        """Sortable by time, short enough to type in a CANCEL subject, unguessable enough."""
        return f"{self.clock().astimezone(timezone.utc):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"

    def hold(self, raw: bytes, envelope: EnvelopeInfo, verdict: Verdict) -> str:
        """Store the message durably; return its id only once it is on disk.

        A verdict that is not itself a hold but carries `delay_seconds` is a delay-send:
        the message waits until `release_at`, when `release-due` sends it unless the agent
        called it back.
        """
        now = self.clock()
        hold_id = self.new_id()
        while (self.dir / f"{hold_id}.json").exists():
            hold_id = self.new_id()
        delayed = verdict.action < Action.HOLD and verdict.delay_seconds > 0
        meta: dict[str, Any] = {
            "id": hold_id,
            "state": HELD,
            "reason": "delay" if delayed else "policy",
            "held_at": iso(now),
            "release_at": iso(now + timedelta(seconds=verdict.delay_seconds)) if delayed else None,
            "envelope": {
                "door": envelope.door,
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "client_ip": envelope.client_ip,
                "helo": envelope.helo,
                "auth_user": envelope.auth_user,
                "smtputf8": envelope.smtputf8,
            },
            "verdict": {
                "action": verdict.action.label,
                "findings": [
                    {**f.to_json(), "message_en": f.message_en} for f in verdict.findings
                ],
                "rules_run": list(verdict.rules_run),
                "policy_version": verdict.policy_version,
                "delay_seconds": verdict.delay_seconds,
            },
            "size": len(raw),
            "history": [],
        }
        meta.update(_headline(raw))
        eml = self.dir / f"{hold_id}.eml"
        with self._locked(fcntl.LOCK_SH):
            _write_atomic(eml, raw)
            crash_point("hold:after-eml")
            try:
                _write_atomic(self.dir / f"{hold_id}.json", _dump(meta))
                _fsync_dir(self.dir)
            except BaseException:
                # e.g. ENOSPC on the metadata: not held, so leave no orphan behind
                (self.dir / f"{hold_id}.json").unlink(missing_ok=True)
                eml.unlink(missing_ok=True)
                raise
        return hold_id

    @contextmanager
    def _locked(self, kind: int) -> Iterator[None]:
        """Writers (holds, updates) share the queue; `recover` and `claim` take it alone.

        So recovery never mistakes a hold in progress in another process (the gateway
        while an operator runs the CLI) for debris, and two processes cannot both start
        releasing the same message. A fresh descriptor per use: flock belongs to the open
        file, and threads of one process must not unlock each other.
        """
        fd = os.open(self.dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, kind)
            yield
        finally:
            os.close(fd)

    # --- reading ----------------------------------------------------------------------

    def check_id(self, hold_id: str) -> str:
        """Ids come from the command line and from mail subjects: never let one be a path."""
        if not ID_RE.match(hold_id or ""):
            raise UnknownHold(hold_id)
        return hold_id

    def get(self, hold_id: str) -> Held:
        self.check_id(hold_id)
        meta_path = self.dir / f"{hold_id}.json"
        try:
            meta = json.loads(meta_path.read_bytes())
        except FileNotFoundError:
            raise UnknownHold(hold_id) from None
        return Held(hold_id, meta, self.dir / f"{hold_id}.eml")

    def all(self) -> list[Held]:
        """Every held message (any state), oldest first."""
        out = []
        for p in sorted(self.dir.glob("*.json")):
            if p.name.startswith(".") or not ID_RE.match(p.stem):
                continue
            try:
                out.append(Held(p.stem, json.loads(p.read_bytes()), p.with_suffix(".eml")))
            except (OSError, ValueError):
                continue
        return out

    # --- changing ---------------------------------------------------------------------

    def update(self, hold_id: str, *, event: str | None = None, **changes: Any) -> dict[str, Any]:
        """Atomically rewrite the metadata (durable on return); `event` goes to history."""
        with self._locked(fcntl.LOCK_SH):
            return self._update(hold_id, event, changes)

    def _update(self, hold_id: str, event: str | None, changes: dict[str, Any]) -> dict[str, Any]:
        held = self.get(hold_id)
        meta = dict(held.meta)
        meta.update(changes)
        if event:
            meta["history"] = [*meta.get("history", []), {"time": iso(self.clock()), "event": event}]
        _write_atomic(self.dir / f"{hold_id}.json", _dump(meta))
        return meta

    def claim(self, hold_id: str, *, event: str | None = None, **changes: Any) -> dict[str, Any] | None:
        """Move a message out of `held` (into releasing/refusing/cancelled) if nobody else did.

        Returns the new metadata, or None when it was not in state `held` any more.
        """
        with self._locked(fcntl.LOCK_EX):
            if self.get(hold_id).state != HELD:
                return None
            return self._update(hold_id, event, changes)

    def remove(self, hold_id: str) -> None:
        """Drop a finished message: the bytes first, then the metadata that says why.

        In this order a crash in between leaves a `.json` in a final state, which
        `recover()` recognises and finishes; never a message without its reason.
        """
        self.check_id(hold_id)
        with self._locked(fcntl.LOCK_SH):
            (self.dir / f"{hold_id}.eml").unlink(missing_ok=True)
            (self.dir / f"{hold_id}.json").unlink(missing_ok=True)
            _fsync_dir(self.dir)

    def recover(self) -> list[str]:
        """Clean what a killed process left on disk; return one line per thing done.

        Removes tmp files and `.eml` files whose `.json` never appeared (those holds were
        never acknowledged). Actions in flight (`releasing`, `refusing`, final states) are
        left for `proxy.release.Releaser.recover`, which knows how to finish them.
        """
        done = []
        with self._locked(fcntl.LOCK_EX):  # no writer of any process is between steps now
            for p in sorted(self.dir.iterdir()):
                if p.name.startswith(".") and p.name.endswith(".tmp"):
                    p.unlink(missing_ok=True)
                    done.append(f"removed half-written {p.name}")
            for p in sorted(self.dir.glob("*.eml")):
                if ID_RE.match(p.stem) and not p.with_suffix(".json").exists():
                    p.unlink()
                    done.append(f"removed {p.name}: its hold never completed (the client was not told 250)")
            if done:
                _fsync_dir(self.dir)
        return done

    def due(self, now: datetime | None = None) -> list[Held]:
        """Delay-send messages whose time has come (and whose retry back-off, if any, is over)."""
        now = now or self.clock()
        return [
            h for h in self.all()
            if h.state == HELD and h.meta.get("reason") == "delay" and h.meta.get("release_at")
            and parse_iso(h.meta["release_at"]) <= now
            and not (h.meta.get("retry_at") and parse_iso(h.meta["retry_at"]) > now)
        ]

    def overdue(self, age: timedelta, now: datetime | None = None) -> list[Held]:
        """Policy holds waiting longer than `age` that were not escalated yet."""
        now = now or self.clock()
        return [
            h for h in self.all()
            if h.state == HELD and h.meta.get("reason") == "policy" and not h.meta.get("escalated_at")
            and parse_iso(h.meta["held_at"]) + age <= now
        ]


def _dump(meta: dict[str, Any]) -> bytes:
    return json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8") + b"\n"


def _headline(raw: bytes) -> dict[str, Any]:
    """Message-ID, Subject and From for listings, from the headers only (cheap, robust)."""
    try:
        msg = parse(raw)
    except Exception:  # noqa: BLE001 - a listing must not fail on a strange message
        return {"message_id": None, "subject": "", "from": None}
    return {
        "message_id": msg.message_id,
        "subject": msg.subject,
        "from": msg.from_.addr if msg.from_ else None,
    }
