"""The inbound annotation corpus (tests/corpus/inbound, made by its make_corpus.py) through the
shared acceptance harness: every case must come out exact, except cases marked `todo: true` in
their expect.yaml (known gaps, each with a `todo_reason`)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus" / "inbound"
HARNESS = Path("/work/shared/tools/check_inbound.py")
PYTHON = ROOT / ".venv" / "bin" / "python"
REPLYGUARD = ROOT / ".venv" / "bin" / "replyguard"


def _cases() -> dict[str, dict]:
    return {d.name: yaml.safe_load((d / "expect.yaml").read_text(encoding="utf-8")) or {}
            for d in sorted(CORPUS.iterdir()) if (d / "message.eml").is_file()}


@pytest.fixture(scope="module")
def harness_output() -> str:
    if not HARNESS.is_file():
        pytest.skip("shared acceptance harness not available")
    python = PYTHON if PYTHON.exists() else Path(sys.executable)
    proc = subprocess.run([str(python), str(HARNESS), str(CORPUS), "--replyguard", str(REPLYGUARD)],
                          cwd=ROOT, capture_output=True, text=True, timeout=3600)
    assert re.search(r"^inbound: \d+/\d+ exact", proc.stdout, re.M), proc.stdout + proc.stderr
    return proc.stdout


def _failures(output: str) -> dict[str, list[str]]:
    names = _cases()
    out: dict[str, list[str]] = {}
    for line in output.splitlines():
        name, sep, what = line.partition(": ")
        if sep and name in names:
            out.setdefault(name, []).append(what)
    return out


def test_corpus_cases_exact(harness_output: str) -> None:
    cases = _cases()
    failures = _failures(harness_output)
    unexpected = {n: f for n, f in failures.items() if not cases[n].get("todo")}
    assert not unexpected, "\n".join(f"{n}: {w}" for n, ws in unexpected.items() for w in ws)


def test_todo_cases_still_fail(harness_output: str) -> None:
    """A `todo` case that now passes should lose its mark (so the gap stays covered)."""
    cases = _cases()
    failures = _failures(harness_output)
    fixed = [n for n, e in cases.items() if e.get("todo") and n not in failures]
    if fixed:
        pytest.xfail("todo cases now exact, drop their todo mark: %s" % ", ".join(fixed))
