"""other-customer-data: firing and quiet cases side by side over real .eml replies (UTF-8,
Shift_JIS, ISO-2022-JP, EUC-JP, base64), a customers CSV with an extra column and two
customers sharing the surname 青木, and the 12 example threads."""
from __future__ import annotations

import pytest

from helpers import FIXTURES, example_case, example_customers, example_threads, load_message, make_context
from proxy.customers import CustomerIndex
from proxy.policy.rules import other_customer_data

RULE = "other-customer-data"
INDEX = CustomerIndex.from_csv(FIXTURES / RULE / "customers.csv")


def run(case: str, settings: dict | None = None, index: CustomerIndex | None = INDEX) -> list:
    return other_customer_data.check(load_message(f"{RULE}/{case}.eml"),
                                     make_context(customers=index), settings or {})


@pytest.mark.parametrize("case, where, evidence", [
    ("ja-other-email", "body line 5", "kosuke.aoki@example.jp"),
    ("ja-other-phone-fullwidth-sjis", "body line 6", "03-5678-1122"),          # ０３－５６７８－１１２２
    ("ja-other-phone-plus81-iso2022jp", "body line 5", "+81 3 5678 1122"),
    ("ja-other-customer-id-fullwidth", "body line 5", "c-200575"),             # ｃ－２００５７５
    ("ja-greeting-wrong-name", "body line 1", "前田 彩花"),                     # greeting another customer
    ("ja-surname-with-honorific", "body line 5", "森田様"),
    ("ja-full-name-no-space-fullwidth-kana-honorific", "body line 5", "前田彩花"),
    ("ja-name-in-subject", "subject", "森田 俊介"),
    ("ja-two-customers-in-to-cc", "To/Cc", "shunsuke.morita@example.co.jp"),
    ("en-ms-surname", "body line 3", "Ms. Wilson"),
    ("en-full-name-upper-case", "body line 3", "EMMA WILSON"),
])
def test_fires(case: str, where: str, evidence: str) -> None:
    hits = run(case)
    assert len(hits) == 1, hits
    (hit,) = hits
    assert hit.where == where
    assert evidence in hit.evidence
    assert hit.evidence not in hit.detail["en"] and hit.evidence not in hit.detail["ja"]   # data only as evidence
    assert hit.detail["en"].startswith({"subject": "The subject", "To/Cc": "To/Cc"}.get(where, "Body line"))


@pytest.mark.parametrize("case", [
    "ja-recipient-own-data",                # the recipient's own name, phone, id, address
    "ja-place-and-shop-names",              # 青木ヶ原, 森田屋さん, 前田町, 石田三成
    "ja-shared-surname-recipient",          # 青木様 to 青木 美咲 while 青木 康介 is another customer
    "ja-other-data-only-in-quote",          # the customer's own quoted words and attribution
    "ja-given-name-alone",                  # 彩花さん: a given name is not enough
    "ja-longer-numbers",                    # 03-5678-11223, R-0356781122-1, C-2005750
    "ja-unlisted-recipient-same-surname",   # 前田 一郎 (not a customer) greeted as 前田様
    "en-recipient-and-attribution",         # Mr. Grant, Oliver Grant, "Emma from our team"
])
def test_quiet(case: str) -> None:
    assert run(case) == []


def test_no_customer_data_no_finding() -> None:
    assert run("ja-other-email", index=None) == []
    assert run("ja-other-email", index=CustomerIndex.from_rows([])) == []


def test_honorifics_setting() -> None:
    assert run("ja-surname-with-honorific", {"honorifics": ("さん",)}) == []     # 様 not configured
    assert run("en-ms-surname", {"honorifics": ("Mr.", "Mrs.")}) == []


def test_to_cc_names_both_customers_and_body_still_checked() -> None:
    hits = run("ja-two-customers-in-to-cc")
    assert "takuya.hasegawa@example.net" in hits[0].evidence
    assert "2" in hits[0].detail["en"]


@pytest.mark.parametrize("case", example_threads())
def test_example_threads(case: str) -> None:
    thread = example_case(case)
    hits = other_customer_data.check(thread.reply, thread.context(customers=example_customers()), {})
    assert bool(hits) == thread.expects(other_customer_data.ID), hits


