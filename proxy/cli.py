"""`replyguard` command line: one sub-command module per job under proxy/commands/.

Each module in COMMANDS exposes `register(subparsers)`, which adds its parser(s) and sets
`func` (args -> exit code). Errors the user can fix are printed as one line, never a
traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = (
    "proxy.commands.serve",
    "proxy.commands.check",
    "proxy.commands.policy",
    "proxy.commands.store",
    "proxy.commands.annotate",
    "proxy.commands.audit",
    "proxy.commands.held",
    "proxy.commands.addons",
)

DEFAULT_STATE_DIR = "var"


class UsageError(Exception):
    """A problem the user can fix (bad file, bad flag); printed as one line, exit 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="replyguard",
        description="Support-mail gateway: checks agents' replies against the customer mail they answer, "
                    "annotates incoming customer mail, and records every decision.",
        epilog="Every command takes --state-dir DIR (default var/). Quick start: make run; make test.",
    )
    parser.add_argument("--version", action="version", version="replyguard 0.1.0")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--state-dir",
        default=DEFAULT_STATE_DIR,
        help="directory for outbox/, replyguard.db, audit/, held/ (default: var/)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"replyguard: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
