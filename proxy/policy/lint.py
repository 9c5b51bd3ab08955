"""`replyguard policy lint`: everything the loader rejects, plus advice it does not enforce.

Errors are exactly what would stop the gateway from loading the file (so lint in CI predicts
the reload); warnings are style the team agreed on (short messages to agents, a handbook
reference per rule, every rule listed) and never fail the lint.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from proxy.policy.loader import PolicyError, load_policy

MAX_MESSAGE_CHARS = {"ja": 120, "en": 200}   # an SMTP error dialog shows a line or two


@dataclass(frozen=True)
class LintResult:
    path: str
    errors: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def lint_file(path: str | Path, *, registry: Mapping[str, Any] | None = None) -> LintResult:
    """Load the file as the gateway would and collect errors (file:line:column) and warnings."""
    try:
        policy = load_policy(path, registry=registry)
    except PolicyError as exc:
        return LintResult(str(path), tuple(exc.errors), ())
    warnings = list(policy.warnings)
    for rule in policy.rules:
        for lang, text in rule.message.items():
            if len(text) > MAX_MESSAGE_CHARS[lang]:
                warnings.append(f"{rule.where}: warning: rule {rule.id!r}: the {lang} message has {len(text)} "
                                f"characters; keep it under {MAX_MESSAGE_CHARS[lang]} (agents read it in an error dialog)")
        if not rule.reference:
            warnings.append(f"{rule.where}: warning: rule {rule.id!r} has no metadata.reference to the support handbook")
    if not any(r.enabled for r in policy.rules):
        warnings.append(f"{path}:1:1: warning: every rule is off; this policy lets every reply through")
    return LintResult(str(path), (), tuple(warnings))
