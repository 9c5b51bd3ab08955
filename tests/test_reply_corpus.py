"""Reply corpus: every case under tests/corpus/replies must come out exact.

Runs shared/tools/check_replies.py (or, when it is not there, `replyguard check` per case)
from the project root. Cases whose expect.yaml carries `todo: true` are known engine gaps:
they are reported, and expected to mismatch, but do not fail the test.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus" / "replies"
REPLYGUARD = ROOT / ".venv" / "bin" / "replyguard"
CHECKER = ROOT.parent / "shared" / "tools" / "check_replies.py"


def _expect(case: Path) -> dict:
    out: dict = {}
    for line in (case / "expect.yaml").read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        value = value.strip()
        if key.strip() == "rules":
            out["rules"] = sorted(r.strip() for r in value.strip("[]").split(",") if r.strip())
        else:
            out[key.strip()] = value
    return out


CASES = sorted(p for p in CORPUS.iterdir() if (p / "expect.yaml").is_file())


def _run(case: Path) -> tuple[str, list[str]]:
    proc = subprocess.run(
        [str(REPLYGUARD), "check", "reply.eml", "--original", "original.eml",
         "--customers", "../customers.csv", "--json"],
        cwd=case, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=60)
    obj = json.loads(proc.stdout)
    return obj["action"], sorted({f["rule"] for f in obj["findings"]})


def check_case(case: Path) -> None:
    """The case comes out exact, or is a known gap (`todo: true`: xfail, and a failure once it passes)."""
    want = _expect(case)
    got = _run(case)
    exact = got == (want["action"], want["rules"])
    if want.get("todo") == "true":
        if exact:
            pytest.fail(f"{case.name} is marked todo but now passes: drop `todo: true`")
        pytest.xfail(f"known gap: expected {want['action']} {want['rules']}, got {got[0]} {got[1]}")
    assert exact, f"{case.name}: expected {want['action']} {want['rules']}, got {got[0]} {got[1]}"


def check_shared_checker(corpus: Path, cases: list[Path]) -> None:
    """shared/tools/check_replies.py reports exactly the corpus's `todo: true` cases."""
    proc = subprocess.run(
        [sys.executable, str(CHECKER), str(corpus), "--replyguard", str(REPLYGUARD)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    todo = {c.name for c in cases if _expect(c).get("todo") == "true"}
    mismatched = {line.split(":", 1)[0] for line in proc.stdout.splitlines()[:-1] if ":" in line}
    assert mismatched == todo, proc.stdout


@pytest.mark.skipif(not REPLYGUARD.exists(), reason="replyguard not installed in .venv")
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reply_case(case: Path) -> None:
    check_case(case)


@pytest.mark.skipif(not (REPLYGUARD.exists() and CHECKER.exists()), reason="checker or replyguard missing")
def test_shared_checker_reports_only_todo_cases() -> None:
    check_shared_checker(CORPUS, CASES)
