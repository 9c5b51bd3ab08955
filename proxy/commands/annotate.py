"""`replyguard annotate` (stdin → stdout filter) and `replyguard inbound` (SMTP/LMTP listener).

Why the filter never fails loudly: procmail, fetchmail and Sieve pipe every customer mail
through it. Whatever goes wrong inside — a bug, a broken config, DNS set up wrong — the
message itself is written back unchanged on stdout, one line goes to stderr, and the exit
code is 75 (EX_TEMPFAIL), so the delivery agent keeps or retries the mail. A mail that
cannot be read (MIME nested too deep to parse) is not such a failure: retrying would fail
the same way for ever, so it is annotated as far as it goes (authentication and anonymity
come from the raw bytes and header block, the category is `other` with a comment) and the
exit is 0 (see proxy/inbound/annotate.py). Everything heavy
is imported inside that safety net, so even an import error loses nothing.

One exception, on purpose: when the annotation succeeded but the store cannot remember the
mail (locked, full disk, old schema), the annotated mail is still written and the exit is
0, with the store problem on stderr. Delivery agents treat a failing filter by delivering
the *unannotated* original (procmail, Sieve) or retrying for days; either is worse for the
agent than a correct mail that a later reply cannot be matched to.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any, Callable

EX_TEMPFAIL = 75


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "annotate",
        parents=[common],
        help="annotate one customer mail (stdin → stdout)",
        description="Read one message on stdin, write it on stdout with Authentication-Results, "
        "X-Sender-Anonymity, X-Sender-Class and X-Support-Category added. On an internal error the "
        "message comes out unchanged and the exit code is 75 (EX_TEMPFAIL).",
    )
    _dns_options(p)
    p.add_argument("--client-ip", default="", metavar="IP", help="IP of the SMTP client that sent the mail")
    p.add_argument("--helo", default="", metavar="NAME", help="its HELO/EHLO name")
    p.add_argument("--mail-from", default="", metavar="ADDR", help="MAIL FROM address ('' = null reverse-path)")
    p.add_argument("--no-store", action="store_true", help="do not remember the original in the store")
    p.set_defaults(func=run_annotate)

    s = sub.add_parser(
        "inbound",
        parents=[common],
        help="run the inbound SMTP/LMTP annotate-and-forward listener",
        description="Listen for incoming mail, annotate it and pass it to the next hop before-queue "
        "(250 only after the next hop said 250; next hop down: 451).",
    )
    _dns_options(s)
    s.add_argument("--listen", metavar="HOST:PORT", help="listener address (default 127.0.0.1:10025)")
    s.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP on the listener")
    s.add_argument("--next-hop", metavar="HOST:PORT", help="where annotated mail goes (Postfix, Dovecot LMTP)")
    s.add_argument("--next-hop-lmtp", action="store_true",
                   help="the next hop speaks LMTP (Dovecot); --next-hop unix:/path for a socket")
    s.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    s.set_defaults(func=run_inbound)


def _dns_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="gateway YAML (its inbound: section)")
    p.add_argument("--nameserver", metavar="IP[:PORT]", help="send every DNS query to this server")
    p.add_argument("--authserv-id", metavar="ID", help="authserv-id of our Authentication-Results")
    p.add_argument("--dns-budget", type=float, metavar="SECONDS", help="DNS time per message (default 4)")


def run_annotate(args: argparse.Namespace) -> int:
    raw = sys.stdin.buffer.read()
    try:
        output = _annotate(raw, args)
    except BaseException as exc:  # noqa: BLE001 - the message must survive anything, even Ctrl-C
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
        reason = " ".join(str(exc).split()) or type(exc).__name__
        print("replyguard annotate: message passed through unchanged: %s: %s" % (type(exc).__name__, reason[:300]),
              file=sys.stderr)
        return EX_TEMPFAIL
    sys.stdout.buffer.write(output)
    sys.stdout.buffer.flush()
    return 0


def _annotate(raw: bytes, args: argparse.Namespace) -> bytes:
    import asyncio
    from datetime import datetime, timezone

    from proxy.inbound.annotate import annotate_message, remember

    settings = inbound_settings(args)
    now = datetime.now(timezone.utc)
    done: list[Any] = []

    async def main() -> None:
        # The result is handed out through `done`, not returned: on Python 3.11 asyncio.run
        # formats the repr of its main task (result included) when it restores the SIGINT
        # handler, and the repr of a 10 MB message cost over a second.
        done.append(await annotate_message(
            raw,
            client_ip=args.client_ip,
            helo=args.helo,
            mail_from=args.mail_from,
            resolver=settings.resolver(),
            authserv_id=settings.authserv_id,
            now=now,
            budget_s=settings.dns_budget,
            region_lookup=settings.region_lookup(),
        ))

    asyncio.run(main())
    annotation = done[0]
    if not args.no_store and settings.remember:
        try:
            store = open_store(settings.state_dir)
            try:
                asyncio.run(remember(store, annotation, now))
            finally:
                store.close()
        except Exception as exc:  # noqa: BLE001 - see the module docstring
            reason = " ".join(str(exc).split()) or type(exc).__name__
            print("replyguard annotate: annotated, but not remembered in the store: %s: %s"
                  % (type(exc).__name__, reason[:300]), file=sys.stderr)
    return annotation.output


def run_inbound(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    from proxy.cli import UsageError
    from proxy.config import ConfigError
    from proxy.smtp.inbound import serve_forever

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        settings = inbound_settings(args)
    except (ValueError, ConfigError) as exc:
        raise UsageError(str(exc)) from None
    if settings.next_hop is None:
        raise UsageError("replyguard inbound needs a next hop: --next-hop HOST:PORT or inbound.next_hop in the config")
    try:
        _serve(asyncio, serve_forever, settings)
    except OSError as exc:  # the address is taken or not ours
        raise UsageError("cannot listen on %s: %s" % (settings.listen, exc.strerror or exc)) from None
    return 0


def _serve(asyncio: Any, serve_forever: Any, settings: "Settings") -> None:
    asyncio.run(
        serve_forever(
            settings.listen,
            lmtp=settings.lmtp,
            next_hop=settings.next_hop,
            timeouts=settings.timeouts,
            annotator=settings.annotator(),
            auditor=settings.auditor(),
            next_hop_lmtp=settings.next_hop_lmtp,
        )
    )


# ----------------------------------------------------------------------------- settings


@dataclass
class Settings:
    """The inbound part of the config with the command-line flags applied on top."""

    state_dir: str
    authserv_id: str
    nameserver: str | None
    dns_budget: float
    geoip_db: str | None
    remember: bool
    listen: str
    lmtp: bool
    next_hop: Any  # proxy.config.UpstreamConfig | None
    next_hop_lmtp: bool
    timeouts: Any  # proxy.config.TimeoutsConfig
    audit: Any  # proxy.config.AuditConfig

    def resolver(self) -> Any:
        """One query may take at most half the budget: the checks run in two waves (DKIM
        keys, SPF and MX at once; then DMARC, which needs their results), so a key that
        never answers must leave time for the DMARC lookup that SPF alone can still pass."""
        from proxy.inbound.dns import DnspythonResolver

        per_query = min(2.0, self.dns_budget / 2)
        return DnspythonResolver(nameserver=self.nameserver, timeout=per_query,
                                 attempt_timeout=min(1.0, per_query))

    def region_lookup(self) -> Callable[[str], str | None] | None:
        """GeoIP only when a database is configured; a broken one is reported, not fatal."""
        if not self.geoip_db:
            return None
        from proxy.inbound.anonymity import geoip_lookup

        try:
            return geoip_lookup(self.geoip_db)
        except (ImportError, OSError, ValueError) as exc:
            print("replyguard: GeoIP database %s unusable (%s); no region reasons" % (self.geoip_db, exc),
                  file=sys.stderr)
            return None

    def auditor(self) -> Any:
        """The compliance log of the state dir (the same chain the outgoing door writes)."""
        from proxy.audit import open_log

        return open_log(self.state_dir, self.audit)

    def annotator(self) -> Any:
        """The per-message function the listener calls (pipeline + resolver + store)."""
        from proxy.smtp.inbound import Annotator

        return Annotator(
            resolver=self.resolver(),
            authserv_id=self.authserv_id,
            store=open_store(self.state_dir) if self.remember else None,
            budget_s=self.dns_budget,
            region_lookup=self.region_lookup(),
        )


def inbound_settings(args: argparse.Namespace) -> Settings:
    """Config file (if any) + flags; raises ValueError (or ConfigError) on bad values."""
    from proxy import config as configmod
    from proxy.cli import DEFAULT_STATE_DIR
    from proxy.inbound.annotate import DEFAULT_BUDGET_S, default_authserv_id

    cfg = configmod.load(args.config) if getattr(args, "config", None) else configmod.default_config()
    inbound = cfg.inbound
    state_dir = args.state_dir if (args.state_dir != DEFAULT_STATE_DIR or not args.config) else cfg.state_dir
    next_hop = inbound.next_hop
    hop_flag = getattr(args, "next_hop", None)
    if hop_flag and hop_flag.startswith("unix:"):
        next_hop = configmod.UpstreamConfig(host=hop_flag, port=24, tls="none", auth="none")
    elif hop_flag:
        host, port = configmod.split_hostport(hop_flag, 25)
        next_hop = configmod.UpstreamConfig(host=host, port=port, tls="none", auth="none")
    listen = getattr(args, "listen", None) or inbound.listen
    configmod.split_hostport(listen)
    budget = args.dns_budget if args.dns_budget is not None else (inbound.dns_budget or DEFAULT_BUDGET_S)
    if budget <= 0:
        raise ValueError("--dns-budget must be > 0")
    return Settings(
        state_dir=str(state_dir),
        authserv_id=args.authserv_id or inbound.authserv_id or default_authserv_id(),
        nameserver=args.nameserver or inbound.nameserver,
        dns_budget=budget,
        geoip_db=inbound.geoip_db,
        remember=inbound.remember,
        listen=listen,
        lmtp=bool(getattr(args, "lmtp", False)) or inbound.protocol == "lmtp",
        next_hop_lmtp=bool(getattr(args, "next_hop_lmtp", False)) or inbound.next_hop_protocol == "lmtp",
        next_hop=next_hop,
        timeouts=cfg.limits.timeouts,
        audit=getattr(cfg, "audit", None),
    )


def open_store(state_dir: str) -> Any:
    """The correspondence store in <state_dir>/replyguard.db."""
    from pathlib import Path

    from proxy.store import SQLiteStore

    return SQLiteStore(Path(state_dir) / "replyguard.db")
