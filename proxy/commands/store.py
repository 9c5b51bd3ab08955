"""`replyguard store add ORIGINAL.eml…` and `replyguard customers import FILE.csv`.

The gateway fills the store itself (inbound door); these commands seed it by hand: originals
that arrived before replyguard ran, and the customer list from the CRM export.
"""
from __future__ import annotations

import argparse
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from proxy.cli import UsageError
from proxy.commands.check import STORE_FILE
from proxy.message import ParsedMessage, parse
from proxy.store import CustomerFileError, SQLiteStore, read_customers_csv


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    store = sub.add_parser("store", help="the correspondence store (originals by Message-ID)")
    ssub = store.add_subparsers(dest="store_command", required=True, metavar="ACTION")
    add = ssub.add_parser("add", parents=[common], help="remember customers' original mails")
    add.add_argument("files", nargs="+", metavar="ORIGINAL.eml")
    add.set_defaults(func=run_add)

    customers = sub.add_parser("customers", help="the customer list other-customer-data protects")
    csub = customers.add_subparsers(dest="customers_command", required=True, metavar="ACTION")
    imp = csub.add_parser("import", parents=[common], help="import a CSV (name,email,phone,customer_id,…)")
    imp.add_argument("file", metavar="FILE.csv")
    imp.set_defaults(func=run_import)
    lst = csub.add_parser("list", parents=[common], help="print the stored customers as CSV")
    lst.set_defaults(func=run_list)


def _store(args: argparse.Namespace) -> SQLiteStore:
    return SQLiteStore(Path(args.state_dir) / STORE_FILE)


def _received_at(parsed: ParsedMessage) -> datetime:
    """The Date header when usable (mail added late keeps its order), else now."""
    try:
        when = parsedate_to_datetime(parsed.headers.get("Date", ""))
    except (TypeError, ValueError, IndexError):
        when = None
    if when is None:
        return datetime.now(timezone.utc)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _category(parsed: ParsedMessage) -> str | None:
    try:
        from proxy.inbound.classify import classify
    except ImportError:
        return None
    return classify(parsed).category


def run_add(args: argparse.Namespace) -> int:
    store = _store(args)
    added = 0
    for name in args.files:
        try:
            raw = Path(name).read_bytes()
        except OSError as exc:
            raise UsageError(f"{name}: cannot read: {exc.strerror or exc}") from None
        parsed = parse(raw)
        if not parsed.message_id:
            print(f"{name}: skipped, no Message-ID (a reply could never refer to it)")
            continue
        category = _category(parsed)
        store.add_original(raw, parsed, category=category, received_at=_received_at(parsed))
        print(f"{name}: stored <{parsed.message_id}> ({category or 'unclassified'})")
        added += 1
    print(f"{added} original(s) stored in {store.path}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    try:
        rows = read_customers_csv(args.file)
    except CustomerFileError as exc:
        raise UsageError(str(exc)) from None
    count = _store(args).import_customers(rows)
    print(f"{count} customer(s) imported from {args.file}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    import csv
    import sys
    rows = _store(args).customers()
    keys = ["name", "email", "phone", "customer_id"]
    keys += sorted({k for row in rows for k in row} - set(keys))
    writer = csv.DictWriter(sys.stdout, fieldnames=keys, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return 0
