"""Test doubles for the addon tests: real implementations of the decision protocols.

`FixedDecider` answers one Verdict; `SubjectDecider` is a tiny real decider (reject when the
subject lost its "Re:"), so tests with several mails see per-mail decisions. The holder and
auditor keep what they got in lists, as the real ones keep it on disk.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from proxy.decision import EnvelopeInfo
from proxy.message import ParsedMessage
from proxy.policy.verdict import Action, Finding, Verdict

FIXTURES = Path(__file__).parent / "fixtures"

SUBJECT = Finding("subject-changed", Action.REJECT, "件名を変えないでください。/ Keep the customer's subject.", "Re: x", "subject")
SIGNATURE = Finding("signature-missing", Action.HOLD, "署名がありません。/ Sign with your own name.", "", "signature")
STYLE = Finding("apology-missing", Action.WARN, "お詫びの言葉がありません。", "", "body")

ACCEPT = Verdict(Action.ACCEPT)
WARN = Verdict.from_findings([STYLE])
HOLD = Verdict.from_findings([SIGNATURE])
REJECT = Verdict.from_findings([SUBJECT])


@dataclass
class FixedDecider:
    verdict: Verdict
    seen: list[tuple[EnvelopeInfo, ParsedMessage]] = field(default_factory=list)

    def __call__(self, envelope: EnvelopeInfo, message: ParsedMessage) -> Verdict:
        self.seen.append((envelope, message))
        return self.verdict


@dataclass
class SubjectDecider:
    seen: list[tuple[EnvelopeInfo, ParsedMessage]] = field(default_factory=list)

    def __call__(self, envelope: EnvelopeInfo, message: ParsedMessage) -> Verdict:
        self.seen.append((envelope, message))
        return ACCEPT if message.subject.startswith("Re:") else REJECT


class BrokenDecider:
    def __call__(self, envelope: EnvelopeInfo, message: ParsedMessage) -> Verdict:
        raise RuntimeError("engine bug")


@dataclass
class MemoryHolder:
    held: list[tuple[bytes, EnvelopeInfo, Verdict]] = field(default_factory=list)

    def hold(self, raw: bytes, envelope: EnvelopeInfo, verdict: Verdict) -> str:
        self.held.append((raw, envelope, verdict))
        return f"H{len(self.held)}"


@dataclass
class MemoryAuditor:
    records: list[dict] = field(default_factory=list)

    def record(self, **kwargs) -> None:
        self.records.append(kwargs)

    @property
    def outcomes(self) -> list[str]:
        return [r["outcome"] for r in self.records]


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
