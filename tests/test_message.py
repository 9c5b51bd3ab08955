"""proxy.message: decoding (charsets, transfer encodings, broken MIME), the own-text / quote /
attribution / signature split of the big clients, and the comparison form.

Fixtures are real .eml files in tests/fixtures/message/ (bytes matter: ISO-2022-JP with CP50220
extensions, CP932, EUC-JP); the example threads in shared/examples/replies are parsed too.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.message import (
    decode_bytes,
    decode_words,
    normalize,
    parse,
    quote_matches,
    render_html,
)

FIXTURES = Path(__file__).parent / "fixtures" / "message"
EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "examples" / "replies"
if not EXAMPLES.is_dir():
    EXAMPLES = Path("/work/shared/examples/replies")


def load(name: str):
    return parse((FIXTURES / name).read_bytes())


# --- charsets ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, subject, body_has, charset",
    [
        ("iso2022jp_cp50220.eml", "注文①の件", ["注文番号①と②", "㈱ミナト", "髙橋", "Ⅲ型", "ｶﾀｶﾅ"], "iso-2022-jp"),
        ("iso2022jp_folded_subject.eml", "受付時間について（土曜日）", ["10時〜17時", "土曜日も対応していますか。"], "ISO-2022-JP"),
        ("shift_jis.eml", "部品①について", ["髙田です。①の部品が届いていません。", "9時～18時"], "Shift_JIS"),
        ("euc_jp.eml", "掃除機のフィルター", ["型番①の掃除機", "フィルターはどこで買えますか。"], "euc-jp"),
        ("utf8_base64.eml", "確認", ["①の件、確認いたしました。"], "Utf-8"),
        ("utf8_qp.eml", "確認の件", ["①の件、確認いたしました。"], "UTF-8"),
        ("multipart_mixed_attachment.eml", "with attachment", ["添付をご確認ください。"], "ISO-2022-JP"),
    ],
)
def test_charsets_decode_cleanly(name, subject, body_has, charset):
    m = load(name)
    assert m.subject == subject
    for fragment in body_has:
        assert fragment in m.text
    assert m.charset == charset
    assert m.problems == ()
    assert "\ufffd" not in m.text


def test_cp50220_extensions_need_our_decoder():
    """Python's own ISO-2022-JP codecs reject the NEC row 13 the fixture uses."""
    raw = (FIXTURES / "iso2022jp_cp50220.eml").read_bytes()
    body = raw.split(b"\r\n\r\n", 1)[1]
    for codec in ("iso2022_jp", "iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_2004"):
        with pytest.raises(UnicodeDecodeError):
            body.decode(codec)
    text, problem = decode_bytes(body, "ISO-2022-JP")
    assert problem is None and "①" in text and "髙橋" in text


@pytest.mark.parametrize("label", ["iso-2022-jp", "ISO-2022-JP", "Iso-2022-Jp", "csISO2022JP", "cp50220", "iso-2022-jp-2"])
def test_charset_labels_case_insensitive(label):
    data = "\x1b$B$3$s$K$A$O\x1b(B".encode("ascii")
    assert decode_bytes(data, label) == ("こんにちは", None)


@pytest.mark.parametrize("label", ["Shift_JIS", "shift-jis", "SJIS", "x-sjis", "windows-31j", "CP932"])
def test_shift_jis_is_cp932(label):
    assert decode_bytes("①髙﨑～".encode("cp932"), label) == ("①髙﨑～", None)


@pytest.mark.parametrize("label", ["EUC-JP", "euc-jp", "x-euc-jp", "cp51932"])
def test_euc_jp_with_nec_row13(label):
    text, problem = decode_bytes("①ですか㈱".encode("euc_jis_2004"), label)
    assert text == "①ですか㈱" and problem is None


def test_unknown_charset_is_guessed_and_reported():
    m = load("unknown_charset.eml")
    assert m.text.strip() == "届いた商品が壊れていました。"
    assert m.subject == "謎の文字コード"
    assert any("unknown charset 'x-unknown-jp'" in p and "body" in p for p in m.problems)
    assert any(p.startswith("Subject:") for p in m.problems)


