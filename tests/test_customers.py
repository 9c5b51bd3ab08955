"""The customer index: folding, the keys it stores, and `scan` over names, addresses, phone
numbers and ids — with the edges that matter (word boundaries, longer numbers, place names,
shared surnames)."""
from __future__ import annotations

from pathlib import Path

import pytest

from proxy.customers import CustomerIndex, fold, name_keys, phone_digits

CSV = Path(__file__).resolve().parent / "fixtures" / "other-customer-data" / "customers.csv"
INDEX = CustomerIndex.from_csv(CSV)


def found(text: str) -> list[tuple[str, str]]:
    return [(m.kind, m.text) for m in INDEX.scan(text)]


def owners(text: str) -> list[set[str]]:
    return [{INDEX.customers[i].name for i in m.owners} for m in INDEX.scan(text)]


def test_csv_with_bom_and_extra_column() -> None:
    assert len(INDEX) == 9
    assert INDEX.customers[0].name == "青木 康介"
    assert INDEX.by_email("KOSUKE.AOKI@example.jp") == (0,)
    assert INDEX.by_email("nobody@example.jp") == ()


def test_rows_with_missing_fields() -> None:
    index = CustomerIndex.from_rows([{"name": "林 太"}, {"email": "x@example.jp", "phone": None}])
    assert len(index) == 2
    assert [(m.kind, m.text) for m in index.scan("林様と x@example.jp")] == [("surname", "林様"), ("email", "x@example.jp")]


@pytest.mark.parametrize("name, full, surname", [
    ("青木 康介", {"青木 康介", "青木康介"}, "青木"),
    ("青木　康介", {"青木 康介", "青木康介"}, "青木"),
    ("青木康介", {"青木康介"}, None),
    ("Emma Wilson", {"emma wilson", "wilson emma", "wilson, emma"}, "wilson"),
    ("ＥＭＭＡ　ＷＩＬＳＯＮ", {"emma wilson", "wilson emma", "wilson, emma"}, "wilson"),
    ("Wilson, Emma", {"emma wilson", "wilson emma", "wilson, emma"}, "wilson"),
    ("エマ・ウィルソン", {"エマ ウィルソン", "エマウィルソン"}, "ウィルソン"),
    ("アオキ コウスケ", {"アオキ コウスケ", "アオキコウスケ"}, "アオキ"),
    ("青木", set(), "青木"),
    ("Smith", set(), "smith"),
    ("", set(), None),
])
def test_name_keys(name: str, full: set[str], surname: str | None) -> None:
    assert name_keys(name) == (full, surname)


@pytest.mark.parametrize("text, digits", [
    ("090-4411-2233", "09044112233"),
    ("０９０－４４１１－２２３３", "09044112233"),
    ("090ー4411ー2233", "09044112233"),
    ("(090) 4411 2233", "09044112233"),
    ("+81 90-4411-2233", "09044112233"),
    ("+81 (0)90 4411 2233", "09044112233"),
    ("0081-90-4411-2233", "09044112233"),
    ("090.4411.2233", "09044112233"),
])
def test_phone_digits(text: str, digits: str) -> None:
    assert phone_digits(text) == digits


def test_fold_keeps_case_and_collapses_space() -> None:
    assert fold("Ｍｓ．　Ｗｉｌｓｏｎ\n\n様") == "Ms. Wilson 様"
    assert fold("ｶﾞｲﾄﾞ〜①") == "ガイド~1"


