"""`replyguard addons`: run mitmproxy (mitmdump) with replyguard's mail-API guards.

Why a command and not only a documented `mitmdump -s` line: the command gets the details
right every time — listen on 127.0.0.1 only, intercept only the mail-API hosts (mitmproxy's
`allow_hosts`; all other traffic is tunnelled untouched), keep replyguard's own mitmproxy CA
under the state dir (`<state-dir>/mitmproxy`, never committed; see certs/mitmproxy.md), and
hand the policy and state dir to addons/entry.py as options.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

from proxy.cli import DEFAULT_STATE_DIR, UsageError

ENTRY = Path(__file__).resolve().parents[2] / "addons" / "entry.py"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("addons", parents=[common], help="run mitmproxy with the mail-API guards",
                       description="Run mitmdump with replyguard's Gmail/Graph/JMAP guards on 127.0.0.1.")
    p.add_argument("--listen-port", type=int, default=8080, metavar="N", help="proxy port (default 8080)")
    p.add_argument("--config", metavar="FILE", help="gateway YAML (as for serve): its policy, state_dir, audit settings")
    p.add_argument("--policy", metavar="PATH", help="policy YAML (default: the config's, else policies/default.yaml)")
    p.add_argument("--api-host", action="append", default=[], metavar="HOST[:PORT]",
                   help="also intercept this host (your JMAP server, a test server); repeatable")
    p.add_argument("--confdir", metavar="DIR", help="mitmproxy confdir with replyguard's CA (default <state-dir>/mitmproxy)")
    p.add_argument("--init-ca", action="store_true",
                   help="only create replyguard's mitmproxy CA (if absent) and print the certificate to install")
    p.add_argument("mitmdump_args", nargs=argparse.REMAINDER, help="after --: passed to mitmdump as they are")
    p.set_defaults(func=run_addons)


def allow_host_patterns(hosts: list[str]) -> list[str]:
    """mitmproxy matches allow_hosts against `host:port`; a host without a port matches any port."""
    out = []
    for host in hosts:
        name, _, port = host.rpartition(":") if re.search(r":\d+$", host) else (host, "", "")
        out.append(f"^{re.escape(name)}:{port or '[0-9]+'}$")
    return out


def state_dir_of(args: argparse.Namespace) -> str | None:
    """--state-dir wins; with --config and no --state-dir, the config's state_dir (as serve does)."""
    if args.config and args.state_dir == DEFAULT_STATE_DIR:
        return None
    return str(args.state_dir)


def confdir_of(args: argparse.Namespace) -> Path:
    if args.confdir:
        return Path(args.confdir)
    state = state_dir_of(args)
    if state is None:
        from proxy import config as configmod
        try:
            state = str(configmod.load(args.config).state_dir)
        except configmod.ConfigError as exc:
            raise UsageError(str(exc)) from None
    return Path(state) / "mitmproxy"


def init_ca(confdir: Path) -> Path:
    """Create the CA mitmproxy signs its certificates with, named so it is recognisable in a
    browser's or OS's certificate list; the directory is private to the user (it holds the key)."""
    from mitmproxy.certs import CertStore

    if not (confdir / "mitmproxy-ca.pem").exists():
        CertStore.create_store(confdir, "mitmproxy", 2048, organization="replyguard", cn="replyguard mitmproxy CA")
    os.chmod(confdir, 0o700)
    return confdir / "mitmproxy-ca-cert.pem"


def mitmdump_argv(args: argparse.Namespace) -> list[str]:
    """The full mitmdump command line for these arguments."""
    from addons import API_HOSTS

    mitmdump = shutil.which("mitmdump", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if mitmdump is None:
        raise UsageError("mitmdump not found; install the extra: pip install -e '.[addons]'")
    for what, path in (("policy", args.policy), ("config", args.config)):
        if path and not Path(path).is_file():
            raise UsageError(f"{path}: no such {what} file")
    argv = [mitmdump, "--listen-host", "127.0.0.1", "--listen-port", str(args.listen_port),
            "--set", f"confdir={confdir_of(args)}", "-s", str(ENTRY)]
    for option, value in (("config", args.config), ("policy", args.policy), ("state_dir", state_dir_of(args))):
        if value:
            argv += ["--set", f"replyguard_{option}={value}"]
    for pattern in allow_host_patterns([*API_HOSTS, *args.api_host]):
        argv += ["--allow-hosts", pattern]
    extra = args.mitmdump_args[1:] if args.mitmdump_args[:1] == ["--"] else args.mitmdump_args
    return argv + extra


def run_addons(args: argparse.Namespace) -> int:
    cert = init_ca(confdir_of(args))
    if args.init_ca:
        print(cert)
        return 0
    argv = mitmdump_argv(args)
    print("replyguard: " + " ".join(argv), file=sys.stderr, flush=True)
    os.execv(argv[0], argv)  # mitmdump takes over the process: signals and exit code are its own
    return 0  # not reached