def test_undecodable_bytes_are_replaced_and_reported():
    m = load("undecodable_utf8.eml")
    assert m.text.startswith("前半は正常です。") and "後半も読めます。" in m.text
    assert "\ufffd" in m.text
    assert any("undecodable" in p for p in m.problems)


def test_undecodable_everywhere_never_raises():
    text, problem = decode_bytes(bytes(range(128, 256)) * 3, "utf-8")
    assert text and problem and "replacement" in problem
    text, problem = decode_bytes(b"\x1b$B\x7f\x7f\x1b(B\xff", "iso-2022-jp")
    assert problem


def test_no_charset_declared_8bit_is_guessed():
    m = load("sjis_no_charset.eml")
    assert m.text.strip() == "文字コードの指定がありません。"
    assert any("no charset declared" in p for p in m.problems)


def test_jis_mislabelled_as_ascii():
    m = load("jis_mislabelled_ascii.eml")
    assert m.text.strip() == "ラベルはASCIIですがJISです。"
    assert any("ISO-2022-JP" in p for p in m.problems)


# --- headers ------------------------------------------------------------------------------


def test_broken_encoded_words():
    m = load("broken_encoded_words.eml")
    # a UTF-8 character split across two encoded-words is joined before decoding
    assert m.subject == "Re:交換について"
    assert m.header("X-Bad-Padding").startswith("加湿")
    problems: list[str] = []
    assert decode_words(m.headers["X-Unterminated"], problems) == "=?UTF-8?Q?abc=E3=81"
    assert problems and "malformed" in problems[0]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=", "こんにちは"),
        ("=?iso-2022-jp?b?GyRCJDMkcyRLJEEkTxsoQg==?=", "こんにちは"),
        ("=?Shift_JIS?B?gp+CoIKh?=", "ぁあぃ"),
        ("=?EUC-JP?B?pKKkpA==?=", "あい"),
        ("=?UTF-8?Q?caf=C3=A9_au_lait?=", "café au lait"),
        ("Re: =?UTF-8?B?44GC?=\r\n =?UTF-8?B?44GE?= x", "Re: あい x"),
        ("=?UTF-8?B?44GC?= plain =?UTF-8?B?44GE?=", "あ plain い"),
        ("=?utf-8*ja?B?44GC?=", "あ"),
        ("件名　全角スペース", "件名　全角スペース"),
        ("", ""),
    ],
)
def test_decode_words(value, expected):
    assert decode_words(value) == expected


def test_long_headers_and_raw_8bit_subject():
    start = time.perf_counter()
    m = load("long_header.eml")
    assert time.perf_counter() - start < 0.5
    assert m.subject == "生の8ビット件名"
    assert len(m.references) == 2000
    assert len(m.header("X-Long")) == 20000
    assert m.text.strip() == "本文です。"


def test_addresses_and_ids():
    m = parse((EXAMPLES / "02-clean-complaint-apology-outlook-block" / "original.eml").read_bytes())
    assert m.from_ is not None and m.from_.name == "石田 香織" and m.from_.addr == "kaori.ishida@example.net"
    assert [a.addr for a in m.recipients] == ["support@minato.example.jp"]
    assert m.message_id == "20261124161000.DA35CD360AF8@mail.example.net"
    reply = parse((EXAMPLES / "02-clean-complaint-apology-outlook-block" / "reply.eml").read_bytes())
    assert reply.in_reply_to == ("20261124161000.DA35CD360AF8@mail.example.net",)


def test_address_display_name_with_comma_is_not_split():
    raw = (b'From: "=?UTF-8?B?5bGx55Sw?=, Taro" <t@example.jp>\r\n'
           b"To: =?UTF-8?B?5bGx55SwLOWkqumDjg==?= <a@example.jp>, b@example.jp\r\n\r\nx\r\n")
    m = parse(raw)
    assert m.from_ is not None and m.from_.addr == "t@example.jp" and m.from_.name.startswith("山田")
    assert [a.addr for a in m.to] == ["a@example.jp", "b@example.jp"]


