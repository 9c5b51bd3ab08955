"""The embedded default destination: a local maildir, used when no upstream is configured.

Why a maildir: `make run` + swaks must work on a fresh machine with no mail server, and the
agent (or a test) must be able to see where the mail went. Maildir delivery is atomic by
construction (write in tmp/, fsync, rename into new/), so the 250 the client gets means
the file is on disk — the same promise the upstream relay makes.
"""
from __future__ import annotations

import itertools
import os
import socket
import time
from collections.abc import Sequence
from pathlib import Path

_counter = itertools.count()


class Outbox:
    """A maildir at `<state_dir>/outbox/`; `deliver` returns the path in new/."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        for sub in ("tmp", "new", "cur"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._host = socket.gethostname().replace("/", "\\057").replace(":", "\\072")

    def _unique(self) -> str:
        now = time.time()
        sec, usec = int(now), int((now - int(now)) * 1_000_000)
        return f"{sec}.M{usec}P{os.getpid()}Q{next(_counter)}.{self._host}"

    def deliver(self, raw: bytes, mail_from: str, rcpt_tos: Sequence[str]) -> Path:
        """Store one message durably; the envelope is kept as Return-Path / Delivered-To.

        Those two header kinds are what local delivery agents conventionally prepend, so a
        mail reader shows the envelope; the client's bytes follow unchanged.
        """
        path = "<>" if mail_from in ("", "<>") else f"<{mail_from}>"  # aiosmtpd spells the null path "<>"
        head = f"Return-Path: {path}\r\n".encode("utf-8", "surrogateescape")
        head += b"".join(f"Delivered-To: {r}\r\n".encode("utf-8", "surrogateescape") for r in rcpt_tos)
        name = self._unique()
        tmp = self.root / "tmp" / name
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(head + raw)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        final = self.root / "new" / name
        os.rename(tmp, final)
        dfd = os.open(self.root / "new", os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        return final

    def messages(self) -> list[Path]:
        """Delivered messages, oldest first (for tests and `serve` output)."""
        return sorted((self.root / "new").iterdir())
