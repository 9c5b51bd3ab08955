"""What the engine returns: findings, each with the policy's action, and the strongest action.

These types are shared by every door (SMTP, mitmproxy addons, CLI), the audit log and
the hold queue, so they carry plain data only.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Action(enum.IntEnum):
    """Outcome of a finding or a verdict, ordered: the strongest action wins."""

    ACCEPT = 0
    WARN = 1
    HOLD = 2
    REJECT = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Action":
        return cls[text.strip().upper()]


@dataclass(frozen=True)
class Finding:
    """One rule's observation about one message.

    `message` is in the policy's language (ja or en); `message_en` is always English,
    for channels that can only carry ASCII (SMTP replies without SMTPUTF8).
    `where` names the part of the mail (subject, quote, signature, body line N, To/Cc).
    """

    rule: str
    action: Action
    message: str
    evidence: str = ""
    where: str = ""
    message_en: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "action": self.action.label,
            "message": self.message,
            "evidence": self.evidence,
            "where": self.where,
        }


@dataclass(frozen=True)
class Verdict:
    """The engine's answer for one message.

    `rules_run` lists every rule that was evaluated (hit or miss), so the audit log can
    answer "why was this accepted?". `notes` are findings-like remarks that are not rule
    hits (e.g. "original not found").
    """

    action: Action
    findings: tuple[Finding, ...] = ()
    rules_run: tuple[str, ...] = ()
    policy_version: str = ""
    shadow: tuple[Finding, ...] = field(default=())
    delay_seconds: float = 0.0      # policy `delay:`: hold accepted mail this long so the agent can call it back

    @classmethod
    def from_findings(
        cls,
        findings: list[Finding] | tuple[Finding, ...],
        rules_run: tuple[str, ...] = (),
        policy_version: str = "",
        shadow: tuple[Finding, ...] = (),
    ) -> "Verdict":
        action = max((f.action for f in findings), default=Action.ACCEPT)
        return cls(action, tuple(findings), rules_run, policy_version, shadow)

    def to_json(self) -> dict:
        return {"action": self.action.label, "findings": [f.to_json() for f in self.findings]}


ACCEPT_ALL = Verdict(Action.ACCEPT)
