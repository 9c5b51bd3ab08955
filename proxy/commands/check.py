"""`replyguard check REPLY.eml`: the engine as a command, for agents, admins and CI.

The same engine and policy as the gateway, so "would this reply pass?" can be asked before
sending, and the example threads can be scored from the shell. Exit codes are the contract
scripts rely on: 0 accept/warn, 1 hold/reject, 2 the input or the policy is unusable.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from proxy.cli import UsageError
from proxy.message import ParsedMessage, parse
from proxy.policy.engine import Engine
from proxy.policy.loader import PolicyError
from proxy.policy.reload import DEFAULT_POLICY, load
from proxy.policy.verdict import Action, Finding, Verdict

STORE_FILE = "replyguard.db"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("check", parents=[common], help="check one reply against the policy",
                       description="Check REPLY.eml against the policy; exit 0 accept/warn, 1 hold/reject, 2 error.")
    p.add_argument("reply", metavar="REPLY.eml")
    p.add_argument("--original", metavar="ORIG.eml", help="the mail it answers (default: look it up in the store)")
    p.add_argument("--policy", metavar="PATH", help=f"policy file (default: {DEFAULT_POLICY.name})")
    p.add_argument("--customers", metavar="FILE.csv", help="customer list (default: the policy's sources and the store)")
    p.add_argument("--json", action="store_true", help='print {"action": …, "findings": […]}')
    p.set_defaults(func=run)


def read_message(path: str, what: str) -> ParsedMessage:
    """Parse a mail file; a missing or unreadable file is the user's to fix (exit 2)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    if not raw.strip():
        raise UsageError(f"{path}: {what} is empty")
    return parse(raw)


def open_store(state_dir: str) -> Any:
    """The correspondence store if the state dir has one; `check` never creates one."""
    path = Path(state_dir) / STORE_FILE
    if not path.is_file():
        return None
    from proxy.store import SQLiteStore
    return SQLiteStore(path)


def load_policy_or_usage(policy: str | None, customers: list[str], store: Any) -> Any:
    try:
        return load(policy or DEFAULT_POLICY, customer_files=customers, store=store)
    except PolicyError as exc:
        raise UsageError("bad policy:\n" + "\n".join(exc.errors)) from None


def run(args: argparse.Namespace) -> int:
    reply = read_message(args.reply, "the reply")
    original = read_message(args.original, "the original") if args.original else None
    store = open_store(args.state_dir)
    loaded = load_policy_or_usage(args.policy, [args.customers] if args.customers else [],
                                  None if args.customers else store)
    engine = Engine(loaded, store=store)
    if original is None:
        original = engine.find_original(reply)
    verdict = engine.evaluate(reply, original)
    if args.json:
        out: dict[str, Any] = verdict.to_json()
        if verdict.shadow:
            out["shadow"] = [f.to_json() for f in verdict.shadow]
        print(json.dumps(out, ensure_ascii=False))
    else:
        print_human(args.reply, verdict, loaded.policy.path)
    return 1 if verdict.action >= Action.HOLD else 0


def print_human(name: str, verdict: Verdict, policy_path: str, out: Any = None) -> None:
    out = out or sys.stdout
    print(f"{name}: {verdict.action.label.upper()}  (policy {policy_path} @ {verdict.policy_version})", file=out)
    for finding in verdict.findings:
        _print_finding(finding, out)
    for finding in verdict.shadow:
        _print_finding(finding, out, prefix="shadow ")
    if not verdict.findings and not verdict.shadow:
        print(f"  no findings; rules run: {', '.join(verdict.rules_run) or 'none'}", file=out)


def _print_finding(finding: Finding, out: Any, prefix: str = "") -> None:
    print(f"  [{prefix}{finding.action.label}] {finding.rule}: {finding.message}", file=out)
    if finding.where:
        print(f"      where:    {finding.where}", file=out)
    if finding.evidence:
        evidence = finding.evidence if len(finding.evidence) <= 300 else finding.evidence[:300] + "…"
        evidence = evidence.replace("\n", "\n" + " " * 16)   # keep continuation lines under the label
        print(f"      evidence: {evidence}", file=out)
