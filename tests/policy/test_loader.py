"""The policy loader: every key compiles to typed data, every mistake to one file:line:column line."""
from __future__ import annotations

import types
from pathlib import Path

import pytest

from proxy.policy.loader import (
    APOLOGY_PHRASES,
    PolicyError,
    compile_policy,
    load_policy,
    parse_duration,
)
from proxy.policy.regex import RegexError, compile_pattern
from proxy.policy.verdict import Action

IDS = ("subject-changed", "quote-altered", "signature-missing", "other-customer-data", "apology-missing")
FAKE = {i: types.SimpleNamespace(ID=i, NEEDS_ORIGINAL=True) for i in IDS}
LINT = Path(__file__).parent / "fixtures" / "lint"
ROOT = Path(__file__).parents[2]


def compile_text(text: str, path: str = "p.yaml"):
    return compile_policy(text.encode(), path, registry=FAKE)


def errors_of(text: str) -> list[str]:
    with pytest.raises(PolicyError) as info:
        compile_text(text)
    return info.value.errors


def test_full_fixture_compiles_to_typed_policy():
    policy = load_policy(LINT / "good-full.yaml", registry=FAKE)
    assert policy.language == "ja"
    assert policy.shadow is True
    assert policy.delay_seconds == 120
    assert policy.no_original is Action.HOLD
    assert policy.groups["trainees"].matches("New.Agent@support.example.jp")
    assert policy.groups["trainees"].matches("x@sub.trainee.example.jp")
    assert not policy.groups["trainees"].matches("x@nottrainee.example.jp")
    assert policy.groups["partners"].matches("boss@example.net")
    assert not policy.groups["partners"].matches("other@example.net")
    subject = policy.rule("subject-changed")
    assert subject is not None and subject.shadow and subject.action is Action.REJECT
    assert dict(subject.group_actions) == {"trainees": Action.HOLD, "partners": None}
    assert subject.settings["reply_prefixes"] == ("Re", "返信")
    assert subject.settings["allowed_tags_re"][0].search("Re: [Ticket#42] x")
    assert policy.rule("apology-missing").settings["phrases"] == ("申し訳ございません", "sorry")
    assert policy.rule("signature-missing").settings["required_lines"] == ("ミナト家電株式会社", "TEL 0120-000-000")
    assert len(policy.version) == 12


def test_defaults_fill_unset_settings_and_settings_are_read_only():
    policy = load_policy(LINT / "good-minimal.yaml", registry=FAKE)
    apology = policy.rule("apology-missing")
    assert apology.action is None and not apology.enabled          # off
    assert apology.settings["phrases"] == APOLOGY_PHRASES
    subject = policy.rule("subject-changed").settings
    assert "返信" in subject["reply_prefixes"] and "Fwd" in subject["forward_prefixes"]
    assert "Fwd" not in subject["reply_prefixes"]
    assert subject["allowed_tags"] == ()
    with pytest.raises(TypeError):
        subject["allowed_tags"] = ("x",)  # type: ignore[index]


def test_version_is_hash_of_bytes():
    text = (LINT / "good-minimal.yaml").read_text()
    a = compile_text(text)
    b = compile_text(text + "\n# a comment changes the version\n")
    assert a.version != b.version and len(a.version) == 12


@pytest.mark.parametrize("fixture", sorted(p.name for p in LINT.glob("bad-*.yaml")))
def test_bad_fixture_reports_its_line_and_column(fixture):
    path = LINT / fixture
    line, column, text = path.read_text().splitlines()[0].removeprefix("# error: ").split(":", 2)
    with pytest.raises(PolicyError) as info:
        load_policy(path, registry=FAKE)
    where = f"{path}:{line}:{column}: "
    assert any(e.startswith(where) and text.strip() in e for e in info.value.errors), info.value.errors


def test_all_errors_reported_at_once():
    errors = errors_of(
        "version: 1\nlanguage: en\nrules:\n"
        "  - id: nope\n    action: reject\n    message: {ja: a, en: b}\n"
        "  - id: quote-altered\n    action: maybe\n    message: {ja: a}\n"
    )
    assert [e.split(": ", 1)[0] for e in errors] == ["p.yaml:4:9", "p.yaml:8:13", "p.yaml:9:14"]


@pytest.mark.parametrize("text, expected", [
    ("", "p.yaml:1:1: the policy file is empty"),
    ("- a\n- b\n", "p.yaml:1:1: the policy must be a mapping"),
    ("version: 2\nlanguage: en\nrules: []\n", "p.yaml:1:10: unsupported policy version"),
    ("version: 1\nlanguage: en\nrules: []\nrules: []\n", "p.yaml:4:1: duplicate key 'rules'"),
    ("version: 1\nlanguage: en\nrules:\n  - id: quote-altered\n    message: {ja: a, en: b}\n",
     "p.yaml:4:5: rule 'quote-altered' has no `action`"),
    ("version: 1\nlanguage: en\nrules:\n  - id: quote-altered\n    action: warn\n    message: {ja: ' ', en: b}\n",
     "p.yaml:6:19: message in ja is empty"),
    ("version: 1\nlanguage: en\ncustomers: [missing.csv]\nrules: []\n",
     "p.yaml:3:13: customer file 'missing.csv' not found"),
    ("version: 1\nlanguage: en\nrules:\n  - id: quote-altered\n    action: warn\n    message: {ja: a, en: b}\n    settings: {x: 1}\n",
     "p.yaml:7:16: unknown key 'x' in quote-altered.settings"),
])
def test_error_messages(text, expected):
    errors = errors_of(text)
    assert any(e.startswith(expected) for e in errors), errors


