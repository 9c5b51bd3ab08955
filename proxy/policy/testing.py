"""`replyguard policy test DIR`: Semgrep-style tests for a policy, one thread directory per test.

A test is a directory holding `reply.eml`, usually `original.eml`, and `expect.yaml`
(`action`, the exact set of `rules`, `why`, optional `todo: true`) — the same format as the
shared example threads, so a real false positive can be dropped in as a test as it is.
`customers.csv` beside the test directories is the customer list. A test passes when the
action and the set of rule ids both match; `todo: true` records a known gap: its mismatch is
reported but does not fail the run (and a todo that now passes says so, to be promoted).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from proxy.message import parse
from proxy.policy.engine import Engine, Loaded
from proxy.policy.verdict import Verdict

PASS, FAIL, TODO, FIXED, ERROR = "PASS", "FAIL", "TODO", "PASS (todo fixed)", "ERROR"


@dataclass(frozen=True)
class Expectation:
    action: str
    rules: frozenset[str]
    why: str = ""
    todo: bool = False


@dataclass(frozen=True)
class CaseResult:
    name: str
    status: str
    expected: Expectation | None
    verdict: Verdict | None
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status in (FAIL, ERROR)

    def line(self) -> str:
        text = f"{self.status} {self.name}"
        return f"{text}: {self.detail}" if self.detail else text


def read_expect(path: Path) -> Expectation:
    """expect.yaml → Expectation. Read as `key: value` lines, like the shared example tooling, so
    a `why:` sentence may contain colons and quotes without YAML quoting; `rules` is a flow list."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    fields: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep or key.strip() not in ("action", "rules", "why", "todo"):
            raise ValueError(f"{path}:{number}:1: expected one of action:, rules:, why:, todo:")
        fields[key.strip()] = value.strip()
    if "action" not in fields or "rules" not in fields:
        raise ValueError(f"{path}: needs `action:` and `rules:`")
    listed = fields["rules"]
    if not (listed.startswith("[") and listed.endswith("]")):
        raise ValueError(f"{path}: `rules` must be a flow list like [quote-altered]")
    rules = frozenset(r.strip().strip("'\"") for r in listed[1:-1].split(",") if r.strip())
    todo = fields.get("todo", "false").lower() in ("true", "yes", "1")
    return Expectation(fields["action"].strip("'\""), rules, fields.get("why", ""), todo)


def find_cases(root: Path) -> Iterator[Path]:
    """Every directory under root (root included) that holds an expect.yaml, in name order."""
    yield from sorted(p.parent for p in root.rglob("expect.yaml"))


def _show(action: str, rules: frozenset[str] | set[str]) -> str:
    return f"{action} [{', '.join(sorted(rules))}]"


def run_case(case: Path, engine: Engine, name: str) -> CaseResult:
    try:
        expected = read_expect(case / "expect.yaml")
    except ValueError as exc:
        return CaseResult(name, ERROR, None, None, str(exc))
    try:
        reply = parse((case / "reply.eml").read_bytes())
        original_path = case / "original.eml"
        original = parse(original_path.read_bytes()) if original_path.is_file() else None
    except OSError as exc:
        return CaseResult(name, ERROR, expected, None, f"cannot read: {exc}")
    verdict = engine.evaluate(reply, original)
    got_rules = {f.rule for f in verdict.findings}
    matched = verdict.action.label == expected.action and got_rules == expected.rules
    if matched:
        return CaseResult(name, FIXED if expected.todo else PASS, expected, verdict)
    missing = sorted(expected.rules - got_rules)
    unexpected = sorted(got_rules - expected.rules)
    parts = [f"expected {_show(expected.action, expected.rules)}, got {_show(verdict.action.label, got_rules)}"]
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    for finding in verdict.findings:
        if finding.rule in unexpected:
            parts.append(f"unexpected {finding.rule} ({finding.where}: {finding.evidence[:60]!r})")
    return CaseResult(name, TODO if expected.todo else FAIL, expected, verdict, "; ".join(parts))


def customers_for(case: Path, root: Path) -> Path | None:
    """The nearest customers.csv from the test directory up to the tested root."""
    for directory in (case, *case.parents):
        if (directory / "customers.csv").is_file():
            return directory / "customers.csv"
        if directory == root:
            break
    return None


def run_tests(root: Path, loaded_for: Callable[[Path | None], Loaded]) -> list[CaseResult]:
    """Run every test under root; `loaded_for(customers_csv_or_None)` gives the policy + customers,
    built once per customers file."""
    results = []
    engines: dict[Path | None, Engine] = {}
    for case in find_cases(root):
        csv_path = customers_for(case, root)
        if csv_path not in engines:
            engines[csv_path] = Engine(loaded_for(csv_path))
        name = str(case.relative_to(root)) if case != root else case.name
        results.append(run_case(case, engines[csv_path], name))
    return results
