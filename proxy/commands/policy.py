"""`replyguard policy lint | test | replay`: the admin's tools for changing a policy safely.

lint catches what would stop the gateway from loading the file; test runs the thread tests
(Semgrep-style); replay runs a candidate policy over mail already sent, because rolling out a
rule is where outbound filters hurt most — the numbers and the changed decisions come first.
"""
from __future__ import annotations

import argparse
import mailbox
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

from proxy.cli import UsageError
from proxy.commands.check import load_policy_or_usage, open_store
from proxy.message import parse
from proxy.policy.engine import Engine
from proxy.policy.lint import lint_file
from proxy.policy.reload import DEFAULT_POLICY
from proxy.policy.testing import FIXED, run_tests


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("policy", help="lint, test and replay policy files")
    psub = p.add_subparsers(dest="policy_command", required=True, metavar="ACTION")

    lint = psub.add_parser("lint", parents=[common], help="check policy files; file:line:column errors")
    lint.add_argument("files", nargs="+", metavar="FILE")
    lint.add_argument("--quiet", action="store_true", help="errors only, no warnings")
    lint.set_defaults(func=run_lint)

    test = psub.add_parser("test", parents=[common], help="run thread tests (DIR/<case>/expect.yaml)")
    test.add_argument("dir", metavar="DIR")
    test.add_argument("--policy", metavar="PATH", help=f"policy under test (default: {DEFAULT_POLICY.name})")
    test.add_argument("--verbose", "-v", action="store_true", help="also show each test's findings")
    test.set_defaults(func=run_test)

    replay = psub.add_parser("replay", parents=[common], help="run a new policy over sent mail and compare")
    replay.add_argument("sent", metavar="SENT", help="maildir or mbox of past replies")
    replay.add_argument("--policy", required=True, metavar="NEW.yaml", help="the candidate policy")
    replay.add_argument("--current", metavar="PATH", help=f"the policy in force (default: {DEFAULT_POLICY.name})")
    replay.set_defaults(func=run_replay)


def run_lint(args: argparse.Namespace) -> int:
    failed = 0
    for name in args.files:
        result = lint_file(name)
        for line in result.errors:
            print(line)
        if not args.quiet:
            for line in result.warnings:
                print(line)
        failed += not result.ok
    print(f"{len(args.files) - failed}/{len(args.files)} policy files ok", file=sys.stderr)
    return 1 if failed else 0


def run_test(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")

    def loaded_for(customers: Path | None) -> Any:
        return load_policy_or_usage(args.policy, [str(customers)] if customers else [], None)

    results = run_tests(root, loaded_for)
    if not results:
        raise UsageError(f"{root}: no tests (directories with expect.yaml)")
    for result in results:
        print(result.line())
        if args.verbose and result.verdict is not None:
            for f in result.verdict.findings:
                print(f"    {f.rule} [{f.action.label}] {f.where}: {f.evidence[:80]!r}")
    counts = Counter(r.status for r in results)
    failed = sum(1 for r in results if r.failed)
    summary = ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items()))
    print(f"policy test: {len(results) - failed}/{len(results)} ok ({summary})")
    if counts.get(FIXED):
        print(f"note: {counts[FIXED]} todo test(s) now pass; remove `todo: true`")
    return 1 if failed else 0


def read_sent(path: Path) -> Iterator[tuple[str, bytes]]:
    """(label, raw bytes) of every message in a maildir or an mbox file."""
    if path.is_dir():
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise UsageError(f"{path}: not a maildir (no cur/ or new/)")
        box: mailbox.Mailbox = mailbox.Maildir(path, factory=None, create=False)
    elif path.is_file():
        box = mailbox.mbox(path, factory=None, create=False)
    else:
        raise UsageError(f"{path}: no such maildir or mbox")
    for key in sorted(box.keys()):
        yield str(key), box.get_bytes(key)


def run_replay(args: argparse.Namespace) -> int:
    store = open_store(args.state_dir)
    new = Engine(load_policy_or_usage(args.policy, [], store), store=store)
    current = Engine(load_policy_or_usage(args.current, [], store), store=store)
    hits_new: Counter[str] = Counter()
    hits_cur: Counter[str] = Counter()
    total = found = 0
    changed: list[str] = []
    for label, raw in read_sent(Path(args.sent)):
        total += 1
        reply = parse(raw)
        original = new.find_original(reply)
        found += original is not None
        v_new = new.evaluate(reply, original)
        v_cur = current.evaluate(reply, original)
        hits_new.update({f.rule for f in (*v_new.findings, *v_new.shadow)})
        hits_cur.update({f.rule for f in (*v_cur.findings, *v_cur.shadow)})
        if v_new.action != v_cur.action:
            rules = ", ".join(sorted({f.rule for f in v_new.findings})) or "-"
            mid = reply.message_id or label
            changed.append(f"  {mid}  {reply.subject[:50]!r}: {v_cur.action.label} -> {v_new.action.label} [{rules}]")
    print(f"replayed {total} replies; originals found for {found}")
    print(f"policy in force: {current.policy.path} @ {current.policy.version}; new: {new.policy.path} @ {new.policy.version}")
    print(f"{'rule':<22}{'new':>6}{'in force':>10}")
    for rule_id in sorted(set(hits_new) | set(hits_cur) | {r.id for r in new.policy.rules}):
        print(f"{rule_id:<22}{hits_new[rule_id]:>6}{hits_cur[rule_id]:>10}")
    print(f"{len(changed)} decision(s) differ:")
    for line in changed:
        print(line)
    return 0