@pytest.mark.parametrize("text, expected", [
    # e-mail addresses: case-insensitive, full width, whole address only
    ("宛先 Kosuke.Aoki@Example.JP です", [("email", "Kosuke.Aoki@Example.JP")]),
    ("ｋｏｓｕｋｅ．ａｏｋｉ＠ｅｘａｍｐｌｅ．ｊｐ", [("email", "kosuke.aoki@example.jp")]),
    ("xkosuke.aoki@example.jp.evil", []),
    # phones: any spacing/width, +81, never inside a longer number
    ("TEL: 03-5678-1122 / 090-4411-2233", [("phone", "03-5678-1122"), ("phone", "090-4411-2233")]),
    ("C-200118 03 5678 1122", [("customer_id", "C-200118"), ("phone", "03 5678 1122")]),
    ("＋８１ ９０ ４４１１ ２２３３", [("phone", "+81 90 4411 2233")]),
    ("0356781122", [("phone", "0356781122")]),
    ("03-5678-11223 と 203-5678-1122 と 090-4411-22334", []),
    # customer ids: case and width ignored, whole words
    ("番号ｃ２００１１８", [("customer_id", "c200118")]),
    ("C-2001189 と XC-200118 と C-200118-2", []),
    # full names: spacing, width, case, Latin word boundaries
    ("森田　俊介様", [("name", "森田 俊介")]),
    ("森田俊介", [("name", "森田俊介")]),
    ("Emma Wilson, Wilson Emma, Wilson, Emma", [("name", "Emma Wilson"), ("name", "Wilson Emma"), ("name", "Wilson, Emma")]),
    ("Gemma Wilsons", []),
    # surname + honorific, and what is not enough
    ("森田様 森田さん 森田 様 森田氏 森田殿", [("surname", "森田様"), ("surname", "森田さん"), ("surname", "森田 様"),
                                   ("surname", "森田氏"), ("surname", "森田殿")]),
    ("Mr. Grant, Mrs Grant, Dr.Grant", [("surname", "Mr. Grant"), ("surname", "Mrs Grant"), ("surname", "Dr.Grant")]),
    ("Grant様", [("surname", "Grant様")]),
    ("it seems Mr. Grant; items Dr Grant", [("surname", "Mr. Grant"), ("surname", "Dr Grant")]),
    ("Mr. and Mrs. Grant", [("surname", "Mrs. Grant")]),
    ("青木ヶ原 森田屋 前田町 大前田様 Granted Mr. Grantham", []),
    ("お客様前田様", [("surname", "前田様")]),
    # a time word or the writer's side right before the surname is not part of a longer name
    ("先日青木　様", [("surname", "青木 様")]),
    ("本日前田様、昨日森田さん、今回前田様、担当前田様", [("surname", "前田様"), ("surname", "森田さん"),
                                              ("surname", "前田様"), ("surname", "前田様")]),
    ("弊社森田が、11月20日前田様より", [("surname", "前田様")]),
    # …but a company or an unknown longer surname still is
    ("株式会社前田様 前田運輸様 大前田様 先前田様 日前田様", []),
    ("彩花さん Emma 俊介様", []),
    # a short name must not be the start of a longer one
    ("林 太様", [("name", "林 太")]),
    ("林太郎さん", []),
])
def test_scan(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


def test_shared_surname_has_both_owners() -> None:
    assert owners("青木様") == [{"青木 康介", "青木 美咲"}]


def test_scan_empty_index_and_text() -> None:
    assert CustomerIndex.from_rows([]).scan("青木様 kosuke.aoki@example.jp 090-4411-2233") == []
    assert INDEX.scan("") == []


def test_common_nouns_and_polite_prefix_are_not_surnames() -> None:
    index = CustomerIndex.from_rows([{"name": "奥 真司"}, {"name": "客 太郎"}, {"name": "林 太"}])
    assert [m.text for m in index.scan("奥様によろしくお伝えください。お客様各位。お林さん")] == []
    assert [(m.kind, m.text) for m in index.scan("奥 真司様")] == [("name", "奥 真司")]


def test_latin_names_are_not_part_of_hyphenated_names() -> None:
    index = CustomerIndex.from_rows([{"name": "Emma Wilson"}])
    assert [m.text for m in index.scan("Emma Wilson-Smith and Smith-Emma Wilson")] == []
    assert [m.text for m in index.scan("Emma Wilson.")] == ["Emma Wilson"]


def test_short_numeric_ids_are_not_matched() -> None:
    index = CustomerIndex.from_rows([{"name": "", "customer_id": "1234"}, {"name": "", "customer_id": "700123"},
                                     {"name": "", "customer_id": "A12"}])
    assert [(m.kind, m.text) for m in index.scan("数量1234個、会員番号700123、a12")] == [
        ("customer_id", "700123"), ("customer_id", "a12")]


def test_unsplit_japanese_name_takes_a_known_surname() -> None:
    index = CustomerIndex.from_rows([{"name": "青木 康介"}, {"name": "青木美咲"}, {"name": "森田俊介"}])
    assert [{index.customers[i].name for i in m.owners} for m in index.scan("青木様")] == [{"青木 康介", "青木美咲"}]
    assert [m.text for m in index.scan("森田様")] == []          # no known surname to split 森田俊介 by
    assert [m.text for m in index.scan("森田俊介様")] == ["森田俊介"]
