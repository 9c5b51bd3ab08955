"""`replyguard check`, `policy lint|test|replay`, `store add`, `customers import`, driven in-process."""
from __future__ import annotations

import json
import mailbox
import shutil
from pathlib import Path

import pytest

from proxy.cli import main
from proxy.policy.testing import read_expect

ROOT = Path(__file__).parents[1]
THREADS = ROOT / "policies" / "tests"
SHARED = ROOT.parent / "shared" / "examples" / "replies"
LINT = ROOT / "tests" / "policy" / "fixtures" / "lint"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def check_json(capsys, case: Path, customers: Path, *extra: str) -> tuple[int, dict]:
    code, out, err = run(capsys, "check", case / "reply.eml", "--original", case / "original.eml",
                         "--customers", customers, "--json", *extra)
    assert err == ""
    return code, json.loads(out)


def cases(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.glob("*/expect.yaml") if (p.parent / "original.eml").is_file())


@pytest.mark.parametrize("case", cases(THREADS), ids=lambda p: p.name)
def test_policy_threads_through_check_json(capsys, case, tmp_path):
    expect = read_expect(case / "expect.yaml")
    code, verdict = check_json(capsys, case, THREADS / "customers.csv", "--state-dir", tmp_path)
    assert (verdict["action"], {f["rule"] for f in verdict["findings"]}) == (expect.action, set(expect.rules))
    assert code == (1 if expect.action in ("hold", "reject") else 0)


@pytest.mark.parametrize("case", cases(SHARED), ids=lambda p: p.name)
def test_shared_examples_exact(capsys, case, tmp_path):
    expect = read_expect(case / "expect.yaml")
    _, verdict = check_json(capsys, case, SHARED / "customers.csv", "--state-dir", tmp_path)
    assert (verdict["action"], {f["rule"] for f in verdict["findings"]}) == (expect.action, set(expect.rules))


def test_json_contract(capsys, tmp_path):
    code, verdict = check_json(capsys, THREADS / "subject-changed-ja-generic", THREADS / "customers.csv",
                               "--state-dir", tmp_path)
    assert code == 1
    assert set(verdict) == {"action", "findings"}
    assert verdict["action"] == "reject"
    (finding,) = verdict["findings"]
    assert {"rule", "action", "message", "evidence"} <= set(finding)
    assert finding["rule"] == "subject-changed" and finding["action"] == "reject"
    assert finding["evidence"] == "お問い合わせの件"
    assert finding["message"].startswith("件名は変えずに")   # the default policy speaks Japanese


def test_human_output_shows_finding_and_evidence(capsys, tmp_path):
    case = THREADS / "quote-altered-ja-date"
    code, out, _ = run(capsys, "check", case / "reply.eml", "--original", case / "original.eml",
                       "--state-dir", tmp_path)
    assert code == 1
    assert "REJECT" in out.splitlines()[0]
    assert "quote-altered" in out and "evidence:" in out and "11月27日" in out


def test_human_output_indents_multi_line_evidence(capsys, tmp_path):
    case = SHARED / "11-two-rules-quote-and-colleague-signature"
    code, out, _ = run(capsys, "check", case / "reply.eml", "--original", case / "original.eml",
                       "--customers", SHARED / "customers.csv", "--state-dir", tmp_path)
    assert code == 1
    # the colleague's signature block is shown under its label, one line per line
    assert "\n" + " " * 16 + "平野 潤\n" in out


def test_clean_reply_exits_zero(capsys, tmp_path):
    case = THREADS / "signature-missing-en-ok"
    code, out, _ = run(capsys, "check", case / "reply.eml", "--original", case / "original.eml", "--state-dir", tmp_path)
    assert code == 0 and "ACCEPT" in out


@pytest.mark.parametrize("argv, message", [
    (["check", "nope.eml"], "nope.eml: cannot read the reply"),
    (["check", THREADS / "original-not-found" / "reply.eml", "--original", "missing.eml"], "missing.eml: cannot read the original"),
    (["check", THREADS / "original-not-found" / "reply.eml", "--policy", LINT / "bad-action.yaml"],
     f"{LINT / 'bad-action.yaml'}:6:13: bad action 'block'"),
    (["check", THREADS / "original-not-found" / "reply.eml", "--customers", "nope.csv"], "nope.csv: cannot read"),
])
def test_usage_errors_exit_two_with_one_clear_line(capsys, tmp_path, argv, message):
    code, out, err = run(capsys, *argv, "--state-dir", tmp_path)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_no_original_anywhere_warns(capsys, tmp_path):
    code, out, _ = run(capsys, "check", THREADS / "original-not-found" / "reply.eml", "--json", "--state-dir", tmp_path)
    verdict = json.loads(out)
    assert code == 0 and verdict["action"] == "warn"
    assert [f["rule"] for f in verdict["findings"]] == ["original-not-found"]
    assert not (tmp_path / "replyguard.db").exists()   # check never creates a store


def test_original_and_customers_from_the_store(capsys, tmp_path):
    case = THREADS / "other-customer-data-ja-surname"
    code, out, _ = run(capsys, "store", "add", case / "original.eml", THREADS / "quote-altered-ja-date" / "original.eml",
                       "--state-dir", tmp_path)
    assert code == 0 and "2 original(s) stored" in out
    code, out, _ = run(capsys, "customers", "import", THREADS / "customers.csv", "--state-dir", tmp_path)
    assert code == 0 and out.startswith("5 customer(s) imported")
    code, out, _ = run(capsys, "check", case / "reply.eml", "--json", "--state-dir", tmp_path)
    verdict = json.loads(out)
    assert code == 1 and {f["rule"] for f in verdict["findings"]} == {"other-customer-data"}
    code, out, _ = run(capsys, "customers", "list", "--state-dir", tmp_path)
    assert out.splitlines()[0] == "name,email,phone,customer_id" and "高橋 一郎" in out


