"""Correspondence store: the customers' originals by Message-ID, and the customer list.

A reply can only be checked against the mail it answers, and the agent's client does not send
that mail along — so the inbound door remembers every original here and the outgoing door
looks it up by In-Reply-To/References. `Store` is a Protocol so a PostgreSQL store can be
added for multi-node setups; `SQLiteStore` is the default (WAL: the inbound door writes while
the submission door reads; one connection per thread because sqlite3 connections are not
shareable across threads).
"""
from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping, Protocol, Sequence

from proxy.message import ParsedMessage, normalize

CUSTOMER_FIELDS = ("name", "email", "phone", "customer_id")

# Our own fixed pattern (not admin input), used only to key the fallback lookup by subject.
_PREFIX = re.compile(
    r"^(?:\s*(?:re|aw|sv|vs|antw|rif|r|odp|res|返信|回复|回覆|答复)\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：])+",
    re.IGNORECASE,
)


def subject_key(subject: str) -> str:
    """Subject without reply prefixes, in comparison form: how a reply's subject finds its original."""
    text = normalize(subject)
    return normalize(_PREFIX.sub("", text))


class Store(Protocol):
    def add_original(self, raw: bytes, parsed: ParsedMessage, *, category: str | None, received_at: datetime) -> None: ...

    def find_original(self, message_ids: Sequence[str]) -> bytes | None: ...

    def find_by_correspondent(self, addresses: Sequence[str], subject: str) -> bytes | None: ...

    def category(self, message_id: str) -> str | None: ...

    def import_customers(self, rows: Iterable[Mapping[str, str]]) -> int: ...

    def customers(self) -> list[dict[str, str]]: ...


_IDS_PER_QUERY = 200  # two parameters each; well under SQLite's 999-parameter floor

_SCHEMA = """
CREATE TABLE IF NOT EXISTS originals (
    message_id  TEXT PRIMARY KEY,
    from_addr   TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL DEFAULT '',
    subject_key TEXT NOT NULL DEFAULT '',
    quote_text  TEXT NOT NULL DEFAULT '',
    category    TEXT,
    received_at TEXT NOT NULL,
    raw         BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS originals_correspondent ON originals (from_addr, subject_key);
CREATE TABLE IF NOT EXISTS customers (
    key         TEXT PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    customer_id TEXT NOT NULL DEFAULT '',
    extra       TEXT NOT NULL DEFAULT '{}'
);
"""


class SQLiteStore:
    """The default store: one SQLite file (state-dir/replyguard.db)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._conn().executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def add_original(self, raw: bytes, parsed: ParsedMessage, *, category: str | None = None,
                     received_at: datetime | None = None) -> None:
        """Remember a customer's mail. Without a Message-ID it cannot be found again, so it is skipped."""
        if not parsed.message_id:
            return
        when = (received_at or datetime.now(timezone.utc)).isoformat()
        self._conn().execute(
            "INSERT OR REPLACE INTO originals VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                parsed.message_id,
                parsed.from_.addr if parsed.from_ else "",
                parsed.subject,
                subject_key(parsed.subject),
                normalize(parsed.text),
                category,
                when,
                raw,
            ),
        )

    def find_original(self, message_ids: Sequence[str]) -> bytes | None:
        """The first of `message_ids` (callers pass In-Reply-To first, then References newest first)
        that the store knows."""
        ids = list(dict.fromkeys(mid.strip("<> ") for mid in message_ids))
        conn = self._conn()
        # One primary-key lookup per call, not one per id: IN over the ids, the first in the
        # caller's order wins (CASE gives each its rank). Chunked only for a hostile References.
        for at in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[at:at + _IDS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            rank = " ".join("WHEN ? THEN %d" % i for i in range(len(chunk)))
            row = conn.execute(
                f"SELECT raw FROM originals WHERE message_id IN ({marks})"
                f" ORDER BY CASE message_id {rank} END LIMIT 1",
                (*chunk, *chunk),
            ).fetchone()
            if row is not None:
                return bytes(row[0])
        return None

    def find_by_correspondent(self, addresses: Sequence[str], subject: str) -> bytes | None:
        """Fallback when the reply lost its references: the newest original from one of the reply's
        recipients with the same subject (reply prefixes ignored)."""
        key = subject_key(subject)
        addrs = [a.lower() for a in addresses if a]
        if not key or not addrs:
            return None
        marks = ",".join("?" * len(addrs))
        row = self._conn().execute(
            f"SELECT raw FROM originals WHERE subject_key = ? AND from_addr IN ({marks})"
            " ORDER BY received_at DESC LIMIT 1",
            (key, *addrs),
        ).fetchone()
        return bytes(row[0]) if row is not None else None

    def category(self, message_id: str) -> str | None:
        """The category the inbound door gave this original (complaint, question, other), if any."""
        row = self._conn().execute("SELECT category FROM originals WHERE message_id = ?", (message_id,)).fetchone()
        return row[0] if row else None

    def import_customers(self, rows: Iterable[Mapping[str, str]]) -> int:
        """Insert or update customers (keyed by customer_id, else e-mail, else name); returns the count."""
        count = 0
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            for row in rows:
                fields = {k: (row.get(k) or "").strip() for k in CUSTOMER_FIELDS}
                key = fields["customer_id"] or fields["email"].lower() or fields["name"]
                if not key:
                    continue
                extra = {k: v for k, v in row.items() if k not in CUSTOMER_FIELDS and k}
                conn.execute(
                    "INSERT OR REPLACE INTO customers VALUES (?, ?, ?, ?, ?, ?)",
                    (key, fields["name"], fields["email"], fields["phone"], fields["customer_id"],
                     json.dumps(extra, ensure_ascii=False)),
                )
                count += 1
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return count

    def customers(self) -> list[dict[str, str]]:
        out = []
        for name, email, phone, cid, extra in self._conn().execute(
            "SELECT name, email, phone, customer_id, extra FROM customers ORDER BY key"
        ):
            row = {"name": name, "email": email, "phone": phone, "customer_id": cid}
            row.update(json.loads(extra))
            out.append(row)
        return out


class CustomerFileError(ValueError):
    """A customer CSV the user gave is unusable (missing, wrong header)."""


def read_customers_csv(path: str | Path) -> list[dict[str, str]]:
    """Rows of a customers CSV (`name,email,phone,customer_id` header; extra columns kept)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise CustomerFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CustomerFileError(f"{path}: not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [f for f in CUSTOMER_FIELDS if f not in header]
    if missing:
        raise CustomerFileError(f"{path}:1:1: header lacks {', '.join(missing)} (needs {','.join(CUSTOMER_FIELDS)})")
    reader.fieldnames = header
    return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
