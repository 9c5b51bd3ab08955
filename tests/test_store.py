"""The correspondence store: originals found by the references a reply carries, customers kept."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from proxy.message import parse
from proxy.store import CustomerFileError, SQLiteStore, read_customers_csv, subject_key

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


def mail(mid: str, subject: str = "Order 1234", sender: str = "kaori.ishida@example.net") -> bytes:
    return (f"From: Kaori <{sender}>\nTo: support@example.jp\nSubject: {subject}\n"
            f"Message-ID: <{mid}>\n\nHello\n").encode()


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "state" / "replyguard.db")
    yield s
    s.close()


def add(store, raw: bytes, when=T0, category=None):
    store.add_original(raw, parse(raw), category=category, received_at=when)


def test_find_by_message_id_in_given_order(store):
    add(store, mail("a@x"))
    add(store, mail("b@x", subject="Other"))
    assert store.find_original(["nope@x", "b@x", "a@x"]) == mail("b@x", subject="Other")
    assert store.find_original(["<a@x>"]) == mail("a@x")
    assert store.find_original([]) is None
    assert store.find_original(["nope@x"]) is None


def test_raw_bytes_are_kept_exactly(store):
    raw = "From: a@example.jp\r\nSubject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\r\nMessage-ID: <j@x>\r\n\r\n\x1b$B$3$s\x1b(B\r\n".encode("latin-1")
    add(store, raw, category="complaint")
    assert store.find_original(["j@x"]) == raw
    assert store.category("j@x") == "complaint"


def test_message_without_id_is_not_stored(store):
    raw = b"From: a@example.jp\nSubject: x\n\nbody\n"
    add(store, raw)
    assert store.find_by_correspondent(["a@example.jp"], "Re: x") is None


def test_fallback_by_correspondent_and_subject_newest_first(store):
    add(store, mail("old@x", subject="注文について"), when=T0)
    add(store, mail("new@x", subject="注文について"), when=T0 + timedelta(days=1))
    add(store, mail("other@x", subject="注文について", sender="someone@example.com"), when=T0 + timedelta(days=2))
    found = store.find_by_correspondent(["Kaori.Ishida@example.net"], "Re: Re[2]：注文について")
    assert found == mail("new@x", subject="注文について")
    assert store.find_by_correspondent(["kaori.ishida@example.net"], "Re: 別の件") is None
    assert store.find_by_correspondent([], "注文について") is None


@pytest.mark.parametrize("subject, key", [
    ("Re: 注文について", "注文について"),
    ("RE: RE: Order  1234", "Order1234"),
    ("Ｒｅ：返信: 注文", "注文"),
    ("AW: Re[3]: x", "x"),
    ("Fwd: x", "Fwd:x"),
])
def test_subject_key(subject, key):
    assert subject_key(subject) == key


def test_customers_import_upserts_and_keeps_extra_columns(store):
    rows = [
        {"name": "青木 康介", "email": "kosuke.aoki@example.jp", "phone": "090-4411-2233", "customer_id": "C-1", "plan": "gold"},
        {"name": "Emma Wilson", "email": "emma@example.com", "phone": "", "customer_id": ""},
        {"name": "", "email": "", "phone": "", "customer_id": ""},
    ]
    assert store.import_customers(rows) == 2
    assert store.import_customers([{**rows[0], "phone": "090-0000-0000"}]) == 1
    got = {c["name"]: c for c in store.customers()}
    assert len(got) == 2
    assert got["青木 康介"] == {"name": "青木 康介", "email": "kosuke.aoki@example.jp", "phone": "090-0000-0000",
                              "customer_id": "C-1", "plan": "gold"}


def test_wal_and_one_connection_per_thread(store):
    mode = store._conn().execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    add(store, mail("t@x"))
    found: list = []
    thread = threading.Thread(target=lambda: found.append(store.find_original(["t@x"])))
    thread.start()
    thread.join()
    assert found == [mail("t@x")]


def test_second_store_on_same_file_sees_writes(store):
    add(store, mail("s@x"))
    other = SQLiteStore(store.path)
    assert other.find_original(["s@x"]) == mail("s@x")


def test_read_customers_csv(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("\ufeffname,email,phone,customer_id,note\n青木 康介,k@example.jp,090,C-1,vip\n", encoding="utf-8")
    assert read_customers_csv(path) == [
        {"name": "青木 康介", "email": "k@example.jp", "phone": "090", "customer_id": "C-1", "note": "vip"}]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,mail\nx,y\n")
    with pytest.raises(CustomerFileError, match="header lacks email, phone, customer_id"):
        read_customers_csv(bad)
    with pytest.raises(CustomerFileError, match="cannot read"):
        read_customers_csv(tmp_path / "missing.csv")