# --- transfer encodings and MIME ----------------------------------------------------------


def test_broken_base64_keeps_what_decodes():
    m = load("broken_base64.eml")
    assert m.text.startswith("壊れたbase64で")
    assert any("base64" in p for p in m.problems)


def test_multipart_without_boundary_is_repaired():
    m = load("multipart_missing_boundary.eml")
    assert m.text.strip() == "本文はここです。"
    assert any("guessed 'zzBOUNDzz'" in p for p in m.problems)


def test_attachments_and_html_alternative_are_not_body():
    m = load("multipart_mixed_attachment.eml")
    assert "ATTACHMENT TEXT" not in m.text
    assert "HTML alternative" not in m.text
    assert not m.html


def test_garbage_never_raises():
    for raw in (b"", b"\x00\xff" * 50, b"Content-Type: multipart/mixed\r\n\r\n--", b"Subject: =?x?B?@@@?=\r\n\r\n",
                b"Content-Type: text/plain; charset=\"\r\n\r\nx", b"Content-Type: message/rfc822\r\n\r\nSubject: a\r\n\r\nb"):
        parse(raw)


# --- quote styles -------------------------------------------------------------------------


def test_thunderbird_ja_attribution_and_nested_quotes():
    m = load("thunderbird_ja_nested.eml")
    assert m.attribution == "2026/11/20 10:12 に 山田 太郎 さんは書きました:"
    assert "書きました" not in m.own_text
    assert m.quotes == ("月曜日でお願いします。\n\nご都合のよい日をお知らせください。\n修理をお願いします。\n一番古い行です。",)
    assert m.signature == "西村 光"
    assert m.greeting == "山田 太郎 様"


def test_gmail_ja_attribution_wrapped_over_two_lines():
    m = load("gmail_ja_wrapped_attribution.eml")
    assert m.attribution == "2026年11月20日(金) 10:12 山田 太郎 <\ntaro.yamada@example.jp>:"
    assert "taro.yamada" not in m.own_text
    assert m.quotes[0].startswith("注文時に配送日を指定することはできますか？")
    span = m.quote_spans[0]
    assert m.body_lines[span.start - 1] == "> 注文時に配送日を指定することはできますか？"
    assert span.end == span.start + 1 and span.style == "prefix"


def test_outlook_underscore_header_block_en():
    m = load("outlook_underscore_en.eml")
    assert m.attribution is not None and m.attribution.startswith("________________________________\nFrom: Sara Lee")
    assert m.attribution.endswith("Subject: Invoice copy for October")
    assert m.quotes == ("Hello,\n\nCould you send me a copy of the October invoice as a PDF?\n\nThank you,\nSara",)
    assert m.quote_spans[0].style == "header-block"
    assert "Could you send" not in m.own_text and "From:" not in m.own_text
    assert m.signature == "Hannah Scott\nCustomer Care"


def test_outlook_original_message_en_with_nested_prefix_quote():
    m = load("outlook_original_message_en.eml")
    assert m.attribution is not None and m.attribution.splitlines()[0] == "-----Original Message-----"
    assert "Cc: oliver@example.net" in m.attribution
    assert m.quotes == ("When will the technician come?\n\n> Your repair is booked.\n> Hannah",)
    assert m.own_text.endswith("Sincerely,\nHannah Scott")


def test_outlook_ja_block_in_example_thread():
    m = parse((EXAMPLES / "02-clean-complaint-apology-outlook-block" / "reply.eml").read_bytes())
    assert m.attribution is not None and m.attribution.startswith("-----元のメッセージ-----\n差出人: 石田 香織")
    assert "件名: 修理の訪問がありませんでした" in m.attribution
    assert len(m.quotes) == 1 and m.quotes[0].startswith("ミナト家電 お客様相談室 御中")
    assert m.quotes[0].endswith("石田 香織")
    assert "差出人" not in m.own_text and "早急に" not in m.own_text


