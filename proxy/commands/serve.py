"""`replyguard serve` (the submission gateway), `replyguard certs` and `replyguard passwd`.

Why here and not in submission.py: this is where the configuration meets the process —
flags over file, certificates made on first run, signals, what is printed at start — while
`proxy.smtp.submission` stays importable and testable without a command line.
`build_decision_parts` is the one place where the policy engine, the hold queue and the
audit log are plugged into the door.
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import signal
import sys
from pathlib import Path

from proxy import config as configmod
from proxy import tlscert
from proxy.cli import DEFAULT_STATE_DIR, UsageError
from proxy.decision import Auditor, Decider, Holder
from proxy.smtp.accounts import UsersFile
from proxy.policy.reload import DEFAULT_POLICY, PolicyWatcher, gateway_engine, watch_policy
from proxy.smtp.submission import Gateway, SubmissionHandler


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("serve", parents=[common], help="run the SMTP submission gateway",
                       description="Run the outgoing SMTP submission gateway (before-queue policy proxy).")
    p.add_argument("--config", metavar="FILE", help="gateway YAML (see gateway.example.yaml)")
    p.add_argument("--listen", metavar="HOST:PORT", help="address of the (first) listener; default 127.0.0.1:10587")
    p.add_argument("--upstream", metavar="HOST:PORT", help="real submission server; 'none' = local maildir")
    p.add_argument("--upstream-tls", choices=("none", "starttls", "implicit"), help="TLS towards the upstream")
    p.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    p.set_defaults(func=run_serve)

    c = sub.add_parser("certs", parents=[common], help="create the gateway's self-signed TLS certificate",
                       description="Create the listener certificate if absent (keys are never committed).")
    c.add_argument("--config", metavar="FILE")
    c.add_argument("--force", action="store_true", help="replace an existing certificate")
    c.set_defaults(func=run_certs)

    pw = sub.add_parser("passwd", parents=[common], help="add a local user for upstream.auth: account",
                        description="Add or replace a user in the users file (password read from stdin or prompt).")
    pw.add_argument("user")
    pw.add_argument("--users-file", required=True, metavar="FILE")
    pw.set_defaults(func=run_passwd)


def load_settings(args: argparse.Namespace) -> configmod.GatewayConfig:
    """The config file (if any) with the command-line flags applied on top."""
    try:
        cfg = configmod.load(args.config) if getattr(args, "config", None) else configmod.default_config()
        state_dir = args.state_dir if args.state_dir != DEFAULT_STATE_DIR or not args.config else None
        configmod.apply_overrides(
            cfg,
            listen=getattr(args, "listen", None),
            upstream=getattr(args, "upstream", None),
            upstream_tls=getattr(args, "upstream_tls", None),
            state_dir=state_dir,
        )
    except configmod.ConfigError as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return cfg


def cert_paths(cfg: configmod.GatewayConfig) -> tuple[Path, Path]:
    default_cert, default_key = tlscert.default_paths(cfg.state_dir)
    return Path(cfg.tls.cert_file or default_cert), Path(cfg.tls.key_file or default_key)


def build_decision_parts(cfg: configmod.GatewayConfig) -> tuple[Decider, PolicyWatcher, Holder | None, Auditor | None]:
    """Policy engine (with its reload watcher), hold queue and audit log for the door.

    The engine reads originals and customers from the state dir's store, which
    `replyguard store add`, `customers import` and the inbound door fill. The hold queue
    and the compliance log share the state dir with `replyguard held …`. A policy that
    does not load stops the start with its file:line:column errors.
    """
    from proxy.audit import open_log
    from proxy.policy.loader import PolicyError
    from proxy.release import GatewayHolder, from_config

    try:
        engine, watcher = gateway_engine(cfg.policy or DEFAULT_POLICY, cfg.state_dir)
    except PolicyError as exc:
        raise UsageError(str(exc)) from None
    try:
        auditor = open_log(cfg.state_dir, cfg.audit)
        holder = GatewayHolder(from_config(cfg, auditor))
    except OSError as exc:
        raise UsageError(f"cannot open the compliance log / hold queue: {exc}") from None
    return engine, watcher, holder, auditor


def run_certs(args: argparse.Namespace) -> int:
    cfg = load_settings(args)
    cert, key = cert_paths(cfg)
    if args.force:
        for p in (cert, key):
            p.unlink(missing_ok=True)
    try:
        made = tlscert.ensure(cert, key, cfg.tls.hostname)
    except (OSError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from None
    print(f"{'created' if made else 'exists'}: {cert} (key {key})")
    return 0


def run_passwd(args: argparse.Namespace) -> int:
    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("password: ")
    if not password:
        raise UsageError("empty password")
    try:
        UsersFile(args.users_file).set(args.user, password)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(f"user {args.user} set in {args.users_file}")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter
    cfg = load_settings(args)
    server_tls = None
    if any(lst.tls != "none" for lst in cfg.listeners):
        cert, key = cert_paths(cfg)
        try:
            if tlscert.ensure(cert, key, cfg.tls.hostname):
                print(f"replyguard: generated a self-signed certificate {cert}", flush=True)
            server_tls = tlscert.server_context(cert, key)
        except (OSError, ValueError) as exc:
            raise UsageError(f"TLS certificate: {exc}") from None
    decider, watcher, holder, auditor = build_decision_parts(cfg)
    recover = getattr(holder, "releaser", None)
    if recover is not None:  # finish or roll back what a killed predecessor left in held/
        for line in asyncio.run(recover.recover()):
            print(f"replyguard: recovered: {line}", flush=True)
    try:
        from proxy import notices  # "Not sent" mails to the agent (notices: in the config)
        notifier = notices.from_config(cfg, policy=str(cfg.policy or DEFAULT_POLICY))
        handler = SubmissionHandler(cfg, decider=decider, holder=holder, auditor=auditor, hostname=cfg.tls.hostname,
                                    notifier=notifier)
    except OSError as exc:
        raise UsageError(f"cannot start: {exc}") from None
    try:
        return asyncio.run(_serve(cfg, handler, server_tls, watcher))
    except OSError as exc:
        raise UsageError(f"cannot listen: {exc}") from None


async def _serve(cfg: configmod.GatewayConfig, handler: SubmissionHandler, server_tls,
                 watcher: PolicyWatcher) -> int:
    gateway = Gateway(cfg, handler, server_tls=server_tls)
    addresses = await gateway.start()
    for lst, (host, port) in zip(cfg.listeners, addresses):
        print(f"replyguard: listening on {host}:{port} ({lst.tls})", flush=True)
    if cfg.upstream is None:
        print(f"replyguard: no upstream configured: accepted mail goes to {Path(cfg.state_dir) / 'outbox' / 'new'}/",
              flush=True)
    else:
        up = cfg.upstream
        print(f"replyguard: relaying to {up.host}:{up.port} (tls {up.tls}, auth {up.auth})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    periodic = getattr(handler.holder, "periodic", None)  # delay-send release, escalation
    tasks = [asyncio.create_task(watch_policy(watcher, stop=stop))]  # SIGHUP and file changes
    if periodic is not None:
        tasks.append(asyncio.create_task(periodic(cfg.hold.interval, stop)))
    policy = watcher.engine.policy
    print(f"replyguard: policy {policy.path} (version {policy.version})", flush=True)
    await stop.wait()
    await asyncio.gather(*tasks)
    print("replyguard: shutting down, finishing transactions in flight", flush=True)
    await gateway.stop()
    return 0