def test_store_add_skips_mail_without_message_id(capsys, tmp_path):
    path = tmp_path / "x.eml"
    path.write_bytes(b"From: a@example.jp\nSubject: x\n\nhello\n")
    code, out, _ = run(capsys, "store", "add", path, "--state-dir", tmp_path)
    assert code == 0 and "skipped, no Message-ID" in out and "0 original(s)" in out


def test_customers_import_bad_header(capsys, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("name,mail\n")
    code, _, err = run(capsys, "customers", "import", path, "--state-dir", tmp_path)
    assert code == 2 and "header lacks email" in err


def test_policy_lint_exit_codes(capsys):
    code, out, _ = run(capsys, "policy", "lint", ROOT / "policies" / "default.yaml", *sorted((ROOT / "policies" / "examples").glob("*.yaml")))
    assert code == 0 and out == ""
    code, out, _ = run(capsys, "policy", "lint", LINT / "good-minimal.yaml", LINT / "bad-duplicate-rule.yaml")
    assert code == 1
    assert f"{LINT / 'bad-duplicate-rule.yaml'}:8:9: duplicate rule entry 'quote-altered' (first at line 5)" in out


def test_policy_test_pass_fail_todo(capsys, tmp_path):
    root = tmp_path / "t"
    root.mkdir()
    shutil.copy(THREADS / "customers.csv", root)
    for name in ("subject-changed-ja-generic", "signature-missing-en-ok"):
        shutil.copytree(THREADS / name, root / name)
    code, out, _ = run(capsys, "policy", "test", root)
    assert code == 0
    assert "PASS signature-missing-en-ok" in out and "policy test: 2/2 ok" in out
    (root / "signature-missing-en-ok" / "expect.yaml").write_text("action: reject\nrules: [signature-missing]\nwhy: wrong on purpose\n")
    code, out, _ = run(capsys, "policy", "test", root)
    assert code == 1
    assert "FAIL signature-missing-en-ok: expected reject [signature-missing], got accept []; missing signature-missing" in out
    with open(root / "signature-missing-en-ok" / "expect.yaml", "a") as fh:
        fh.write("todo: true\n")
    code, out, _ = run(capsys, "policy", "test", root)
    assert code == 0 and "TODO signature-missing-en-ok" in out


def test_policy_test_on_empty_dir_is_usage_error(capsys, tmp_path):
    code, _, err = run(capsys, "policy", "test", tmp_path)
    assert code == 2 and "no tests" in err


def test_policy_replay_compares_with_policy_in_force(capsys, tmp_path):
    box = mailbox.mbox(tmp_path / "sent.mbox")
    for name in ("subject-changed-ja-generic", "signature-missing-en-ok", "quote-altered-en-word"):
        box.add((THREADS / name / "reply.eml").read_bytes())
        run(capsys, "store", "add", THREADS / name / "original.eml", "--state-dir", tmp_path)
    box.flush()
    code, out, _ = run(capsys, "policy", "replay", tmp_path / "sent.mbox",
                       "--policy", ROOT / "policies" / "examples" / "en-warn.yaml", "--state-dir", tmp_path)
    assert code == 0
    assert "replayed 3 replies; originals found for 3" in out
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith(("subject-", "quote-", "signature-"))}
    assert lines["subject-changed"] == ["1", "1"] and lines["quote-altered"] == ["1", "1"]
    assert lines["signature-missing"] == ["3", "0"]     # en-warn requires the team line nobody wrote
    assert "3 decision(s) differ:" in out
    assert "'Re: Double charge on my card': accept -> warn [signature-missing]" in out
    assert "'お問い合わせの件': reject -> warn [signature-missing, subject-changed]" in out


def test_policy_replay_maildir(capsys, tmp_path):
    md = mailbox.Maildir(tmp_path / "Sent", create=True)
    md.add((THREADS / "signature-missing-ja" / "reply.eml").read_bytes())
    code, out, _ = run(capsys, "policy", "replay", tmp_path / "Sent", "--policy", ROOT / "policies" / "default.yaml",
                       "--state-dir", tmp_path)
    assert code == 0 and "replayed 1 replies; originals found for 0" in out and "0 decision(s) differ" in out


def test_example_policy_settings_reach_the_rules(capsys, tmp_path):
    """ja-strict allows a ticket tag in the subject and requires its company lines in the signature."""
    case = THREADS / "subject-changed-ja-tag-not-allowed"
    code, verdict = check_json(capsys, case, THREADS / "customers.csv", "--state-dir", tmp_path,
                               "--policy", ROOT / "policies" / "examples" / "ja-strict.yaml")
    assert code == 1
    assert [f["rule"] for f in verdict["findings"]] == ["signature-missing"]


def test_shadow_policy_accepts_and_reports(capsys, tmp_path):
    case = THREADS / "subject-changed-ja-generic"
    code, verdict = check_json(capsys, case, THREADS / "customers.csv", "--state-dir", tmp_path,
                               "--policy", ROOT / "policies" / "examples" / "ja-shadow-rollout.yaml")
    assert code == 0 and verdict["action"] == "accept" and verdict["findings"] == []
    assert [f["rule"] for f in verdict["shadow"]] == ["subject-changed"]