def test_html_only_blockquote_thunderbird():
    m = load("html_only_blockquote.eml")
    assert m.html
    assert m.attribution == "On 11/20/2026 10:12 AM, Oliver Grant wrote:"
    assert m.quotes == ("Hello,\n\nThe filter & the hose never arrived.\nCould you check?\nEarlier: order 4711 was placed.\nOliver",)
    assert m.own_text.startswith("Dear Mr. Grant,\n\nThank you for your mail.")
    assert m.signature == "Hannah Scott\nCustomer Care"
    assert "p{margin" not in m.text  # <style> skipped


def test_html_outlook_divrplyfwdmsg_ja():
    m = load("html_outlook_divrplyfwdmsg.eml")
    assert m.html
    assert m.attribution is not None and "差出人: 山田 太郎 <taro.yamada@example.jp>" in m.attribution
    assert m.quotes == ("ミナト家電 御中\n\n注文した部品がまだ届きません。\nいつ届きますか。\n\n山田",)
    assert m.own_text.endswith("大野 里美")
    assert "届きません" not in m.own_text


def test_html_border_left_div():
    m = load("html_border_left.eml")
    assert m.quotes == ("Can I use citric acid?\nThanks,\nEmma",)
    assert m.attribution == "On 27 Nov 2026, at 10:48, Emma Wilson <emma.wilson@example.com> wrote:"
    assert m.signature == "Hannah Scott"


def test_render_html_entities_and_breaks():
    assert render_html("<p>a&nbsp;&amp;&lt;b&gt;</p><p>c<br>d</p>") == "a &<b>\n\nc\nd"
    assert render_html("<blockquote><blockquote>x</blockquote>y</blockquote>") == ">> x\n> y"


def test_prefix_quote_depths_and_fullwidth_marker():
    m = parse(b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + "本文\n\n>>> 深い\n> > 混在\n＞ 全角\n".encode())
    assert m.quotes == ("深い\n混在\n全角",)
    assert m.own_text == "本文"


def test_interleaved_quotes_keep_order_and_lines():
    body = "Hi,\n\n> first question?\n\nanswer one\n\n> second question?\n\nanswer two\n\nBest regards,\nHannah\n"
    m = parse(b"Content-Type: text/plain\r\n\r\n" + body.encode())
    assert m.quotes == ("first question?", "second question?")
    assert [s.start for s in m.quote_spans] == [3, 7]
    assert "answer one" in m.own_text and "answer two" in m.own_text
    assert m.signature == "Hannah"
    assert m.attribution is None


# --- signatures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, signature",
    [
        ("signature_closing_en.eml", "Hannah Scott\nCustomer Care, Minato Appliances"),
        ("signature_equals_ja.eml", "＝＝＝＝＝＝＝＝＝＝＝＝\nミナト家電株式会社\n大野 里美\n＝＝＝＝＝＝＝＝＝＝＝＝"),
        ("signature_stars.eml", "***\nHannah Scott\nMinato Appliances"),
        ("utf8_base64.eml", "西村 光"),
        ("signature_none_ja.eml", None),
    ],
)
def test_signature_styles(name, signature):
    m = load(name)
    assert m.signature == signature
    if signature:
        assert m.own_text.endswith(signature.splitlines()[-1])
        assert m.signature_line is not None
        assert m.body_lines[m.signature_line - 1] == signature.splitlines()[0]


def test_signature_in_a_long_mail_is_found_quickly():
    body = "\n".join(f"line {i}" for i in range(3000)) + "\n--\nHannah Scott\n"
    start = time.perf_counter()
    m = parse(b"Content-Type: text/plain\r\n\r\n" + body.encode())
    assert time.perf_counter() - start < 0.1
    assert m.signature == "Hannah Scott"


# --- example threads ----------------------------------------------------------------------

THREADS = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())

