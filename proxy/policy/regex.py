"""Admin-written regular expressions, compiled with RE2 so a policy can never hang the gateway.

Policy files are written by admins, not developers, and every pattern runs on every reply at
the wire. Python's `re` backtracks: `(a+)+$` on a long line takes minutes. RE2 matches in
linear time by construction, and simply refuses the features that need backtracking
(backreferences, lookaround, possessive quantifiers). We turn that refusal into a sentence an
admin can act on, instead of a C++ log line.
"""
from __future__ import annotations

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the loader reports errors itself, with file:line:column

# RE2's own error texts name the construct but not why it is refused; add the why.
_WHY = (
    ("invalid escape sequence: \\1", "backreferences (\\1 … \\9) need backtracking"),
    ("invalid escape sequence: \\", "this escape is not supported"),
    ("invalid perl operator: (?<", "lookbehind needs backtracking"),
    ("invalid perl operator: (?=", "lookahead needs backtracking"),
    ("invalid perl operator: (?!", "negative lookahead needs backtracking"),
    ("invalid perl operator: (?>", "atomic groups are not supported"),
    ("invalid named capture group", "named groups are written (?P<name>…)"),
    ("invalid repetition size", "a counted repetition may be at most {1000}, nested ones less"),
    ("pattern too large", "the compiled pattern exceeds RE2's memory budget"),
    ("bad repetition operator: *+", "possessive quantifiers are not supported"),
    ("bad repetition operator: ++", "possessive quantifiers are not supported"),
    ("bad repetition operator: ?+", "possessive quantifiers are not supported"),
)


class RegexError(ValueError):
    """A pattern RE2 cannot compile; the message says what and, when known, why."""


Pattern = re2._Regexp


def compile_pattern(source: str) -> Pattern:
    """Compile `source` with RE2 (linear time) or raise RegexError with an admin-readable reason."""
    try:
        return re2.compile(source, options=_OPTIONS)
    except re2.error as exc:
        raw = exc.args[0] if exc.args else str(exc)
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        if "(?P=" in source:
            why = "named backreferences (?P=name) need backtracking"
        else:
            why = next((reason for marker, reason in _WHY if text.startswith(marker)), "")
        suffix = f" ({why}; RE2 matches in linear time and does not backtrack)" if why else ""
        raise RegexError(f"bad regex '{source}': {text}{suffix}") from None
