"""What a rule gets and what it gives back.

A rule answers one question about one reply (Mailman style). It gets the parsed reply, a
`Context` the door built (the original, the customer index, the original's classification,
the clock) and its own settings from the policy file, and returns `Hit`s: what it saw and
where, never what happens — the engine turns hits into Findings with the policy's action
and message.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Protocol

from proxy.message import ParsedMessage


@dataclass(frozen=True)
class Hit:
    """One observation. `detail` is the rule's concrete sentence, keyed by language ("ja", "en"):
    what is wrong, where, what to do. The policy's message for the rule is shown before it."""

    evidence: str
    where: str
    detail: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """Everything beyond the reply itself. Built by the door; rules never do I/O."""

    original: ParsedMessage | None = None
    customers: Any = None            # proxy.customers.CustomerIndex (or None when no customer data)
    complaint: Any = None            # proxy.inbound.classify.Classification of the original, or None
    now: datetime | None = None


class Rule(Protocol):
    """A rule module: `ID` (kebab-case, = module name in snake_case), `DESCRIPTION`,
    `NEEDS_ORIGINAL`, and `check`."""

    ID: str
    DESCRIPTION: str
    NEEDS_ORIGINAL: bool

    def check(self, message: ParsedMessage, context: Context, settings: Mapping[str, Any]) -> list[Hit]: ...