# (thread, text in the reply's own text, text only in the quote, signature contains, attribution start)
FACTS = {
    "01-clean-question-trimmed-quote": ("フィルターは、1日8時間", "交換用フィルターの型番を", "西村 光", "2026年11月24日(火) 19:20"),
    "02-clean-complaint-apology-outlook-block": ("誠に申し訳ございません", "結局誰も来ませんでした", "大野 里美", "-----元のメッセージ-----"),
    "03-clean-en-question": ("warranty on the AirPure 700", "second-hand Minato", "Hannah Scott", "On 11/25/2026 6:12 PM"),
    "04-clean-reencoded-subject-rewrapped-quote": ("予熱完了のお知らせ音", "ケーキを焼こうと", "西村　光", "2026年11月26日(木) 21:15"),
    "05-clean-en-complaint-apology-html": ("We apologize for this.", "burning plastic", "Hannah Scott", "On Mon, Nov 30, 2026 at 8:03 AM"),
    "06-subject-replaced-by-generic": ("タブレット洗剤も", "粉末洗剤のことしか", "大野　里美", "On 2026/11/27 12:00"),
    "07-quote-quantity-changed": ("12月7日（月）に入荷予定", "在庫切れになっていました", "西村 光", None),
    "08-signature-missing-en": ("descaling the Barista CM-20", "citric acid instead", None, "On 11/27/2026 10:48 AM"),
    "09-other-customer-email-in-body": ("kosuke.aoki@example.jp", "完了メールが見当たらない", "大野　里美", "2026年11月28日(土) 15:30"),
    "10-apology-missing-missing-part": ("パンくずトレイを、本日お送り", "すぐに送ってください", "西村 光", "On 2026/11/30 19:05"),
    "11-two-rules-quote-and-colleague-signature": ("3,300円（税込）", "リモコンを紛失して", "平野 潤", "2026年11月28日(土) 11:05"),
    "12-two-rules-en-subject-and-apology": ("repair reference is V-3381", "stopped working completely", "Hannah Scott", "On Sat, Dec 5, 2026 at 2:30 PM"),
}


def test_all_threads_have_facts():
    assert set(FACTS) == set(THREADS)


@pytest.mark.parametrize("thread", THREADS)
def test_example_threads_split(thread):
    own_has, quote_has, sig_has, attr_start = FACTS[thread]
    reply = parse((EXAMPLES / thread / "reply.eml").read_bytes())
    original = parse((EXAMPLES / thread / "original.eml").read_bytes())
    assert reply.problems == () and original.problems == ()
    assert own_has in reply.own_text
    assert quote_has not in reply.own_text
    assert any(quote_has in q for q in reply.quotes)
    if sig_has is None:
        assert reply.signature is None
    else:
        assert reply.signature is not None and sig_has in reply.signature
        assert reply.signature_line is not None
    if attr_start is None:
        assert reply.attribution is None
    else:
        assert reply.attribution is not None and reply.attribution.startswith(attr_start)
        assert attr_start not in reply.own_text
    # originals have no quotes; their text is all own text
    assert original.quotes == ()
    assert normalize(original.own_text) == normalize(original.text)


@pytest.mark.parametrize("thread", THREADS)
def test_example_threads_quotes_match_unless_altered(thread):
    reply = parse((EXAMPLES / thread / "reply.eml").read_bytes())
    original = parse((EXAMPLES / thread / "original.eml").read_bytes())
    results = [quote_matches(q, original.text) for q in reply.quotes]
    if thread.startswith(("07-", "11-")):
        bad = [line for ok, line in results if not ok]
        assert len(bad) == 1
        assert ("3個" in bad[0]) if thread.startswith("07-") else ("AC-2201" in bad[0])
    else:
        assert all(ok for ok, _ in results), results


def test_language():
    assert parse((EXAMPLES / "03-clean-en-question" / "reply.eml").read_bytes()).language == "en"
    assert parse((EXAMPLES / "10-apology-missing-missing-part" / "original.eml").read_bytes()).language == "ja"


