"""`policy lint`: one good and one bad fixture per lint; errors are what the loader would refuse."""
from __future__ import annotations

import types
from pathlib import Path

import pytest

from proxy.policy.lint import lint_file

IDS = ("subject-changed", "quote-altered", "signature-missing", "other-customer-data", "apology-missing")
FAKE = {i: types.SimpleNamespace(ID=i, NEEDS_ORIGINAL=True) for i in IDS}
LINT = Path(__file__).parent / "fixtures" / "lint"


@pytest.mark.parametrize("fixture", sorted(p.name for p in LINT.glob("good-*.yaml")))
def test_good_fixture_has_no_errors_or_warnings(fixture):
    result = lint_file(LINT / fixture, registry=FAKE)
    assert result.ok and result.errors == () and result.warnings == ()


@pytest.mark.parametrize("fixture", sorted(p.name for p in LINT.glob("bad-*.yaml")))
def test_bad_fixture_fails_at_its_line(fixture):
    path = LINT / fixture
    line, column, text = path.read_text().splitlines()[0].removeprefix("# error: ").split(":", 2)
    result = lint_file(path, registry=FAKE)
    assert not result.ok
    assert any(e.startswith(f"{path}:{line}:{column}: ") and text.strip() in e for e in result.errors), result.errors
    assert all(e.startswith(f"{path}:") and "Traceback" not in e for e in result.errors)


def write(tmp_path, body: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nlanguage: en\nrules:\n" + body)
    return path


def entry(rule_id: str, message_en: str = "Short.", meta: bool = True) -> str:
    text = f"  - id: {rule_id}\n    action: warn\n    message: {{ja: 短い。, en: {message_en}}}\n"
    return text + ("    metadata: {reference: h#x}\n" if meta else "")


def test_warnings_do_not_fail(tmp_path):
    path = write(tmp_path, entry("quote-altered", "x" * 250) + entry("subject-changed", meta=False))
    result = lint_file(path, registry=FAKE)
    assert result.ok
    text = "\n".join(result.warnings)
    assert f"{path}:4:5: warning: rule 'quote-altered': the en message has 250 characters" in text
    assert f"{path}:8:5: warning: rule 'subject-changed' has no metadata.reference" in text
    assert "'apology-missing' is not listed" in text


def test_all_rules_off_warns(tmp_path):
    body = "".join(entry(i).replace("action: warn", 'action: "off"') for i in IDS)
    result = lint_file(write(tmp_path, body), registry=FAKE)
    assert result.ok and any("every rule is off" in w for w in result.warnings)
