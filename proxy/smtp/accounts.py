"""Local users for `upstream.auth: account` — agents log in here, one shared account goes upstream.

Why scrypt from hashlib: it is in the standard library, memory-hard, and each hash carries
its own parameters and salt, so a users file written today stays verifiable when the
defaults change. The file format is one `name:scrypt$N$r$p$salt$hash` per line (`#` comments),
the kind of file an admin edits by hand; `replyguard passwd` writes the hash.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str | bytes, *, salt: bytes | None = None) -> str:
    pw = password.encode("utf-8") if isinstance(password, str) else password
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(pw, salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${_N}${_R}${_P}${b64(salt)}${b64(digest)}"


def verify_password(stored: str, password: str | bytes) -> bool:
    """Constant-time check of a password against one stored hash; False on any bad format."""
    pw = password.encode("utf-8") if isinstance(password, str) else password
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        want = base64.b64decode(digest)
        got = hashlib.scrypt(pw, salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(want), maxmem=256 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


class UsersFile:
    """`name:hash` lines, re-read when the file changes (no restart to add an agent)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._mtime: float | None = None
        self._users: dict[str, str] = {}

    def _load(self) -> None:
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            self._users, self._mtime = {}, None
            return
        if mtime == self._mtime:
            return
        users = {}
        for line in self.path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith("#") or ":" not in line:
                continue
            name, _, stored = line.partition(":")
            users[name.strip()] = stored.strip()
        self._users, self._mtime = users, mtime

    def check(self, user: str, password: str | bytes) -> bool:
        self._load()
        stored = self._users.get(user)
        if stored is None:
            verify_password(hash_password("x", salt=b"0" * 16), password)  # same cost: no user probing by timing
            return False
        return verify_password(stored, password)

    def set(self, user: str, password: str) -> None:
        """Add or replace one user (used by `replyguard passwd`)."""
        if ":" in user or not user.strip():
            raise ValueError("user name must be non-empty and contain no ':'")
        lines = self.path.read_text(encoding="utf-8").splitlines() if self.path.exists() else []
        lines = [ln for ln in lines if ln.partition(":")[0].strip() != user]
        lines.append(f"{user}:{hash_password(password)}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        os.replace(tmp, self.path)