def test_unreadable_file_is_one_line(tmp_path):
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path / "nope.yaml", registry=FAKE)
    assert info.value.errors[0].startswith(f"{tmp_path / 'nope.yaml'}: cannot read")


def test_non_utf8_file(tmp_path):
    path = tmp_path / "sjis.yaml"
    path.write_bytes("language: ja # 日本語\n".encode("shift_jis"))
    with pytest.raises(PolicyError) as info:
        load_policy(path, registry=FAKE)
    assert ":1:1: not UTF-8" in info.value.errors[0]


def test_customer_sources_are_relative_to_the_policy(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "c.csv").write_text("name,email,phone,customer_id\n")
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nlanguage: en\ncustomers: [data/c.csv, {csv: data/c.csv}]\nrules: []\n")
    policy = load_policy(path, registry=FAKE)
    assert policy.customer_sources == (tmp_path / "data" / "c.csv",) * 2


def test_unlisted_rules_warn():
    policy = compile_text("version: 1\nlanguage: en\nrules: []\n")
    assert len(policy.warnings) == len(IDS)
    assert "never runs" in policy.warnings[0]


@pytest.mark.parametrize("text, seconds", [
    ("90", 90), ("90s", 90), ("2m", 120), ("1h30m", 5400), ("1h 5s", 3605),
    ("2 minutes", None), ("m", None), ("", None), ("-1s", None), ("5x", None),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("pattern, why", [
    (r"(a)\1", "backreferences"),
    (r"(?<=a)b", "lookbehind"),
    (r"(?!a)b", "negative lookahead"),
    (r"[a", "missing ]"),
    (r"(?P<n>x)(?P=n)", "named backreferences"),
    (r"(?>a+)b", "atomic groups"),
    (r"a++", "possessive"),
    (r"((a{100}){100}){100}", "at most {1000}"),
])
def test_regexes_re2_refuses_say_why(pattern, why):
    with pytest.raises(RegexError) as info:
        compile_pattern(pattern)
    assert why in str(info.value)


def test_catastrophic_pattern_runs_in_linear_time():
    import time
    pattern = compile_pattern(r"(a+)+$")
    start = time.perf_counter()
    assert pattern.search("a" * 50_000 + "!") is None
    assert time.perf_counter() - start < 1.0


def test_shipped_policies_load_with_the_real_rules():
    for path in [ROOT / "policies" / "default.yaml", *sorted((ROOT / "policies" / "examples").glob("*.yaml"))]:
        policy = load_policy(path)
        assert [r.id for r in policy.rules if r.enabled], path


def test_default_policy_is_what_design_promises():
    policy = load_policy(ROOT / "policies" / "default.yaml")
    assert [(r.id, r.action) for r in policy.rules] == [(i, Action.REJECT) for i in IDS]
    assert not policy.shadow and policy.rule("subject-changed").settings["allowed_tags"] == ()
    assert policy.rule("signature-missing").settings["required_lines"] == ()
    phrases = policy.rule("apology-missing").settings["phrases"]
    for phrase in ("申し訳ございません", "お詫び申し上げます", "ご迷惑をおかけ", "大変失礼いたしました",
                   "sorry", "apologise", "apologize", "apologies"):
        assert phrase in phrases


def test_bare_off_is_the_action_not_a_boolean():
    policy = compile_text("version: 1\nlanguage: en\ngroups: {g: [x.example]}\nrules:\n"
                          "  - id: quote-altered\n    action: off\n    message: {ja: a, en: b}\n    groups: {g: off}\n")
    rule = policy.rule("quote-altered")
    assert rule.action is None and rule.group_actions == (("g", None),)


from hypothesis import given, settings, strategies as st  # noqa: E402

_GOOD = (LINT / "good-full.yaml").read_text()


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(_GOOD)), st.integers(0, 12), st.text(alphabet=" :-[]{}'\"\n\t#&*!|>%@`,?abcé日\\0.~", max_size=12))
def test_any_edit_of_a_policy_gives_a_policy_or_located_errors(start, length, insert):
    """Whatever an admin types, the loader answers with a policy or file:line:column errors,
    never a traceback."""
    text = _GOOD[:start] + insert + _GOOD[start + length:]
    try:
        compile_text(text)
    except PolicyError as exc:
        assert exc.errors and all(e.startswith("p.yaml:") for e in exc.errors)


@pytest.mark.parametrize("text, expected", [
    ("version: 1\nlanguage: !lang en\nrules: []\n", "p.yaml:2:11: unknown YAML tag '!lang'"),
    ("version: 1\nlanguage: en\nrules:\n  - id: quote-altered\n    action: warn\n    message: {!ja: a, en: b}\n",
     "p.yaml:6:15: unknown YAML tag '!ja:'"),
    ("version: !!binary '%%%'\nlanguage: en\nrules: []\n", "p.yaml:1:10: unsupported policy version"),
    ("version: 1\nlanguage: en\nrules:\n  - id: !!python/name:os.system quote-altered\n", "p.yaml:4:9: unreadable value"),
])
def test_yaml_tags_are_errors_not_tracebacks(text, expected):
    errors = errors_of(text)
    assert any(e.startswith(expected) for e in errors), errors