def _rows(extra: list[dict[str, str]], replace: dict[str, dict[str, str]] | None = None) -> CustomerIndex:
    import csv
    with open(FIXTURES / RULE / "customers.csv", encoding="utf-8-sig") as f:
        rows = [dict(r) for r in csv.DictReader(f)]
    for r in rows:
        r.update((replace or {}).get(r["name"], {}))
    return CustomerIndex.from_rows(rows + extra)


def test_agent_sharing_a_name_with_a_customer_may_sign_with_it() -> None:
    index = _rows([{"name": "大野 里美", "email": "satomi.ono@example.jp", "phone": "", "customer_id": "C-300001"}])
    assert run("ja-recipient-own-data", index=index) == []


def test_rows_with_the_same_customer_id_are_one_person_in_to_cc() -> None:
    index = _rows([], {"森田 俊介": {"customer_id": "C-201236"}})   # 森田's row is 長谷川's second address
    assert run("ja-two-customers-in-to-cc", index=index) == []


def test_the_originals_author_is_a_recipient_at_any_address() -> None:
    # To: takuya@home.example (no display name); the greeting names 長谷川 拓也, whose listed
    # address is the one he wrote the original from.
    assert len(run("ja-reply-to-other-address-of-author")) == 1
    reply = load_message(f"{RULE}/ja-reply-to-other-address-of-author.eml")
    original = load_message(f"{RULE}/ja-reply-to-other-address-of-author.original.eml")
    assert other_customer_data.check(reply, make_context(original=original, customers=INDEX), {}) == []


def test_what_the_customer_wrote_is_not_a_leak() -> None:
    # The customer's subject and mail name their friend 森田 俊介 (also a customer); the reply
    # keeps the subject and thanks them for 森田様's referral.
    assert len(run("ja-name-the-customer-mentioned")) == 2          # without the original: subject + body
    reply = load_message(f"{RULE}/ja-name-the-customer-mentioned.eml")
    original = load_message(f"{RULE}/ja-name-the-customer-mentioned.original.eml")
    assert other_customer_data.check(reply, make_context(original=original, customers=INDEX), {}) == []


# --- every alternative a client may show; the subject beyond the customer's own ---------------


def _with_original(case: str) -> list:
    reply = load_message(f"{RULE}/{case}.eml")
    original = load_message(f"{RULE}/{case}.original.eml")
    return other_customer_data.check(reply, make_context(original=original, customers=INDEX), {})


def test_other_data_only_in_the_html_alternative() -> None:
    # plain part clean; the HTML part (what most clients show) adds 石田's address
    (hit,) = run("ja-other-email-in-html-alternative")
    assert hit.where == "HTML part line 6"
    assert hit.evidence == "kaori.ishida@example.net"
    assert hit.detail["en"].startswith("HTML part line 6 contains the e-mail address")
    assert hit.detail["ja"].startswith("HTMLパートの本文6行目に")
    assert hit.evidence not in hit.detail["en"] and hit.evidence not in hit.detail["ja"]


def test_same_data_in_both_alternatives_is_one_finding_on_the_plain_part() -> None:
    (hit,) = run("ja-other-email-in-both-alternatives")        # HTML part base64
    assert (hit.where, hit.evidence) == ("body line 6", "kaori.ishida@example.net")


def test_html_alternative_quiet_twin() -> None:
    # the HTML part adds the recipient's own phone; another customer is named only in the quote
    assert run("ja-html-alternative-clean") == []


def test_text_added_around_the_customers_subject_is_scanned() -> None:
    # 'Re: 製品ユーザー登録について（石田様分）': the customer's subject is theirs, the suffix is not
    (hit,) = _with_original("ja-subject-suffix-other-customer")
    assert (hit.where, hit.evidence) == ("subject", "石田様")


def test_text_added_around_the_customers_subject_naming_the_recipient_is_quiet() -> None:
    assert _with_original("ja-subject-suffix-recipient") == []


@pytest.mark.parametrize("subject, original, rest", [
    ("Re: 製品ユーザー登録について（石田様分）", "製品ユーザー登録について", "（石田様分）"),
    ("RE: Re[2]:  製品ユーザー 登録について", "製品ユーザー登録について", ""),
    ("[#12] Re: Order 4411 for Ms. Wilson", "Order 4411", "[#12] Re: for Ms. Wilson"),
    ("Ｒｅ：ご注文について", "ご注文について", ""),
    ("Totally different", "ご注文について", "Totally different"),
])
def test_subject_rest(subject: str, original: str, rest: str) -> None:
    from proxy.customers import fold
    assert other_customer_data._subject_rest(subject, original) == fold(rest)
