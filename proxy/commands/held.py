"""`replyguard held …`: the supervisor's side of the hold queue.

list / show / release / refuse / cancel act on one message by id (Mailman's handle-by-id);
release-due, escalate and recover are the periodic and after-crash work, which `serve` also
does by itself. Every action is written to the compliance log with the operator (default:
the sudo caller, else the login user). They read the same gateway config as `serve`
(`--config`, `--upstream`), so a release goes to the same upstream the gateway relays to,
and with no upstream into the same local maildir.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from proxy.audit import AuditUnavailable, default_operator
from proxy.cli import UsageError
from proxy.commands.serve import load_settings
from proxy.config import parse_duration
from proxy.quarantine import UnknownHold
from proxy.release import Releaser, Result, from_config


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    cfg = argparse.ArgumentParser(add_help=False, parents=[common])
    cfg.add_argument("--config", metavar="FILE", help="gateway YAML (same as serve)")
    cfg.add_argument("--upstream", metavar="HOST:PORT", help="override the upstream; 'none' = local maildir")
    cfg.add_argument("--upstream-tls", choices=("none", "starttls", "implicit"))
    op = argparse.ArgumentParser(add_help=False)
    op.add_argument("--operator", default=None, help="name written to the compliance log (default: $SUDO_USER or $USER)")

    p = sub.add_parser("held", help="hold queue: list, show, release, refuse, cancel held replies")
    actions = p.add_subparsers(dest="held_command", required=True, metavar="ACTION")

    a = actions.add_parser("list", parents=[cfg], help="held messages, oldest first")
    a.add_argument("--json", action="store_true", help="one JSON array with the full metadata")
    a.set_defaults(func=cmd_list)

    a = actions.add_parser("show", parents=[cfg], help="metadata, findings and headers of one message")
    a.add_argument("id")
    a.add_argument("--raw", action="store_true", help="print the stored message bytes instead")
    a.set_defaults(func=cmd_show)

    a = actions.add_parser("release", parents=[cfg, op], help="send it upstream; it stays held if upstream refuses")
    a.add_argument("id")
    a.set_defaults(func=cmd_release)

    a = actions.add_parser("refuse", parents=[cfg, op], help="do not send; mail the agent why (original attached)")
    a.add_argument("id")
    a.add_argument("--reason", required=True, help="what the agent should change")
    a.set_defaults(func=cmd_refuse)

    a = actions.add_parser("cancel", parents=[cfg, op], help="call a (delayed) reply back: it is never sent")
    a.add_argument("id")
    a.set_defaults(func=cmd_cancel)

    a = actions.add_parser("release-due", parents=[cfg], help="send delay-send mail whose time has come")
    a.set_defaults(func=cmd_release_due)

    a = actions.add_parser("escalate", parents=[cfg], help="log (and mail) held messages older than the policy age")
    a.add_argument("--max-age", help="override hold.escalate_after, e.g. 4h")
    a.set_defaults(func=cmd_escalate)

    a = actions.add_parser("recover", parents=[cfg], help="finish or roll back actions a crash interrupted")
    a.set_defaults(func=cmd_recover)


def _releaser(args: argparse.Namespace) -> Releaser:
    try:
        return from_config(load_settings(args))
    except AuditUnavailable as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot open the hold queue: {exc}") from None


def _operator(args: argparse.Namespace) -> str:
    return args.operator or default_operator()


def _report(results: list[Result]) -> int:
    for r in results:
        print(r.text)
    return 0 if all(r.ok for r in results) else 1


def _act(fn: Any, *fn_args: Any) -> Result:
    try:
        out = fn(*fn_args)
        return asyncio.run(out) if asyncio.iscoroutine(out) else out
    except UnknownHold as exc:
        raise UsageError(str(exc)) from None
    except AuditUnavailable as exc:
        print(f"replyguard: {exc}; the action was carried out but not yet logged — "
              f"`replyguard held recover` logs it once the disk has room", file=sys.stderr)
        raise SystemExit(1) from None


def cmd_list(args: argparse.Namespace) -> int:
    rel = _releaser(args)
    items = rel.q.all()
    if args.json:
        print(json.dumps([h.meta for h in items], ensure_ascii=False, indent=1))
        return 0
    if not items:
        print("no held messages")
        return 0
    print(f"{'ID':22}  {'STATE':10}  {'REASON':6}  {'HELD AT':20}  {'FROM':28}  {'RULES':24}  SUBJECT")
    for h in items:
        m = h.meta
        rules = ",".join(dict.fromkeys(f.get("rule", "") for f in (m.get("verdict") or {}).get("findings") or []))
        state = h.state + ("?" if m.get("maybe_delivered") else "") + ("!" if m.get("escalated_at") else "")
        reason = m.get("reason", "")
        if reason == "delay":
            rules = f"send at {m.get('release_at')}"
        print(f"{h.id:22}  {state:10}  {reason:6}  {m.get('held_at', ''):20}  "
              f"{(m.get('envelope') or {}).get('mail_from', '')[:28]:28}  {rules[:24]:24}  {m.get('subject', '')}")
    print(f"({len(items)} held; ? = may have been delivered by an interrupted release, ! = escalated)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    rel = _releaser(args)
    try:
        held = rel.q.get(args.id)
    except UnknownHold as exc:
        raise UsageError(str(exc)) from None
    if args.raw:
        sys.stdout.buffer.write(held.raw())
        return 0
    m = held.meta
    env = m.get("envelope") or {}
    print(f"id:         {held.id}")
    print(f"state:      {held.state}{'  (WARNING: an interrupted release may already have delivered it)' if m.get('maybe_delivered') else ''}")
    print(f"reason:     {m.get('reason')}" + (f" (send at {m.get('release_at')})" if m.get("release_at") else ""))
    print(f"held at:    {m.get('held_at')}")
    print(f"from:       {env.get('mail_from')} (auth {env.get('auth_user') or '-'}, {env.get('client_ip') or '-'})")
    print(f"to:         {', '.join(env.get('rcpt_tos') or [])}")
    print(f"subject:    {m.get('subject')}")
    print(f"message-id: {m.get('message_id')}")
    v = m.get("verdict") or {}
    print(f"policy:     {v.get('policy_version') or '-'} → {v.get('action')}")
    for f in v.get("findings") or []:
        print(f"  [{f.get('rule')}] {f.get('action')}: {f.get('message')}")
        if f.get("where"):
            print(f"      where: {f['where']}")
        if f.get("evidence"):
            print(f"      evidence: {f['evidence']}")
    if m.get("last_error"):
        print(f"last error: {m['last_error']}")
    for h in m.get("history") or []:
        print(f"  {h.get('time')}  {h.get('event')}")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    rel = _releaser(args)
    return _report([_act(rel.release, args.id, _operator(args))])


def cmd_refuse(args: argparse.Namespace) -> int:
    if not args.reason.strip():
        raise UsageError("--reason must say what the agent should change")
    rel = _releaser(args)
    return _report([_act(rel.refuse, args.id, args.reason.strip(), _operator(args))])


def cmd_cancel(args: argparse.Namespace) -> int:
    rel = _releaser(args)
    return _report([_act(rel.cancel, args.id, _operator(args))])


def cmd_release_due(args: argparse.Namespace) -> int:
    rel = _releaser(args)
    results = asyncio.run(rel.release_due())
    if not results:
        print("nothing due")
    return _report(results)


def cmd_escalate(args: argparse.Namespace) -> int:
    rel = _releaser(args)
    try:
        age = parse_duration(args.max_age) if args.max_age else None
    except ValueError as exc:
        raise UsageError(f"--max-age: {exc}") from None
    results = asyncio.run(rel.escalate(age))
    if not results:
        print("nothing to escalate")
    return _report(results)


def cmd_recover(args: argparse.Namespace) -> int:
    rel = _releaser(args)
    done = asyncio.run(rel.recover())
    for line in done:
        print(line)
    if not done:
        print("nothing to recover")
    return 0