# --- comparison form ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ("ＡＢＣ　１２３", "ABC 123"),
        ("ｶﾀｶﾅ", "カタカナ"),
        ("10時〜17時", "10時～17時"),
        ("0120ー987ー650", "0120-987-650"),
        ("0120−987－650", "0120‐987―650"),
        ("line one\nline two", "line oneline two"),
        ("①", "1"),
        ("‖", "∥"),
    ],
)
def test_normalize_equates(a, b):
    assert normalize(a) == normalize(b)


@pytest.mark.parametrize("a, b", [("2個", "3個"), ("AC-2210", "AC-2201"), ("abc", "ABC"), ("は", "ば")])
def test_normalize_distinguishes(a, b):
    assert normalize(a) != normalize(b)


def test_quote_matches_trimmed_rewrapped_and_nested():
    original = "Hello,\n\nline one of the mail\nline two of the mail\n\n> earlier reply\n> quoting more\n\nBye"
    assert quote_matches("line two of the mail", original) == (True, None)
    assert quote_matches("line one of the\nmail line two of\nthe mail", original) == (True, None)
    assert quote_matches("Hello,\n\nline two of the mail", original) == (True, None)  # trimmed middle
    assert quote_matches("> earlier reply\nquoting more", original) == (True, None)  # nested
    assert quote_matches("line one of the mail\nline 2 of the mail", original) == (False, "line 2 of the mail")


def test_parse_100kb_is_fast():
    reply = (EXAMPLES / "03-clean-en-question" / "reply.eml").read_bytes()
    head, body = reply.split(b"\n\n", 1)
    big = head + b"\n\n" + body * (100_000 // len(body))
    parse(big)
    start = time.perf_counter()
    for _ in range(10):
        parse(big)
    assert (time.perf_counter() - start) / 10 < 0.05


def _body(text: str):
    return parse(b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + text.encode())


@pytest.mark.parametrize(
    "closing",
    ["よろしくお願いいたします。", "今後ともよろしくお願い申し上げます。", "宜しくお願い致します", "以上、よろしくお願いします。",
     "ご確認のほど、よろしくお願いいたします。", "Best regards,", "Kind regards", "Thanks!", "Sincerely yours,", "Cheers,"],
)
def test_signature_after_closing_phrases(closing):
    m = _body(f"本文です。\n\n{closing}\n大野 里美\nミナト家電株式会社\n")
    assert m.signature == "大野 里美\nミナト家電株式会社"


def test_signature_last_block_with_contact_details():
    m = _body("Dear Ms. Wilson,\n\nThe part ships today.\n\nHannah Scott\nCustomer Care, Minato Appliances\nTel. +81-45-555-0123\n")
    assert m.signature == "Hannah Scott\nCustomer Care, Minato Appliances\nTel. +81-45-555-0123"


@pytest.mark.parametrize(
    "text",
    [
        "Hi Emma,\n\nWe recommend descaling every two months.\n\nHave a nice weekend!\n",
        "山田 様\n\n承知いたしました。\n\n明日発送いたします。\n到着は金曜日の予定です。\n",
        "本文です。\n\nよろしくお願いいたします。\n",
    ],
)
def test_no_signature_without_evidence(text):
    assert _body(text).signature is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(sorted(FIXTURES.glob("*.eml"))))
def test_parse_never_raises_on_damaged_mail(noise: bytes, fixture: Path) -> None:
    raw = fixture.read_bytes()
    cut = len(noise) % (len(raw) + 1)
    for damaged in (raw[:cut] + noise, noise + raw[cut:], raw.replace(b"\r\n", noise[:3] or b"\n", 5)):
        parse(damaged)


def test_html_outlook_desktop_ja():
    m = load("html_outlook_desktop_ja.eml")
    assert m.html and m.problems == ()
    assert m.own_text.startswith("山田 太郎 様\n\nミナト家電の大野でございます。")  # <p>&nbsp;</p> is an empty line
    assert m.signature is not None and "大野 里美" in m.signature
    assert m.attribution is not None and m.attribution.splitlines()[1] == "差出人: 山田 太郎 <taro.yamada@example.jp>"
    assert m.quotes == ("ミナト家電 御中\n・昨日買った扇風機の電源が入りません。\nどうすればよいですか。",)
    assert "mso" not in m.text and "shapedefaults" not in m.text


