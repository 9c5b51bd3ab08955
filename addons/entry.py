"""The `mitmdump -s addons/entry.py` script: replyguard's options plus the three API guards.

    mitmdump -s addons/entry.py --set replyguard_policy=policies/default.yaml \\
             --set replyguard_state_dir=var --allow-hosts '^(gmail|www)\\.googleapis\\.com$' ...

`ReplyguardOptions` owns the options (declared in `load`) and builds, in `configure`, the same
decision parts the SMTP gateway uses, from the same gateway config if one is given: the policy
Engine over the correspondence store, the hold queue and the compliance log, all under the
state dir. It parses the policy once there,
never in a request hook; a bad policy becomes an OptionsError carrying the loader's
`file:line:column` lines, and mitmproxy keeps the previous, working configuration. The guards
get this object as their Decider, Holder and Auditor at construction, so they never read
`ctx.options` themselves.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:  # loaded by path (mitmdump -s): this checkout's packages come first
    sys.path.insert(0, _ROOT)

from mitmproxy import ctx, exceptions, http

from addons import make_addons
from proxy.decision import EnvelopeInfo
from proxy.message import ParsedMessage
from proxy.policy.verdict import Verdict

NOT_READY = "replyguard: no policy loaded yet (the replyguard options were never configured)"


class ReplyguardOptions:
    """Options → Engine, Quarantine and AuditLog; the guards' Decider/Holder/Auditor."""

    def __init__(self) -> None:
        self.engine: Any = None
        self.quarantine: Any = None
        self.audit: Any = None
        self.allowed: list[re.Pattern[str]] = []

    def load(self, loader: Any) -> None:
        loader.add_option("replyguard_config", str, "",
                          "replyguard gateway YAML: its policy, state_dir and audit settings (empty: defaults)")
        loader.add_option("replyguard_policy", str, "",
                          "replyguard policy YAML (empty: the config's, else the shipped policies/default.yaml)")
        loader.add_option("replyguard_state_dir", str, "",
                          "replyguard state dir with replyguard.db, held/, audit/ (empty: the config's, else var)")

    def configure(self, updated: set[str]) -> None:
        if "allow_hosts" in updated:
            self.allowed = [re.compile(x, re.IGNORECASE) for x in ctx.options.allow_hosts]
        if {"replyguard_config", "replyguard_policy", "replyguard_state_dir"} & updated:
            self._open(ctx.options.replyguard_config, ctx.options.replyguard_policy, ctx.options.replyguard_state_dir)

    def _open(self, config: str, policy: str, state_dir: str) -> None:
        """Build what the SMTP gateway builds from the same settings; all or nothing."""
        from proxy import config as configmod
        from proxy.audit import open_log
        from proxy.policy.loader import PolicyError
        from proxy.policy.reload import open_engine
        from proxy.quarantine import Quarantine
        from proxy.store import SQLiteStore

        try:
            cfg = configmod.load(config) if config else configmod.default_config()
            state = Path(state_dir or cfg.state_dir)
            engine = open_engine(policy or (cfg.policy if config else None), store=SQLiteStore(state / "replyguard.db"))
            parts = engine, Quarantine(state / "held"), open_log(state, cfg.audit)
        except (configmod.ConfigError, PolicyError) as exc:
            raise exceptions.OptionsError(str(exc)) from None
        except (OSError, ValueError) as exc:
            raise exceptions.OptionsError(f"replyguard: {exc}") from None
        self.engine, self.quarantine, self.audit = parts

    def in_scope(self, flow: http.HTTPFlow) -> bool:
        """allow_hosts limits which TLS connections mitmproxy opens; plain-HTTP proxy requests
        reach the addons whatever the host, so the guards ask here too."""
        if not self.allowed:
            return True
        name = f"{flow.request.pretty_host}:{flow.request.port}"
        return any(rex.search(name) for rex in self.allowed)

    def __call__(self, envelope: EnvelopeInfo, message: ParsedMessage) -> Verdict:
        if self.engine is None:
            raise RuntimeError(NOT_READY)  # the door answers 503: nothing unchecked is sent
        return self.engine.decide(envelope, message)

    def hold(self, raw: bytes, envelope: EnvelopeInfo, verdict: Verdict) -> str:
        if self.quarantine is None:
            raise RuntimeError(NOT_READY)
        return self.quarantine.hold(raw, envelope, verdict)

    def record(self, **kwargs: Any) -> None:
        if self.audit is not None:
            self.audit.record(**kwargs)


options = ReplyguardOptions()
addons = [options, *make_addons(options, options, options, options.in_scope)]
