"""`replyguard audit verify | search`: prove the compliance log is intact, and find records in it.

`verify` is what a compliance officer runs before handing the log over: exit 0 with the
record count, or exit 1 naming the first broken record (file and line) so the damage can be
located in the backup. `search` answers "what happened to this mail / this customer / this
rule last month" without anyone having to know the file layout.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from proxy import audit
from proxy.cli import UsageError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("audit", help="compliance log: verify the hash chain, search records")
    actions = p.add_subparsers(dest="audit_command", required=True, metavar="ACTION")

    v = actions.add_parser("verify", parents=[common], help="check the hash chain; exit 1 at the first broken record")
    v.set_defaults(func=cmd_verify)

    s = actions.add_parser("search", parents=[common], help="filter records; table, JSON lines or CSV")
    s.add_argument("--since", help="ISO date/time, inclusive (UTC unless an offset is given)")
    s.add_argument("--until", help="ISO date/time, exclusive")
    s.add_argument("--sender", help="envelope or From address; @domain matches a domain")
    s.add_argument("--recipient", help="envelope recipient; @domain matches a domain")
    s.add_argument("--rule", help="a rule id among the findings, e.g. quote-altered")
    s.add_argument("--outcome", help="accepted, rejected, held, released, refused, cancelled, escalated, …")
    s.add_argument("--message-id", help="Message-ID, with or without <>")
    s.add_argument("--format", choices=("table", "json", "csv"), default="table")
    s.set_defaults(func=cmd_search)


def _audit_dir(args: argparse.Namespace) -> Path:
    return Path(args.state_dir) / "audit"


def cmd_verify(args: argparse.Namespace) -> int:
    d = _audit_dir(args)
    if not d.is_dir():
        raise UsageError(f"no compliance log at {d} (wrong --state-dir?)")
    result = audit.verify(d)
    if result.ok:
        print(f"OK: {result.count} records")
        return 0
    assert result.first_broken is not None
    b = result.first_broken
    print(f"BROKEN: {d / b.file} line {b.line}: {b.why} ({result.count} records verified before it)")
    return 1


def _time(value: str | None, flag: str) -> datetime | None:
    if value is None:
        return None
    try:
        return audit.parse_time(value)
    except ValueError:
        raise UsageError(f"{flag}: not an ISO date/time: {value!r}") from None


COLUMNS = ("seq", "time", "door", "outcome", "mail_from", "rcpt_tos", "message_id", "rules", "operator", "subject")


def _row(rec: dict[str, Any]) -> dict[str, str]:
    env = rec.get("envelope") or {}
    return {
        "seq": str(rec.get("seq", "")),
        "time": str(rec.get("time", "")),
        "door": str(rec.get("door", "")),
        "outcome": str(rec.get("outcome", "")),
        "mail_from": str(env.get("mail_from", "")),
        "rcpt_tos": ",".join(env.get("rcpt_tos") or []),
        "message_id": str(rec.get("message_id") or ""),
        "rules": ",".join(f"{f.get('rule')}:{f.get('action')}" for f in rec.get("findings") or []),
        "operator": str(rec.get("operator") or ""),
        "subject": str(rec.get("subject") or ""),
    }


def cmd_search(args: argparse.Namespace) -> int:
    d = _audit_dir(args)
    if not d.is_dir():
        raise UsageError(f"no compliance log at {d} (wrong --state-dir?)")
    found = audit.search(
        d,
        since=_time(args.since, "--since"),
        until=_time(args.until, "--until"),
        sender=args.sender,
        recipient=args.recipient,
        rule=args.rule,
        outcome=args.outcome,
        message_id=args.message_id,
    )
    out = sys.stdout
    if args.format == "json":
        for rec in found:
            out.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
        return 0
    rows = [_row(r) for r in found]
    if args.format == "csv":
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        return 0
    widths = {c: min(40, max([len(c)] + [len(r[c]) for r in rows])) for c in COLUMNS}
    out.write("  ".join(c.upper().ljust(widths[c]) for c in COLUMNS).rstrip() + "\n")
    for r in rows:
        out.write("  ".join(_cut(r[c], widths[c]).ljust(widths[c]) for c in COLUMNS).rstrip() + "\n")
    out.write(f"({len(rows)} records)\n")
    return 0


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