def test_raw_jis_in_headers():
    m = load("raw_jis_header.eml")
    assert m.subject == "生のJIS件名"
    assert m.from_ is not None and m.from_.name == "山田" and m.from_.addr == "t@example.jp"
    assert any("raw ISO-2022-JP" in p for p in m.problems)


def test_utf8_bom_and_iso2022jp_2():
    assert decode_bytes("\ufeffこんにちは".encode("utf-8"), "utf-8") == ("こんにちは", None)
    text, problem = decode_bytes("Grüße 日本".encode("iso2022_jp_2"), "ISO-2022-JP-2")
    assert text == "Grüße 日本" and problem is None


@pytest.mark.parametrize("mark", ["（中略）", "[snip]", "...", "…", "〜略〜", "(略)", "-- snip --"])
def test_elision_marks_in_quotes_are_not_alterations(mark):
    original = "最初の行です。\n真ん中の行です。\n最後の行です。"
    assert quote_matches(f"最初の行です。\n{mark}\n最後の行です。", original) == (True, None)
    assert quote_matches(f"最初の行です。\n{mark}\n最後の行ですか。", original) == (False, "最後の行ですか。")


def test_html_meta_charset_when_mime_header_has_none():
    raw = (b"Content-Type: text/html\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"></head><body>'
           + "テスト①です".encode("cp932") + b"</body></html>")
    m = parse(raw)
    assert m.text == "テスト①です" and m.problems == ()


def test_agent_lead_in_before_a_quote_is_own_text():
    m = _body("Dear Mr. Grant,\n\nOn your second question:\n> Can I use tap water?\nYes, you can.\n\nBest regards,\nHannah\n")
    assert "On your second question:" in m.own_text
    assert m.attribution is None and m.quotes == ("Can I use tap water?",)


def test_quote_of_an_html_original_with_bullets_and_link_targets():
    original = render_html('<div>Order items:</div><ul><li>Filter HMF-30</li><li>Hose</li></ul>'
                           '<div>See <a href="https://shop.example.jp/o/1">my order</a>.</div>')
    quote = "Order items:\n  * Filter HMF-30\n  * Hose\nSee my order <https://shop.example.jp/o/1>."
    assert quote_matches(quote, original) == (True, None)
    assert quote_matches("  * Filter HMF-31", original) == (False, "* Filter HMF-31")


@pytest.mark.parametrize(
    "frame",
    ["━━━━━━━━━━━━", "━━ ミナト家電 ━━", "==== Minato Appliances ====", "■□■□■□■□■□", "┏━━━━━━━━┓", "/////////////"],
)
def test_signature_separator_styles(frame):
    m = _body(f"山田 様\n\n承知いたしました。\n\n{frame}\n大野 里美\nミナト家電株式会社\n")
    assert m.signature == f"{frame}\n大野 里美\nミナト家電株式会社"


@pytest.mark.parametrize(
    "data, text",
    [
        (b"\x1b$B-!$3\r\n$s\x1b(B", "①こ\r\nん"),           # a JIS run spanning a line break keeps it
        (b"\x1b(I123\r\n45\x1b(B", "ｱｲｳ\r\nｴｵ"),            # JIS X 0201 kana (CP50221)
        (b"a\x0e123\x0fb", "aｱｲｳb"),                         # SO/SI kana (CP50222)
        (b"\x1b$B-!\x1b$(D0!\x1b(B", "①丂"),                 # JIS X 0212 after an NEC char
    ],
)
def test_cp50220_variants(data, text):
    assert decode_bytes(data, "ISO-2022-JP") == (text, None)


def test_html_gmail_ja_quote_and_signature():
    m = load("html_gmail_ja.eml")
    assert m.html and m.problems == ()
    assert m.attribution == "2026年11月24日(火) 19:20 青木 康介 <kosuke.aoki@example.jp>:"
    assert m.quotes == ("フィルターの交換時期の目安と、交換用フィルターの型番を\n教えていただけますでしょうか。\n\n青木 康介",)
    assert m.signature is not None and "西村 光" in m.signature
    assert m.greeting == "青木 康介 様"
    original = parse((EXAMPLES / "01-clean-question-trimmed-quote" / "original.eml").read_bytes())
    assert quote_matches(m.quotes[0], original.text) == (True, None)


@pytest.mark.parametrize(
    "data, label, guessed",
    [
        ("日本語の本文です。".encode("utf-8"), "ISO-2022-JP", "utf-8"),
        ("日本語の本文です。".encode("cp932"), "UTF-8", "cp932"),
        ("日本語の本文です。".encode("euc_jp"), "Shift_JIS", "euc_jp"),
    ],
)
def test_lying_charset_label_is_guessed_and_reported(data, label, guessed):
    text, problem = decode_bytes(data, label)
    assert text == "日本語の本文です。"
    assert problem is not None and f"decoded as {guessed}" in problem


_NASTY = [b"\x1b$B", b"\x0e", b"\x00", b"\xff\xfe", b"=?", b"?=", b"\x8e", b"--", b"\r\n", b"charset=shift_jis",
          b"\r\nContent-Disposition: attachment\xff\r\n", b"\r\nContent-Transfer-Encoding: base64\xe3\r\n",
          b"\r\nContent-Type: multipart/\xff\r\n", b"<blockquote>", b"</div>", b"> ", b"=?UTF-8?B?"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(FIXTURES.glob("*.eml"))),
       st.lists(st.tuples(st.integers(0, 100_000), st.sampled_from(_NASTY)), min_size=1, max_size=8))
def test_parse_never_raises_on_nasty_insertions(fixture: Path, edits: list[tuple[int, bytes]]) -> None:
    raw = bytearray(fixture.read_bytes())
    for pos, token in edits:
        pos %= len(raw) + 1
        raw[pos:pos] = token
    parse(bytes(raw))


# --------------------------------------------------------------------------------------------
# Alternatives: the HTML part beside a plain one, split on demand
# --------------------------------------------------------------------------------------------


def test_alternatives_plain_first_html_rendered_lazily() -> None:
    m = parse((FIXTURES / "alternative_mixed_related.eml").read_bytes())
    # the existing fields stay the plain view
    assert not m.html and "Wednesday" in m.own_text and "one month" in m.quotes[0]
    assert m.has_alternatives
    assert m.lazy_alternatives is not None and m.lazy_alternatives._views is None   # nothing rendered yet
    primary, html = m.alternatives
    assert primary.primary and primary.kind == "plain" and primary.label == ""
    assert (primary.own_text, primary.quotes, primary.signature) == (m.own_text, m.quotes, m.signature)
    assert html.kind == "html" and not html.primary and html.label == "HTML part"
    assert "Thursday" in html.own_text and "Wednesday" not in html.own_text
    assert html.quotes == ("My Minato Cyclone Pro VC-7 stopped working completely after just one week.",)
    assert html.quote_spans[0].start == html.text.split("\n").index("> " + html.quotes[0]) + 1
    assert "label.pdf" not in html.text                                   # the attachment stays out
    assert m.lazy_alternatives._views is not None and m.alternatives[1] is html   # computed once


@pytest.mark.parametrize("name", ["utf8_qp.eml", "html_only_blockquote.eml", "shift_jis.eml"])
def test_one_alternative_when_there_is_no_other(name: str) -> None:
    m = parse((FIXTURES / name).read_bytes())
    assert not m.has_alternatives
    (view,) = m.alternatives
    assert view.primary and view.own_text == m.own_text and view.kind == ("html" if m.html else "plain")


def test_facade_exports_every_public_name():
    """`proxy.message` is the facade over `proxy.mail`: what other modules import stays importable."""
    import proxy.message as facade

    for name in facade.__all__:
        assert getattr(facade, name) is not None, name
