#!/usr/bin/env python3
"""Generate the reply corpus (run once; the generated files are committed).

    python3 tests/corpus/replies/make_corpus.py

Writes customers.csv and one folder per case (original.eml, reply.eml, expect.yaml)
next to this script, in the format of shared/examples/replies. Mails are built the way
they come off the wire: RFC 2047 encoded-word headers (UTF-8 B/Q, ISO-2022-JP, Shift_JIS),
bodies in UTF-8 / ISO-2022-JP (CP50220-style, NEC specials like ① allowed) / Shift_JIS
(cp932), 7bit / 8bit / base64 / quoted-printable, LF or CRLF, plain or
multipart/alternative with HTML. Standard library only; deterministic.
"""
from __future__ import annotations

import base64
import hashlib
import quopri
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent

# ----------------------------------------------------------------------------- people
CUSTOMERS = [
    ("青木 康介", "kosuke.aoki@example.jp", "090-4411-2233", "C-200118"),
    ("石田 香織", "kaori.ishida@example.net", "080-6622-7788", "C-200342"),
    ("森田 俊介", "shunsuke.morita@example.co.jp", "03-5678-1122", "C-200575"),
    ("前田 彩花", "ayaka.maeda@example.com", "06-6789-2233", "C-200761"),
    ("藤田 浩二", "koji.fujita@example.org", "070-1122-9988", "C-200893"),
    ("岡本 千尋", "chihiro.okamoto@example.jp", "045-678-3344", "C-201024"),
    ("長谷川 拓也", "takuya.hasegawa@example.net", "090-8877-6655", "C-201236"),
    ("村上 奈々", "nana.murakami@example.co.jp", "052-789-4455", "C-201480"),
    ("Emma Wilson", "emma.wilson@example.com", "080-3344-5566", "C-201617"),
    ("Oliver Grant", "oliver.grant@example.org", "03-6543-2109", "C-201852"),
    ("田中 一郎", "ichiro.tanaka@example.jp", "090-1234-5678", "C-201903"),
    ("田中 美咲", "misaki.tanaka@example.net", "080-2345-6789", "C-202011"),
    ("佐藤 健太", "kenta.sato@example.com", "070-3456-7890", "C-202134"),
    ("鈴木 花子", "hanako.suzuki@example.co.jp", "03-3456-7812", "C-202256"),
    ("高橋 誠", "makoto.takahashi@example.org", "090-5566-7788", "C-202378"),
    ("渡辺 由美", "yumi.watanabe@example.jp", "06-6123-4567", "C-202490"),
    ("伊藤 翔", "sho.ito@example.net", "080-9988-7766", "C-202512"),
    ("中村 真理子", "mariko.nakamura@example.com", "045-321-6547", "C-202634"),
    ("小川 大輔", "daisuke.ogawa@example.jp", "092-711-2345", "C-202756"),
    ("山田 太郎", "taro.yamada@example.co.jp", "090-2468-1357", "C-202878"),
    ("北川 陽子", "yoko.kitagawa@example.org", "075-222-3344", "C-202990"),
    ("松本 直樹", "naoki.matsumoto@example.net", "0263-33-4455", "C-203012"),
    ("井上 さくら", "sakura.inoue@example.jp", "080-1357-2468", "C-203134"),
    ("木村 拓海", "takumi.kimura@example.com", "070-2244-6688", "C-203256"),
    ("Grace Hill", "grace.hill@example.com", "090-7531-8642", "C-203378"),
    ("Daniel Brooks", "daniel.brooks@example.org", "080-8642-9753", "C-203490"),
    ("Sophie Clarke", "sophie.clarke@example.net", "03-4567-8901", "C-203512"),
    ("Liam Young", "liam.young@example.com", "070-9753-1864", "C-203634"),
    ("Chloe Martin", "chloe.martin@example.org", "06-7890-1234", "C-203756"),
]
C = {name: (name, email) for name, email, _p, _i in CUSTOMERS}

SUPPORT = ("ミナト家電 お客様相談室", "support@minato.example.jp")
SUPPORT_EN = ("Minato Appliances Customer Care", "support@minato.example.jp")
ONO = ("大野 里美", "ono@minato.example.jp")
NISHI = ("西村 光", "nishimura@minato.example.jp")
KOBA = ("小林 健", "kobayashi@minato.example.jp")
HIRANO = ("平野 潤", "hirano@minato.example.jp")
HANNAH = ("Hannah Scott", "hannah.scott@minato.example.jp")
JAMES = ("James Turner", "james.turner@minato.example.jp")


def sig_ja(name: str, email: str, style: str = "dash") -> str:
    if style == "dash":
        return f"--\n{name}\nミナト家電株式会社 お客様相談室\nTEL 0120-987-650 / {email}"
    if style == "frame":
        bar = "―" * 20
        return f"{bar}\nミナト家電株式会社 お客様相談室\n{name}\nフリーダイヤル 0120-987-650（10:00～17:00 土日祝休）\n{bar}"
    if style == "oneline":
        return f"ミナト家電株式会社 お客様相談室　{name}\nTEL 0120-987-650"
    raise ValueError(style)


def sig_en(name: str) -> str:
    return f"Kind regards,\n{name}\nCustomer Care, Minato Appliances\nTel. +81-45-555-0123"


# ----------------------------------------------------------------------------- encoding
def _sjis_to_jis(b1: int, b2: int) -> tuple[int, int]:
    if b1 >= 0xE0:
        b1 -= 0x40
    row = (b1 - 0x81) * 2 + 0x21
    if b2 >= 0x9F:
        return row + 1, b2 - 0x9F + 0x21
    return row, (b2 - 0x40 + 0x21 if b2 < 0x7F else b2 - 0x41 + 0x21)


def iso2022jp(text: str) -> bytes:
    """ISO-2022-JP as Outlook/Becky send it (CP50220-like: NEC row 13 specials in JIS X 0208 mode)."""
    out = bytearray()
    kanji = False
    for ch in text:
        if ord(ch) < 0x80:
            if kanji:
                out += b"\x1b(B"
                kanji = False
            out += ch.encode("ascii")
            continue
        sj = ch.encode("cp932")
        if len(sj) != 2:
            raise ValueError(f"not encodable in ISO-2022-JP: {ch!r}")
        if not kanji:
            out += b"\x1b$B"
            kanji = True
        out += bytes(_sjis_to_jis(sj[0], sj[1]))
    if kanji:
        out += b"\x1b(B"
    return out


def encode_text(text: str, charset: str) -> bytes:
    cs = charset.lower()
    if cs == "iso-2022-jp":
        return b"\n".join(iso2022jp(line) for line in text.split("\n"))
    if cs == "shift_jis":
        return text.encode("cp932")
    return text.encode("utf-8")


def encoded_word(text: str, charset: str, mode: str = "B", chunk: int = 10) -> list[str]:
    words = []
    for i in range(0, len(text), chunk):
        part = text[i:i + chunk]
        raw = encode_text(part, charset)
        if mode == "B":
            words.append(f"=?{charset}?B?{base64.b64encode(raw).decode()}?=")
        else:
            q = "".join(chr(b) if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) else
                        ("_" if b == 32 else f"={b:02X}") for b in raw)
            words.append(f"=?{charset}?Q?{q}?=")
    return words


def hdr_text(text: str, charset: str, mode: str = "B", prefix: str = "") -> str:
    """`prefix` stays ASCII (as `Re: ` does in real clients); the rest is encoded if needed."""
    if not all(ord(c) < 0x80 for c in prefix):
        text, prefix = prefix + text, ""
    if all(ord(c) < 0x80 for c in text):
        return prefix + text
    words = encoded_word(text, charset, mode)
    return prefix + "\n ".join(words)


def hdr_addr(person: tuple[str, str], charset: str) -> str:
    name, email = person
    if all(ord(c) < 0x80 for c in name):
        return f"{name} <{email}>"
    return f"{encoded_word(name, charset, 'B', 40)[0]} <{email}>"


def encode_body(text: str, charset: str, cte: str) -> str:
    raw = encode_text(text, charset)
    if cte in ("7bit", "8bit"):
        return raw.decode("latin-1")
    if cte == "base64":
        return base64.encodebytes(raw).decode("ascii").rstrip("\n")
    if cte == "quoted-printable":
        return quopri.encodestring(raw).decode("ascii")
    raise ValueError(cte)


def msgid(*parts: str) -> str:
    h = hashlib.sha1("|".join(parts).encode()).hexdigest()[:12].upper()
    return h


def build(headers: list[tuple[str, str]], body: str | None, *, charset: str, cte: str,
          eol: str, html: str | None = None, html_only: bool = False,
          html_cte: str | None = None, boundary: str = "") -> bytes:
    lines = [f"{k}: {v}" for k, v in headers]
    lines.append("MIME-Version: 1.0")
    ctype = lambda sub: f'text/{sub}; charset="{charset}"'
    if html is None or html_only:
        payload = html if html_only else body
        lines.append(f"Content-Type: {ctype('html' if html_only else 'plain')}")
        lines.append(f"Content-Transfer-Encoding: {cte}")
        lines.append("")
        lines.append(encode_body(payload, charset, cte))
    else:
        lines.append(f'Content-Type: multipart/alternative;\n boundary="{boundary}"')
        lines.append("")
        for sub, text, enc in (("plain", body, cte), ("html", html, html_cte or cte)):
            lines += [f"--{boundary}", f"Content-Type: {ctype(sub)}",
                      f"Content-Transfer-Encoding: {enc}", "", encode_body(text, charset, enc), ""]
        lines.append(f"--{boundary}--")
    text = "\n".join(lines)
    if not text.endswith("\n"):
        text += "\n"
    return text.replace("\n", eol).encode("latin-1")


# ----------------------------------------------------------------------------- quoting
def attribution(kind: str, orig: dict) -> str:
    name, email = orig["from"]
    d = orig["when"]  # (y, m, d, wd_ja, wd_en, hh, mm)
    y, mo, da, wja, wen, hh, mi = d
    mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][mo - 1]
    if kind == "gmail-ja":
        return f"{y}年{mo}月{da}日({wja}) {hh}:{mi:02d} {name} <{email}>:"
    if kind == "tb-ja":
        return f"{y}/{mo:02d}/{da:02d} {hh}:{mi:02d} に {name} さんは書きました:"
    if kind == "tb-en":
        h12 = hh % 12 or 12
        return f"On {mo}/{da}/{y} {h12}:{mi:02d} {'AM' if hh < 12 else 'PM'}, {name} wrote:"
    if kind == "gmail-en":
        h12 = hh % 12 or 12
        return f"On {wen}, {mon} {da}, {y} at {h12}:{mi:02d} {'AM' if hh < 12 else 'PM'} {name} <{email}> wrote:"
    if kind == "outlook-en":
        return (f"-----Original Message-----\nFrom: {name} <{email}>\n"
                f"Sent: {wen}, {mon} {da}, {y} {hh}:{mi:02d}\nTo: {orig['to'][1]}\nSubject: {orig['subject']}")
    if kind == "outlook-ja":
        return (f"-----元のメッセージ-----\n差出人: {name} <{email}>\n"
                f"送信日時: {y}年{mo}月{da}日 {hh}:{mi:02d}\n宛先: {orig['to'][1]}\n件名: {orig['subject']}")
    if kind == "underscore-ja":
        return (f"{'_' * 32}\n差出人: {name} <{email}>\n"
                f"送信日時: {y}年{mo}月{da}日 {hh}:{mi:02d}\n宛先: {orig['to'][1]}\n件名: {orig['subject']}")
    if kind == "underscore-en":
        return (f"{'_' * 32}\nFrom: {name} <{email}>\n"
                f"Sent: {wen}, {mon} {da}, {y} {hh}:{mi:02d}\nTo: {orig['to'][1]}\nSubject: {orig['subject']}")
    raise ValueError(kind)


def esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def html_lines(text: str) -> str:
    return "<br>\n".join(esc(line) for line in text.split("\n"))


# ----------------------------------------------------------------------------- originals
def orig(key, frm, subject, body, *, when, subj_cs="UTF-8", body_cs="UTF-8", cte="8bit",
         eol="\n", to=SUPPORT, html=None, raw_subject=False):
    """html: None, "only" (text/html single part) or "alt" (multipart/alternative).
    raw_subject: the Subject header is sent unencoded in subj_cs (old / RFC 6532 clients)."""
    return dict(key=key, **{"from": frm}, subject=subject, body=body.strip("\n"), when=when,
                subj_cs=subj_cs, body_cs=body_cs, cte=cte, eol=eol, to=to, html=html,
                raw_subject=raw_subject)


O = {}
O["mr30"] = orig("mr30", C["山田 太郎"], "電子レンジ MR-30 の設置について", """
ミナト家電 お客様相談室 御中

お世話になっております。山田と申します。

先日購入した電子レンジ「MR-30」について質問です。
壁からどのくらい離して設置すればよいでしょうか。
また、電子レンジの上に物を置いても問題ないでしょうか。

取扱説明書を見ても分かりませんでしたので、教えていただけますと幸いです。

山田 太郎
""", when=(2026, 11, 20, "金", "Fri", 10, 12))

O["ice"] = orig("ice", C["田中 美咲"], "冷蔵庫の自動製氷について", """
ミナト家電 お客様相談室 御中

冷蔵庫「NR-450」を使っている田中です。自動製氷について二点教えてください。

① 製氷皿の掃除は、どのくらいの頻度ですればよいですか。
② 給水タンクには浄水器の水を入れても大丈夫ですか。

お手すきの際にご回答いただければ助かります。

田中 美咲
""", when=(2026, 11, 21, "土", "Sat", 9, 40), subj_cs="ISO-2022-JP", body_cs="ISO-2022-JP", cte="7bit")

O["warranty"] = orig("warranty", C["鈴木 花子"], "保証期間の延長について", """
ミナト家電 お客様相談室 ご担当者様

いつもお世話になっております。㈱スズキ商事の鈴木です。

事務所で使っている複合機用の電気ポット「EP-22」の保証について伺います。
延長保証に加入できるのは購入後何日以内でしょうか。
電話でのご連絡でしたら、平日10時～12時にお願いいたします。

鈴木 花子
""", when=(2026, 11, 22, "日", "Sun", 14, 5), subj_cs="Shift_JIS", body_cs="Shift_JIS", cte="8bit", eol="\r\n")

O["parts"] = orig("parts", C["佐藤 健太"], "掃除機の部品注文について", """
ミナト家電 お客様相談室 御中

佐藤です。先日はご回答ありがとうございました。

> 交換用のダストカップは、品番 DC-15 でご注文いただけます。
> 当社オンラインショップでお求めください。

このダストカップは、旧型の「CL-10」にも取り付けられますか。
取り付けられる場合は二個注文したいと思います。

佐藤 健太
""", when=(2026, 11, 23, "月", "Mon", 20, 31), body_cs="UTF-8", cte="base64", eol="\r\n")

O["delivery"] = orig("delivery", C["中村 真理子"], "配送日の指定について", """
ミナト家電 お客様相談室 御中

中村と申します。
友人の青木さんに勧められて、空気清浄機「AP-500」を注文しました。
配送日を12月5日の午前中に指定することはできますか。
当日は在宅しておりますので、よろしくお願いいたします。

中村 真理子
""", when=(2026, 11, 24, "火", "Tue", 8, 15), subj_cs="ISO-2022-JP", body_cs="ISO-2022-JP", cte="7bit")

O["showroom"] = orig("showroom", C["北川 陽子"], "ショールームの場所を教えてください", """
ミナト家電 お客様相談室 御中

北川と申します。
新しい洗濯乾燥機の購入を考えており、実物を見てから決めたいと思っています。
関西でミナト家電の製品を展示しているショールームはありますか。
あれば、場所と営業時間を教えてください。
土曜日に伺えると助かります。

北川 陽子
""", when=(2026, 11, 24, "火", "Tue", 19, 48), cte="quoted-printable")

# Japanese complaints
O["washer"] = orig("washer", C["高橋 誠"], "洗濯機の異音がひどいです", """
ミナト家電 お客様相談室 御中

11月18日に届いた洗濯機「WD-80」ですが、脱水のたびにガタガタと大きな異音がします。
設置業者の方に言われたとおりに水平も確認しました。
まだ一週間も使っていないのに、これは初期不良ではないのですか。
夜は使えず、本当に困っています。
どういうことなのか説明してください。

高橋 誠
""", when=(2026, 11, 25, "水", "Wed", 7, 55), subj_cs="ISO-2022-JP", body_cs="ISO-2022-JP", cte="7bit")

O["late"] = orig("late", C["渡辺 由美"], "注文した商品がまだ届きません", """
ミナト家電 オンラインショップ御中

11月10日に注文した炊飯器「RC-5」がまだ届いていません。
注文番号は M-55231 です。
「3日以内に発送」と書いてあったのに、もう二週間以上待たされています。
問い合わせのメールにも返事がありません。
信じられません。いつ届くのか、すぐに連絡してください。

渡辺 由美
""", when=(2026, 11, 25, "水", "Wed", 22, 10), subj_cs="Shift_JIS", body_cs="Shift_JIS", cte="8bit")

O["billing"] = orig("billing", C["伊藤 翔"], "代金が二重に請求されています", """
ミナト家電 オンラインショップ御中

伊藤です。11月20日に購入したドライヤー「HD-7」の代金 12,800円 が、
クレジットカードに二重に請求されています。
カード明細で確認しましたが、同じ日に二回引き落とされていました。
ありえないミスだと思います。
余分に請求された分を早急に返金してください。

伊藤 翔
""", when=(2026, 11, 26, "木", "Thu", 12, 3))

O["rude"] = orig("rude", C["井上 さくら"], "修理担当者の態度について", """
ミナト家電 お客様相談室 御中

お手数をおかけして申し訳ありませんが、ひとことお伝えしたくご連絡しました。

昨日、エアコンの修理に来た担当者の方の態度が悪く、とても不愉快でした。
こちらが質問しても面倒そうに答えるだけで、説明もほとんどありませんでした。
修理代の見積もりも、紙を置いてすぐに帰ってしまいました。
次回は別の方に来ていただきたいです。

井上 さくら
""", when=(2026, 11, 27, "金", "Fri", 18, 20), cte="quoted-printable", eol="\r\n")

O["kettle_ja"] = orig("kettle_ja", C["松本 直樹"], "電気ケトルが一週間で壊れました", """
ミナト家電 お客様相談室 御中

松本と申します。
11月19日に購入した電気ケトル「KT-12」が、一週間で壊れました。
スイッチを入れても電源が入りません。
新品を買ったのにこれでは困ります。
すぐに新品と交換してください。

松本 直樹
""", when=(2026, 11, 27, "金", "Fri", 9, 2), subj_cs="ISO-2022-JP", body_cs="ISO-2022-JP", cte="7bit")

# English questions
O["filter"] = orig("filter", C["Emma Wilson"], "Replacement filters for the AP-500", """
Hello,

I have a Minato AP-500 air purifier and would like to buy two replacement
filters. Which filter model fits it, and how often should the filter be
changed if the purifier runs all day?

Also, can I order the filters from your online shop, or only from a dealer?

Thanks,
Emma Wilson
""", when=(2026, 11, 20, "金", "Fri", 16, 45), to=SUPPORT_EN)

O["transfer"] = orig("transfer", C["Daniel Brooks"], "Warranty after moving house", """
Hi,

I bought a Minato WD-80 washer in March 2026 and I am moving to a new flat
next month. Does the warranty stay valid if the washer is moved by a removal
company, or do I need to tell you about the new address?

Best,
Daniel Brooks
""", when=(2026, 11, 21, "土", "Sat", 11, 30), to=SUPPORT_EN, eol="\r\n", cte="quoted-printable")

O["extension"] = orig("extension", C["Grace Hill"], "Return window for a gift", """
Hello,

My sister gave me a Minato KT-12 kettle for my birthday, but I already have one.
The receipt says returns are accepted within 14 days, and the gift was bought
on November 1. Is there any way to return it a little later than that?

Regards,
Grace Hill
""", when=(2026, 11, 22, "日", "Sun", 13, 0), to=SUPPORT_EN)

# English complaints
O["kettle_en"] = orig("kettle_en", C["Sophie Clarke"], "Kettle arrived broken", """
Hello,

The KT-12 kettle I ordered arrived today with a cracked lid and a dent in
the side. The box was fine, so it must have been packed like this. I am
very disappointed, this was meant to be a present.

I want a refund or a new kettle sent this week.

Sophie Clarke
""", when=(2026, 11, 23, "月", "Mon", 17, 20), to=SUPPORT_EN)

O["notarrived"] = orig("notarrived", C["Liam Young"], "Order M-55410 has not arrived", """
Hi,

I ordered a rice cooker (order M-55410) on November 9 and it still has not
arrived. This is unacceptable. I have written twice and nobody has answered
my emails.

Please tell me today where my order is.

Liam Young
""", when=(2026, 11, 24, "火", "Tue", 9, 5), to=SUPPORT_EN, cte="base64")

O["tech_en"] = orig("tech_en", C["Chloe Martin"], "Complaint about your technician", """
Hello,

The technician who came to repair my dishwasher on Friday was rude and left
water all over the kitchen floor. The dishwasher still leaks. This is
terrible service and I expect someone to fix it properly.

Chloe Martin
""", when=(2026, 11, 25, "水", "Wed", 21, 40), to=SUPPORT_EN)


def write_original(o: dict) -> bytes:
    mid = f"<2026{o['when'][1]:02d}{o['when'][2]:02d}{o['when'][5]:02d}{o['when'][6]:02d}00.{msgid(o['key'])}@mail.{o['from'][1].split('@')[1]}>"
    o["msgid"] = mid
    y, mo, da, _wja, wen, hh, mi = o["when"]
    mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][mo - 1]
    headers = [
        ("Message-ID", mid),
        ("Date", f"{wen}, {da:02d} {mon} {y} {hh:02d}:{mi:02d}:00 +0900"),
        ("From", hdr_addr(o["from"], o["subj_cs"])),
        ("To", hdr_addr(o["to"], o["subj_cs"])),
        ("Subject", encode_text(o["subject"], o["subj_cs"]).decode("latin-1") if o["raw_subject"]
         else hdr_text(o["subject"], o["subj_cs"])),
    ]
    html = None
    if o["html"]:
        paras = "".join(f"<p>{html_lines(p)}</p>\n" for p in o["body"].split("\n\n"))
        html = f'<html><head><meta charset="{o["body_cs"]}"></head><body>\n{paras}</body></html>\n'
    return build(headers, o["body"] + "\n", charset=o["body_cs"], cte=o["cte"], eol=o["eol"],
                 html=html, html_only=o["html"] == "only", boundary=f"orig-{msgid(o['key'], 'b')}")


# ----------------------------------------------------------------------------- replies
def reply(o: dict, *, frm, own: str, sig: str | None, attr: str = "gmail-ja",
          quote: str | None = None, quote_edit=None, trim: tuple[int, int] | None = None,
          rewrap: int | None = None, style: str = "gt", subject: str | None = None,
          prefix: str = "Re: ", subj_cs: str = "UTF-8", subj_mode: str = "B",
          charset: str = "UTF-8", cte: str = "quoted-printable", eol: str = "\n",
          html: str | None = None, to=None, cc=None, extra_headers=(),
          plain_override: str | None = None) -> bytes:
    """Build the agent's reply. `quote` overrides the quoted text (default: the original
    body, optionally trimmed to lines [a:b], re-wrapped at `rewrap` columns, then
    `quote_edit` applied as a list of (old, new) replacements)."""
    if quote is None:
        lines = o["body"].split("\n")
        if trim:
            lines = lines[trim[0]:trim[1]]
        quote = "\n".join(lines)
        if rewrap:
            quote = rewrap_text(quote, rewrap)
    for old, new in (quote_edit or []):
        assert old in quote, (o["key"], old)
        quote = quote.replace(old, new, 1)
    own = own.strip("\n")
    parts = [own]
    if sig is not None:
        parts.append(sig)
    head = "\n\n".join(parts)
    a = attribution(attr, o)
    if style == "gt":
        q = "\n".join(("> " + ln) if ln and not ln.startswith(">") else (">" + ln if ln else ">")
                      for ln in quote.split("\n"))
        plain = f"{head}\n\n{a}\n\n{q}\n" if attr.startswith("gmail") else f"{head}\n\n{a}\n{q}\n"
    else:  # outlook: the original follows the header block unprefixed
        plain = f"{head}\n\n{a}\n\n{quote}\n"
    if plain_override is not None:  # the case writes the whole body (inline answers)
        plain = plain_override.strip("\n").replace("{attribution}", a) + "\n"
    html_body = None
    if html:
        own_html = f"<div>{html_lines(head)}</div>"
        qh = html_lines(quote)
        if html == "gmail":
            html_body = (f'<div dir="ltr">{own_html}</div><br>\n<div class="gmail_quote">'
                         f'<div dir="ltr" class="gmail_attr">{esc(a)}<br></div>\n'
                         f'<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;'
                         f'border-left:1px solid rgb(204,204,204);padding-left:1ex">{qh}</blockquote></div>\n')
        elif html == "blockquote":
            html_body = (f"<html><body>{own_html}\n<div class=\"moz-cite-prefix\">{esc(a)}<br></div>\n"
                         f"<blockquote type=\"cite\">{qh}</blockquote>\n</body></html>\n")
        elif html in ("outlook", "outlook-only"):
            hdr_html = html_lines(a.split("\n", 1)[1]) if "\n" in a else esc(a)
            html_body = (f"<html><body><div class=\"WordSection1\">{own_html}\n"
                         f"<div style=\"border:none;border-left:solid #0000FF 1.5pt;padding:0mm 0mm 0mm 4.0pt\">\n"
                         f"<div style=\"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0mm 0mm 0mm\">"
                         f"<p class=\"MsoNormal\">{hdr_html}</p></div>\n<p class=\"MsoNormal\">{qh}</p>\n"
                         f"</div></div></body></html>\n")
        else:
            raise ValueError(html)
    subj = o["subject"] if subject is None else subject
    when = "Mon, 30 Nov 2026 10:30:00 +0900"
    mid = f"<20261130103000.{msgid(o['key'], own)}@mail.minato.example.jp>"
    tos = to if to is not None else [o["from"]]
    headers = [
        ("Message-ID", mid),
        ("Date", when),
        ("From", hdr_addr(frm, subj_cs)),
        ("To", ", ".join(hdr_addr(p, subj_cs) for p in tos)),
    ]
    if cc:
        headers.append(("Cc", ", ".join(hdr_addr(p, subj_cs) for p in cc)))
    headers += [
        ("Subject", hdr_text(subj, subj_cs, subj_mode, prefix)),
        ("In-Reply-To", o["msgid"]),
        ("References", o["msgid"]),
        *extra_headers,
    ]
    if html == "outlook-only":
        html_body = f'<html><head><meta charset="{charset}"></head>' + html_body.split("<html>", 1)[1]
    return build(headers, plain, charset=charset, cte=cte, eol=eol, html=html_body,
                 html_only=(html == "outlook-only"), boundary=f"alt-{msgid(o['key'], own, 'b')}")


def rewrap_text(text: str, width: int) -> str:
    """Re-flow each paragraph at `width` characters (English: at spaces; Japanese: anywhere)."""
    out = []
    for para in text.split("\n\n"):
        lines = para.split("\n")
        if any(ord(c) > 0x2000 for c in para):
            flat = "".join(lines)
            out.append("\n".join(flat[i:i + width] for i in range(0, len(flat), width)))
        else:
            words = " ".join(lines).split(" ")
            cur, acc = "", []
            for w in words:
                if cur and len(cur) + 1 + len(w) > width:
                    acc.append(cur)
                    cur = w
                else:
                    cur = f"{cur} {w}" if cur else w
            acc.append(cur)
            out.append("\n".join(acc))
    return "\n\n".join(out)


CASES: list[tuple[str, str, list[str], dict, dict]] = []


def case(name: str, rules: list[str], why: str, o: dict, **kw) -> None:
    CASES.append((name, why, rules, o, kw))


# ============================================================================ clean cases
ok = []

case("01-clean-ja-gmail-quote-middle-trimmed", ok,
     "Clean - question; Gmail-ja attribution; the quote is trimmed to two lines in the middle; UTF-8 QP reply.",
     O["mr30"], frm=ONO, attr="gmail-ja", trim=(5, 7), own="""
山田 太郎 様

ミナト家電株式会社 お客様相談室の大野でございます。
お問い合わせいただき、ありがとうございます。

MR-30 は、左右と背面を壁から 10cm 以上離して設置してください。
上面には物を置かず、放熱のため 20cm 以上の空間を空けてください。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("02-clean-ja-iso2022jp-circled-digits", ok,
     "Clean - ISO-2022-JP original with NEC specials (①②) quoted back in an ISO-2022-JP reply; Thunderbird-ja attribution.",
     O["ice"], frm=NISHI, attr="tb-ja", subj_cs="ISO-2022-JP", charset="ISO-2022-JP", cte="7bit", own="""
田中 美咲 様

ミナト家電株式会社 お客様相談室の西村でございます。
ご質問いただいた二点について、ご案内いたします。

① 製氷皿は、月に一度を目安に水洗いしてください。
② 浄水器の水は問題なくお使いいただけます。ミネラルウォーターはお控えください。

今後ともよろしくお願いいたします。
""", sig=sig_ja(*NISHI, style="frame"))

case("03-clean-ja-sjis-wave-dash-outlook-block", ok,
     "Clean - Shift_JIS (cp932: ㈱, ～) original quoted in an Outlook 元のメッセージ block of a UTF-8 base64 reply, RE: prefix, CRLF.",
     O["warranty"], frm=ONO, attr="outlook-ja", style="outlook", prefix="RE: ", cte="base64", eol="\r\n", own="""
鈴木 花子 様

ミナト家電株式会社 お客様相談室の大野でございます。
いつもご利用いただき、ありがとうございます。

EP-22 の延長保証は、ご購入日から30日以内にお申し込みいただけます。
お申し込みは同梱の保証書に記載のページから承っております。

以上、よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("04-clean-ja-nested-quote-re2", ok,
     "Clean - the customer quoted our earlier answer; the reply quotes it as >> and uses the Re[2]: prefix; signature name with a full-width space.",
     O["parts"], frm=KOBA, attr="gmail-ja", prefix="Re[2]: ", own="""
佐藤 健太 様

ミナト家電株式会社 お客様相談室の小林でございます。

ダストカップ DC-15 は、旧型の CL-10 にも取り付けていただけます。
二個ご注文の場合も、送料は一回分で承ります。

よろしくお願いいたします。
""", sig=sig_ja("小林　健", KOBA[1]))

case("05-clean-ja-quote-names-other-customer", ok,
     "Clean - the customer's own mail mentions 青木さん; quoting that line back is not other-customer data; 返信: prefix.",
     O["delivery"], frm=NISHI, attr="tb-ja", prefix="返信: ", trim=(2, 5), own="""
中村 真理子 様

ミナト家電株式会社 お客様相談室の西村でございます。
ご注文いただき、誠にありがとうございます。

AP-500 の配送日は、12月5日午前中で承りました。
配送業者から前日にご連絡いたします。

よろしくお願いいたします。
""", sig=sig_ja(*NISHI))

case("06-clean-ja-place-names-with-surnames", ok,
     "Clean - the reply gives showroom addresses in 森田町 and 松本市; a customer surname inside a place name is not a name.",
     O["showroom"], frm=ONO, attr="gmail-ja", trim=(3, 6), own="""
北川 陽子 様

ミナト家電株式会社 お客様相談室の大野でございます。
お問い合わせありがとうございます。

関西では、大阪ショールーム（大阪市北区森田町2-8）で実物をご覧いただけます。
営業時間は10時から18時で、土曜日も営業しております。
なお、長野の松本市にもショールームがございます。

ご来場をお待ちしております。
""", sig=sig_ja(*ONO))

case("07-clean-ja-complaint-gomeiwaku-underscore-block", ok,
     "Clean - complaint (ISO-2022-JP) answered with ご迷惑をおかけし; Outlook underscore-line 差出人/送信日時 block; Shift_JIS 8bit reply.",
     O["washer"], frm=ONO, attr="underscore-ja", style="outlook", prefix="RE: ", subj_cs="Shift_JIS",
     charset="Shift_JIS", cte="8bit", eol="\r\n", own="""
高橋 誠 様

ミナト家電株式会社 お客様相談室の大野でございます。
このたびは、お届けしたばかりの洗濯機でご迷惑をおかけし、誠に申し訳ございません。

脱水時の異音は、輸送用の固定ボルトが残っている場合などに起こります。
明日12月1日に技術担当が伺い、点検のうえ必要であれば新品と交換いたします。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("08-clean-ja-complaint-owabi-html-gmail", ok,
     "Clean - late-delivery complaint (Shift_JIS) answered with お詫び申し上げます; multipart/alternative with a gmail_quote HTML part.",
     O["late"], frm=KOBA, attr="gmail-ja", html="gmail", own="""
渡辺 由美 様

ミナト家電オンラインショップの小林でございます。
お届けが大幅に遅れ、お問い合わせへのご返信もできておらず、心よりお詫び申し上げます。

ご注文 M-55231 の炊飯器 RC-5 は、本日発送いたしました。
明日12月1日の午前中にお届けの予定です。

よろしくお願いいたします。
""", sig=sig_ja(*KOBA))

case("09-clean-ja-complaint-own-phone-and-id", ok,
     "Clean - billing complaint answered with an apology; the reply repeats the recipient's own phone (full-width) and customer id.",
     O["billing"], frm=NISHI, attr="tb-ja", trim=(1, 4), own="""
伊藤 翔 様

ミナト家電オンラインショップの西村でございます。
二重請求によりご迷惑をおかけし、誠に申し訳ございません。

お客様番号 C-202512 のご注文を確認し、重複した 12,800円 の取消手続きを行いました。
カード会社での反映までに数日かかる場合がございます。
ご不明な点は、ご登録の ０８０－９９８８－７７６６ へ担当からお電話いたします。

よろしくお願いいたします。
""", sig=sig_ja(*NISHI))

case("10-clean-ja-shared-surname-recipient", ok,
     "Clean - reply to 田中 美咲 calls her 田中様 (another customer, 田中 一郎, shares the surname); Re: Re: prefix.",
     O["ice"], frm=ONO, attr="gmail-ja", prefix="Re: Re: ", trim=(4, 6), own="""
田中 美咲 様

ミナト家電株式会社 お客様相談室の大野でございます。

田中様のご指摘のとおり、製氷皿は取り外して水洗いしていただけます。
給水タンクには浄水器の水をお使いいただいて問題ございません。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("11-clean-ja-signature-name-without-space", ok,
     "Clean - signature writes the sender's name without a space (大野里美); RE: prefix; Thunderbird-ja attribution.",
     O["mr30"], frm=ONO, attr="tb-ja", prefix="RE: ", trim=(5, 8), cte="8bit", own="""
山田 太郎 様

お問い合わせありがとうございます。
MR-30 は壁から 10cm 以上離し、上には物を置かないでください。

よろしくお願いいたします。
""", sig="--\n大野里美\nミナト家電株式会社 お客様相談室")

case("12-clean-ja-complaint-oneline-signature-sjis-subject", ok,
     "Clean - complaint answered with 申し訳ございません; one-line signature ending in the name with full-width spaces; subject re-encoded ISO-2022-JP -> Shift_JIS.",
     O["kettle_ja"], frm=NISHI, attr="gmail-ja", subj_cs="Shift_JIS", trim=(3, 6), own="""
松本 直樹 様

このたびはご購入間もない電気ケトルが故障し、誠に申し訳ございません。
新品の KT-12 を本日発送いたしました。お手元の製品は、配達員に着払いでお渡しください。

よろしくお願いいたします。
""", sig=sig_ja("西村　光", NISHI[1], style="oneline"))

case("13-clean-ja-serial-number-contains-phone-digits", ok,
     "Clean - a 12-digit serial number contains another customer's phone digits (09044112233) but is not a phone number.",
     O["parts"], frm=KOBA, attr="gmail-ja", trim=(7, 9), own="""
佐藤 健太 様

ミナト家電株式会社 お客様相談室の小林でございます。

お使いの CL-10（製造番号 209044112233）にも DC-15 を取り付けていただけます。
二個のご注文も承ります。

よろしくお願いいたします。
""", sig=sig_ja(*KOBA))

case("14-clean-ja-complaint-outlook-html-only", ok,
     "Clean - complaint answered with 大変失礼いたしました; HTML-only Outlook reply, quote in a border-left div under a 差出人 block.",
     O["rude"], frm=ONO, attr="outlook-ja", style="outlook", html="outlook-only", prefix="RE: ",
     cte="quoted-printable", eol="\r\n", own="""
井上 さくら 様

ミナト家電株式会社 お客様相談室の大野でございます。
このたびは修理担当者が大変失礼いたしました。不快な思いをおかけし、申し訳ございません。

担当者には厳しく指導いたしました。次回の訪問は別の担当者が伺います。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("15-clean-ja-quote-rewrapped-q-subject", ok,
     "Clean - the Japanese quote is re-wrapped at 20 characters; subject in Q-encoded UTF-8.",
     O["showroom"], frm=KOBA, attr="gmail-ja", rewrap=20, trim=(3, 7), subj_mode="Q", own="""
北川 陽子 様

ミナト家電株式会社 お客様相談室の小林でございます。

大阪ショールームでは、洗濯乾燥機の全機種を展示しております。
土曜日も10時から18時まで営業しております。

よろしくお願いいたします。
""", sig=sig_ja(*KOBA))

case("16-clean-en-tb-rewrapped-aw-prefix", ok,
     "Clean - English question; Thunderbird attribution, quote re-wrapped at 60 columns; AW: prefix.",
     O["filter"], frm=HANNAH, attr="tb-en", prefix="AW: ", rewrap=60, trim=(2, 7), cte="7bit", own="""
Dear Ms. Wilson,

Thank you for your message. The AP-500 uses the AF-50 filter. If the
purifier runs all day, please change the filter every six months.

You can order the filters from our online shop.
""", sig=sig_en("Hannah Scott"))

case("17-clean-en-ms-wilson-gmail-html", ok,
     "Clean - 'Ms. Wilson' addressed to Emma Wilson herself; Gmail-en attribution; multipart with gmail_quote.",
     O["filter"], frm=JAMES, attr="gmail-en", html="gmail", own="""
Dear Ms. Wilson,

Thank you for contacting us. Two AF-50 filters are in stock in our online
shop, and we can ship them tomorrow.
""", sig=sig_en("James Turner"))

case("18-clean-en-granted-word", ok,
     "Clean - 'granted' contains another customer's surname (Grant) inside a word; Re: Re: prefix.",
     O["extension"], frm=HANNAH, attr="tb-en", prefix="Re: Re: ", trim=(4, 6), own="""
Dear Ms. Hill,

We have granted an extension for your return: you can send the kettle back
until December 15. A prepaid label is attached.
""", sig=sig_en("Hannah Scott"))

case("19-clean-en-complaint-im-sorry-outlook", ok,
     "Clean - English complaint answered with I'm sorry; Outlook Original Message block; CRLF, QP.",
     O["kettle_en"], frm=JAMES, attr="outlook-en", style="outlook", prefix="RE: ", eol="\r\n", own="""
Dear Ms. Clarke,

I'm sorry your kettle arrived damaged, especially as it was meant to be a
present. A new KT-12 was sent today by express delivery and will arrive
tomorrow. Our courier will collect the damaged one at the same time.
""", sig=sig_en("James Turner"))

case("20-clean-en-complaint-we-apologise-underscore", ok,
     "Clean - English complaint answered with We apologise; Outlook underscore From/Sent/To/Subject block; RE: prefix.",
     O["notarrived"], frm=HANNAH, attr="underscore-en", style="outlook", prefix="RE: ", own="""
Dear Mr. Young,

We apologise for the delay and for not answering your earlier emails. Your
rice cooker (order M-55410) was held at our warehouse by mistake; it was
sent this morning and will arrive on December 1.
""", sig=sig_en("Hannah Scott"))

case("21-clean-en-complaint-apologies-blockquote-html", ok,
     "Clean - English complaint answered with 'please accept our apologies'; multipart with an HTML blockquote.",
     O["tech_en"], frm=JAMES, attr="tb-en", html="blockquote", own="""
Dear Ms. Martin,

Please accept our apologies for the technician's behaviour and for the
mess he left. A senior engineer will visit on Wednesday, December 2, to
repair the leak properly, free of charge.
""", sig=sig_en("James Turner"))

case("22-clean-en-question-outlook-no-apology", ok,
     "Clean - English question answered without apology (none needed); Outlook Original Message block; CRLF.",
     O["transfer"], frm=HANNAH, attr="outlook-en", style="outlook", prefix="RE: ", eol="\r\n", own="""
Dear Mr. Brooks,

The warranty stays valid after a move. Please send us your new address when
you have moved so that we can update your registration.
""", sig=sig_en("Hannah Scott"))

case("23-clean-ja-cc-colleague", ok,
     "Clean - a colleague (not a customer) in Cc; Gmail-ja attribution.",
     O["mr30"], frm=ONO, cc=[HIRANO], attr="gmail-ja", trim=(5, 6), own="""
山田 太郎 様

ミナト家電株式会社 お客様相談室の大野でございます。
MR-30 は壁から 10cm 以上離して設置してください。
詳しい資料は技術担当の平野からお送りいたします。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("24-clean-ja-sjis-subject-to-iso2022jp", ok,
     "Clean - Shift_JIS subject answered with an ISO-2022-JP encoded Re: subject; ISO-2022-JP body with the one quoted line containing ～.",
     O["warranty"], frm=KOBA, attr="tb-ja", subj_cs="ISO-2022-JP", charset="ISO-2022-JP", cte="7bit",
     trim=(5, 7), own="""
鈴木 花子 様

ミナト家電株式会社 お客様相談室の小林でございます。
延長保証は、ご購入後30日以内であればお申し込みいただけます。
ご指定の時間帯にお電話でもご案内いたします。

よろしくお願いいたします。
""", sig=sig_ja("小林 健（こばやし けん）", KOBA[1]))

case("25-clean-ja-complaint-base64-multipart", ok,
     "Clean - complaint answered with ご不便をおかけ; multipart/alternative, both parts base64, blockquote HTML.",
     O["kettle_ja"], frm=ONO, attr="tb-ja", html="blockquote", cte="base64", own="""
松本 直樹 様

ミナト家電株式会社 お客様相談室の大野でございます。
このたびはご不便をおかけしており、誠に申し訳ございません。

交換用の KT-12 を本日発送いたしました。明日お届けの予定です。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("26-clean-en-complaint-sorry-gmail-crlf", ok,
     "Clean - English complaint answered with 'We are sorry'; Gmail-en attribution, quote trimmed, CRLF base64.",
     O["tech_en"], frm=HANNAH, attr="gmail-en", trim=(2, 5), cte="base64", eol="\r\n", own="""
Dear Ms. Martin,

We are sorry for the way our technician behaved. Another engineer will
call you tomorrow to arrange a new visit at a time that suits you.
""", sig=sig_en("Hannah Scott"))

# ========================================================================== firing cases
case("30-subject-fwd-prefix", ["subject-changed"],
     "A forward prefix Fwd: was added to the customer's subject; forward prefixes are not reply prefixes.",
     O["mr30"], frm=ONO, attr="gmail-ja", prefix="Fwd: ", trim=(5, 7), own="""
山田 太郎 様

ミナト家電株式会社 お客様相談室の大野でございます。
MR-30 は壁から 10cm 以上離して設置してください。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("31-subject-tensou-prefix", ["subject-changed"],
     "転送: was added to the Shift_JIS subject (the reply re-encodes it in UTF-8).",
     O["warranty"], frm=ONO, attr="gmail-ja", prefix="", subject="転送: 保証期間の延長について", trim=(5, 6), own="""
鈴木 花子 様

ミナト家電株式会社 お客様相談室の大野でございます。
延長保証はご購入後30日以内にお申し込みください。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("32-subject-ticket-tag-en", ["subject-changed"],
     "A ticket tag [#48213] was put in front of Re:; the default policy allows no tags.",
     O["filter"], frm=HANNAH, attr="tb-en", prefix="[#48213] Re: ", trim=(2, 5), own="""
Dear Ms. Wilson,

The AP-500 uses the AF-50 filter; please change it every six months.
""", sig=sig_en("Hannah Scott"))

case("33-subject-one-kanji-typo", ["subject-changed"],
     "The subject's 製氷 became 製水 (one kanji); everything else in the reply is clean.",
     O["ice"], frm=NISHI, attr="gmail-ja", subject="冷蔵庫の自動製水について", subj_cs="ISO-2022-JP", trim=(4, 6), own="""
田中 美咲 様

ミナト家電株式会社 お客様相談室の西村でございます。
製氷皿は月に一度を目安に水洗いしてください。浄水器の水も問題ございません。

よろしくお願いいたします。
""", sig=sig_ja(*NISHI))

case("34-quote-date-changed-complaint", ["quote-altered"],
     "The quoted delivery date 11月18日 became 11月19日; the complaint is answered with an apology.",
     O["washer"], frm=ONO, attr="tb-ja", charset="ISO-2022-JP", cte="7bit", subj_cs="ISO-2022-JP",
     trim=(2, 4), quote_edit=[("11月18日", "11月19日")], own="""
高橋 誠 様

ミナト家電株式会社 お客様相談室の大野でございます。
異音でご迷惑をおかけし、誠に申し訳ございません。
明日、技術担当が点検に伺います。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("35-quote-one-kanji-changed", ["quote-altered"],
     "In the quote, 関西 became 関東 (one kanji); the rest of the reply is clean.",
     O["showroom"], frm=KOBA, attr="gmail-ja", trim=(3, 6), quote_edit=[("関西", "関東")], own="""
北川 陽子 様

ミナト家電株式会社 お客様相談室の小林でございます。
大阪ショールームで洗濯乾燥機を展示しております。土曜日も営業しております。

よろしくお願いいたします。
""", sig=sig_ja(*KOBA))

case("36-quote-en-one-word-changed", ["quote-altered"],
     "In the English quote 'two replacement' became 'three replacement'.",
     O["filter"], frm=HANNAH, attr="gmail-en", trim=(2, 5), quote_edit=[("two replacement", "three replacement")], own="""
Dear Ms. Wilson,

The AP-500 uses the AF-50 filter; please change it every six months.
""", sig=sig_en("Hannah Scott"))

case("37-quote-line-added", ["quote-altered"],
     "A quoted line 急ぎではありません。 was added that the customer never wrote.",
     O["parts"], frm=KOBA, attr="gmail-ja", trim=(7, 9), quote_edit=[("二個注文したいと思います。", "二個注文したいと思います。\n急ぎではありません。")], own="""
佐藤 健太 様

ミナト家電株式会社 お客様相談室の小林でございます。
DC-15 は CL-10 にも取り付けていただけます。

よろしくお願いいたします。
""", sig=sig_ja(*KOBA))

case("38-quote-altered-in-outlook-block", ["quote-altered"],
     "Unprefixed quote under an Outlook Original Message block: 'March 2026' became 'May 2026'.",
     O["transfer"], frm=HANNAH, attr="outlook-en", style="outlook", prefix="RE: ", eol="\r\n",
     quote_edit=[("March 2026", "May 2026")], own="""
Dear Mr. Brooks,

The warranty stays valid after a move; please send us your new address.
""", sig=sig_en("Hannah Scott"))

case("39-quote-amount-changed-gmail-html", ["quote-altered"],
     "Billing complaint answered with an apology, but the quoted amount 12,800円 became 12,000円 (plain and HTML parts).",
     O["billing"], frm=NISHI, attr="gmail-ja", html="gmail", trim=(1, 3), quote_edit=[("12,800円", "12,000円")], own="""
伊藤 翔 様

ミナト家電オンラインショップの西村でございます。
二重請求によりご迷惑をおかけし、誠に申し訳ございません。
重複分の取消手続きを本日行いました。

よろしくお願いいたします。
""", sig=sig_ja(*NISHI))

case("40-signature-missing-ja", ["signature-missing"],
     "Question answered without any signature block; the surname appears only in the opening line.",
     O["delivery"], frm=NISHI, attr="gmail-ja", subj_cs="ISO-2022-JP", charset="ISO-2022-JP", cte="7bit", trim=(3, 4), own="""
中村 真理子 様

ミナト家電株式会社 お客様相談室の西村でございます。
AP-500 の配送日は12月5日午前中で承りました。

よろしくお願いいたします。
""", sig=None)

case("41-signature-colleague-en", ["signature-missing"],
     "English reply From Hannah Scott signed by colleague James Turner.",
     O["extension"], frm=HANNAH, attr="tb-en", trim=(4, 6), own="""
Dear Ms. Hill,

You can return the kettle until December 15; a prepaid label is attached.
""", sig=sig_en("James Turner"))

case("42-ocd-other-email", ["other-customer-data"],
     "The reply names another customer's address (kaori.ishida@example.net) as where the manual was sent.",
     O["mr30"], frm=ONO, attr="gmail-ja", trim=(5, 7), own="""
山田 太郎 様

ミナト家電株式会社 お客様相談室の大野でございます。
設置の資料は kaori.ishida@example.net 宛にお送りいたしました。
MR-30 は壁から 10cm 以上離して設置してください。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("43-ocd-phone-fullwidth", ["other-customer-data"],
     "Another customer's phone (長谷川, 090-8877-6655) written in full-width digits and hyphens.",
     O["showroom"], frm=ONO, attr="gmail-ja", trim=(3, 5), own="""
北川 陽子 様

ミナト家電株式会社 お客様相談室の大野でございます。
大阪ショールームの予約は、担当から ０９０－８８７７－６６５５ にお電話いたします。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("44-ocd-phone-plus81-en", ["other-customer-data"],
     "Another customer's phone (Oliver Grant, 03-6543-2109) in +81 form.",
     O["filter"], frm=HANNAH, attr="tb-en", trim=(2, 5), own="""
Dear Ms. Wilson,

Our courier will call +81 3 6543 2109 before delivering the AF-50 filters.
""", sig=sig_en("Hannah Scott"))

case("45-ocd-phone-rehyphenated", ["other-customer-data"],
     "Another customer's phone (青木, 090-4411-2233) written with different hyphenation 0904-411-2233.",
     O["warranty"], frm=KOBA, attr="gmail-ja", trim=(5, 7), own="""
鈴木 花子 様

ミナト家電株式会社 お客様相談室の小林でございます。
延長保証の件は、0904-411-2233 の担当よりご連絡いたします。

よろしくお願いいたします。
""", sig=sig_ja(*KOBA))

case("46-ocd-customer-id", ["other-customer-data"],
     "Another customer's id C-200761 (前田) is cited as the reference for this reply.",
     O["ice"], frm=ONO, attr="gmail-ja", trim=(4, 6), own="""
田中 美咲 様

ミナト家電株式会社 お客様相談室の大野でございます。
お客様番号 C-200761 のご登録内容を確認いたしました。
製氷皿は月に一度の水洗いをお勧めします。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("47-ocd-fullname-no-space", ["other-customer-data"],
     "Another customer's full name written without a space (青木康介様) in the body.",
     O["parts"], frm=KOBA, attr="gmail-ja", trim=(7, 8), own="""
佐藤 健太 様

ミナト家電株式会社 お客様相談室の小林でございます。
同じご質問を青木康介様からもいただいておりますが、DC-15 は CL-10 にも取り付けられます。

よろしくお願いいたします。
""", sig=sig_ja(*KOBA))

case("48-ocd-greeting-wrong-surname", ["other-customer-data"],
     "Complaint reply to 伊藤 翔 greets another customer (井上 様); it does apologise.",
     O["billing"], frm=NISHI, attr="gmail-ja", trim=(1, 3), own="""
井上 様

ミナト家電オンラインショップの西村でございます。
二重請求によりご迷惑をおかけし、誠に申し訳ございません。
重複分の取消手続きを本日行いました。

よろしくお願いいたします。
""", sig=sig_ja(*NISHI))

case("49-ocd-shared-surname-other-fullname", ["other-customer-data"],
     "Reply to 田中 美咲 names the other 田中 (田中 一郎 様) by full name.",
     O["ice"], frm=ONO, attr="gmail-ja", trim=(4, 5), own="""
田中 美咲 様

ミナト家電株式会社 お客様相談室の大野でございます。
先日 田中 一郎 様にもご案内しましたとおり、製氷皿は月に一度の水洗いをお勧めします。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("50-ocd-other-customer-in-cc", ["other-customer-data"],
     "Another customer (Oliver Grant) is in Cc of the reply to Emma Wilson.",
     O["filter"], frm=HANNAH, cc=[C["Oliver Grant"]], attr="tb-en", trim=(2, 5), own="""
Dear Ms. Wilson,

The AP-500 uses the AF-50 filter; please change it every six months.
""", sig=sig_en("Hannah Scott"))

case("51-ocd-en-mr-grant", ["other-customer-data"],
     "Reply to Grace Hill mentions 'Mr. Grant' (another customer's surname with an honorific).",
     O["extension"], frm=HANNAH, attr="tb-en", trim=(4, 6), own="""
Dear Ms. Hill,

As we told Mr. Grant last week, gift returns are accepted until December 15.
A prepaid label is attached.
""", sig=sig_en("Hannah Scott"))

case("52-ocd-two-customers-in-to", ["other-customer-data"],
     "The reply is addressed To both 森田 俊介 and the actual customer 山田 太郎.",
     O["mr30"], frm=ONO, to=[C["山田 太郎"], C["森田 俊介"]], attr="gmail-ja", trim=(5, 7), own="""
山田 太郎 様

ミナト家電株式会社 お客様相談室の大野でございます。
MR-30 は壁から 10cm 以上離して設置してください。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("53-apology-missing-ja-late", ["apology-missing"],
     "Late-delivery complaint (Shift_JIS) answered with the tracking facts only, no apology phrase.",
     O["late"], frm=KOBA, attr="gmail-ja", charset="Shift_JIS", cte="8bit", subj_cs="Shift_JIS", trim=(2, 4), own="""
渡辺 由美 様

ミナト家電オンラインショップの小林でございます。
ご注文 M-55231 の炊飯器 RC-5 は本日発送いたしました。
明日12月1日の午前中にお届けの予定です。

よろしくお願いいたします。
""", sig=sig_ja(*KOBA))

case("54-apology-missing-en-patience", ["apology-missing"],
     "English complaint answered with 'Thank you for your patience' but no apology phrase.",
     O["kettle_en"], frm=JAMES, attr="gmail-en", trim=(2, 5), own="""
Dear Ms. Clarke,

Thank you for your patience. A new KT-12 was sent today and will arrive
tomorrow; the courier will collect the damaged kettle.
""", sig=sig_en("James Turner"))

case("55-apology-only-in-quote", ["apology-missing"],
     "Complaint whose own text says 申し訳ありませんが; the reply quotes it in full but the agent's own text has no apology.",
     O["rude"], frm=ONO, attr="gmail-ja", eol="\r\n", own="""
井上 さくら 様

ミナト家電株式会社 お客様相談室の大野でございます。
ご連絡ありがとうございます。
次回の訪問は別の担当者が伺うよう手配いたしました。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("56-combo-fwd-and-quote", ["subject-changed", "quote-altered"],
     "Fwd: added to the subject and the quoted 10cm-question line changed (壁 -> 床).",
     O["mr30"], frm=ONO, attr="gmail-ja", prefix="Fwd: ", trim=(5, 7), quote_edit=[("壁から", "床から")], own="""
山田 太郎 様

ミナト家電株式会社 お客様相談室の大野でございます。
MR-30 は壁から 10cm 以上離して設置してください。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("57-combo-no-sig-other-email-no-apology", ["signature-missing", "other-customer-data", "apology-missing"],
     "Complaint reply with no apology, no signature, and another customer's address (ayaka.maeda@example.com).",
     O["washer"], frm=ONO, attr="tb-ja", trim=(2, 4), own="""
高橋 誠 様

ミナト家電株式会社 お客様相談室の大野でございます。
点検の日程は ayaka.maeda@example.com 宛にもお送りしております。
明日、技術担当が伺います。
""", sig=None)

case("58-combo-en-tag-and-colleague-signature", ["subject-changed", "signature-missing"],
     "English complaint answered with an apology, but the subject gained [Case 7781] and the signature is the colleague's.",
     O["notarrived"], frm=HANNAH, attr="gmail-en", prefix="[Case 7781] Re: ", trim=(2, 5), own="""
Dear Mr. Young,

We apologise for the delay. Your rice cooker was sent this morning and will
arrive on December 1.
""", sig=sig_en("James Turner"))

case("59-combo-quote-and-apology-missing", ["quote-altered", "apology-missing"],
     "Kettle complaint: quoted 一週間 became 二週間 and the reply does not apologise.",
     O["kettle_ja"], frm=NISHI, attr="gmail-ja", trim=(3, 5), quote_edit=[("一週間", "二週間")], own="""
松本 直樹 様

ミナト家電株式会社 お客様相談室の西村でございます。
新品の KT-12 を本日発送いたしました。

よろしくお願いいたします。
""", sig=sig_ja(*NISHI))

case("60-combo-subject-typo-and-ocd-phone", ["subject-changed", "other-customer-data"],
     "English question: subject 'Warranty after moving home' (one word changed) and another customer's phone without hyphens (0801234...).",
     O["transfer"], frm=HANNAH, attr="tb-en", subject="Warranty after moving home", trim=(2, 5), own="""
Dear Mr. Brooks,

The warranty stays valid after a move. Our engineer on 09012345678 can
check the washer after the move if you like.
""", sig=sig_en("Hannah Scott"))


# ===================================================== second batch: harder wire shapes
O["fan"] = orig("fan", C["小川 大輔"], "扇風機から焦げたにおいがします", """
ミナト家電 お客様相談室 御中

先月購入した扇風機「SF-3」から、昨夜焦げたにおいがしました。
首振りの部分が熱くなっていて、とても危険だと思います。
小さい子どもがいるので本当に怖かったです。
どうなっているのか説明してください。すぐに返金してください。

小川 大輔
""", when=(2026, 11, 26, "木", "Thu", 7, 30), html="only", cte="quoted-printable")

O["heater"] = orig("heater", C["木村 拓海"], "修理を依頼したのに連絡がありません", """
ミナト家電 修理受付 御中

11月16日にヒーター「HT-9」の修理を依頼した木村です。
二週間たちましたが、連絡が一切ありません。
寒い時期に暖房が使えず、大変困っています。
いつまで待てばよいのですか。至急対応してください。

木村 拓海
""", when=(2026, 11, 30, "月", "Mon", 8, 10), subj_cs="ISO-2022-JP", body_cs="ISO-2022-JP",
    cte="base64", html="alt")

O["mr30raw"] = orig("mr30raw", C["山田 太郎"], "電子レンジ MR-30 の設置について", O["mr30"]["body"],
                    when=(2026, 11, 20, "金", "Fri", 10, 12), raw_subject=True)

O["iceraw"] = orig("iceraw", C["田中 美咲"], "冷蔵庫の自動製氷について", O["ice"]["body"],
                   when=(2026, 11, 21, "土", "Sat", 9, 40), subj_cs="ISO-2022-JP", body_cs="ISO-2022-JP",
                   cte="7bit", raw_subject=True)

case("61-clean-ja-interleaved-answers", ok,
     "Clean - the agent answers inline between two quoted lines (each still a passage of the original); signature at the bottom.",
     O["mr30"], frm=ONO, sig=None, own="", plain_override="""
山田 太郎 様

ミナト家電株式会社 お客様相談室の大野でございます。
ご質問に順にお答えいたします。

{attribution}

> 壁からどのくらい離して設置すればよいでしょうか。

左右と背面を 10cm 以上離してください。

> また、電子レンジの上に物を置いても問題ないでしょうか。

上面には物を置かないでください。

よろしくお願いいたします。

--
大野 里美
ミナト家電株式会社 お客様相談室
""")

case("62-clean-raw-utf8-subject-original", ok,
     "Clean - the original's Subject is raw 8-bit UTF-8 (RFC 6532 client); the reply's Re: subject is encoded.",
     O["mr30raw"], frm=ONO, attr="gmail-ja", trim=(5, 7), own="""
山田 太郎 様

ミナト家電株式会社 お客様相談室の大野でございます。
MR-30 は壁から 10cm 以上離し、上には物を置かないでください。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("63-clean-reply-prefix-without-space", ok,
     "Clean - reply prefix written without a space (Re:冷蔵庫…), as several Japanese mobile clients do.",
     O["ice"], frm=NISHI, attr="gmail-ja", prefix="Re:", subj_cs="ISO-2022-JP", trim=(4, 6), own="""
田中 美咲 様

ミナト家電株式会社 お客様相談室の西村でございます。
製氷皿は月に一度水洗いしてください。浄水器の水も問題ございません。

よろしくお願いいたします。
""", sig=sig_ja(*NISHI))

case("64-clean-company-named-after-surname-with-sama", ok,
     "Clean - 前田運輸様 is a carrier named after a surname; the honorific belongs to the company, not to customer 前田.",
     O["delivery"], frm=NISHI, attr="gmail-ja", trim=(3, 4), own="""
中村 真理子 様

ミナト家電株式会社 お客様相談室の西村でございます。
12月5日午前中のお届けで承りました。配送は前田運輸様に依頼しております。

よろしくお願いいたします。
""", sig=sig_ja(*NISHI))

case("65-clean-en-young-as-word", ok,
     "Clean - 'young' as an ordinary word (customer Liam Young exists); complaint answered with an apology.",
     O["tech_en"], frm=JAMES, attr="tb-en", trim=(2, 5), own="""
Dear Ms. Martin,

I am sorry for your experience. The technician was a young member of our
team and we have spoken with him. A senior engineer will call you tomorrow.
""", sig=sig_en("James Turner"))

case("66-clean-ja-sv-prefix-dash-space-signature", ok,
     "Clean - SV: reply prefix; English question; signature after the standard '-- ' delimiter.",
     O["extension"], frm=HANNAH, attr="gmail-en", prefix="SV: ", trim=(4, 6), own="""
Dear Ms. Hill,

Gift returns are accepted until December 15; a prepaid label is attached.
""", sig="-- \nHannah Scott\nCustomer Care, Minato Appliances")

case("67-ocd-surname-fullwidth-space-sama", ["other-customer-data"],
     "Another customer's surname + 様 right after a time word (先日青木　様): a preceding kanji must not hide the name.",
     O["showroom"], frm=ONO, attr="gmail-ja", trim=(3, 5), own="""
北川 陽子 様

ミナト家電株式会社 お客様相談室の大野でございます。
大阪ショールームについては、先日青木　様にお送りした案内と同じ内容となります。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("68-ocd-phone-parenthesised-area-code", ["other-customer-data"],
     "Another customer's phone (森田, 03-5678-1122) in the Japanese 03(5678)1122 form.",
     O["warranty"], frm=KOBA, attr="gmail-ja", trim=(5, 7), own="""
鈴木 花子 様

ミナト家電株式会社 お客様相談室の小林でございます。
延長保証の件は、担当より 03(5678)1122 からお電話いたします。

よろしくお願いいたします。
""", sig=sig_ja(*KOBA))

case("69-ocd-en-ms-without-dot", ["other-customer-data"],
     "Reply to Emma Wilson mentions 'Ms Clarke' (another customer, honorific without a dot).",
     O["filter"], frm=HANNAH, attr="tb-en", trim=(2, 5), own="""
Dear Ms. Wilson,

The AP-500 uses the AF-50 filter, the same one we sent to Ms Clarke last week.
""", sig=sig_en("Hannah Scott"))

case("70-subject-re-fw-en", ["subject-changed"],
     "Outlook 'RE: FW:' - the reply prefix is fine, the forward prefix FW: is a change.",
     O["transfer"], frm=HANNAH, attr="outlook-en", style="outlook", prefix="RE: FW: ", eol="\r\n", own="""
Dear Mr. Brooks,

The warranty stays valid after a move; please send us your new address.
""", sig=sig_en("Hannah Scott"))

case("71-subject-ja-bracket-tag", ["subject-changed"],
     "A company tag 【ミナト家電】 was put in front of the subject; the default policy allows no tags.",
     O["ice"], frm=ONO, attr="gmail-ja", prefix="", subject="【ミナト家電】Re: 冷蔵庫の自動製氷について", trim=(4, 6), own="""
田中 美咲 様

ミナト家電株式会社 お客様相談室の大野でございます。
製氷皿は月に一度水洗いしてください。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("72-apology-missing-html-only-complaint", ["apology-missing"],
     "Safety complaint sent as HTML only (no text/plain part), answered without any apology.",
     O["fan"], frm=ONO, attr="gmail-ja", trim=(2, 4), own="""
小川 大輔 様

ミナト家電株式会社 お客様相談室の大野でございます。
SF-3 はただちに使用を中止し、コンセントを抜いてください。
明日、回収に伺います。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("73-clean-complaint-multipart-iso2022jp-base64", ok,
     "Clean - no-contact complaint (multipart, ISO-2022-JP base64) answered with 深くお詫びいたします.",
     O["heater"], frm=KOBA, attr="tb-ja", trim=(1, 3), own="""
木村 拓海 様

ミナト家電修理受付の小林でございます。
ご連絡が遅れ、深くお詫びいたします。
明日12月1日の午前中に修理担当が伺います。

よろしくお願いいたします。
""", sig=sig_ja(*KOBA))

case("74-apology-missing-multipart-iso2022jp-complaint", ["apology-missing"],
     "The same no-contact complaint (multipart, ISO-2022-JP base64) answered with the visit date only.",
     O["heater"], frm=KOBA, attr="tb-ja", trim=(1, 3), own="""
木村 拓海 様

ミナト家電修理受付の小林でございます。
明日12月1日の午前中に修理担当が伺います。

よろしくお願いいたします。
""", sig=sig_ja(*KOBA))

case("75-quote-en-word-removed", ["quote-altered"],
     "Apologetic reply, but 'not' was removed from the quoted 'it still has not arrived'.",
     O["notarrived"], frm=HANNAH, attr="tb-en", trim=(2, 5), quote_edit=[("still has not", "still has")], own="""
Dear Mr. Young,

We apologise for the delay; your rice cooker was sent this morning.
""", sig=sig_en("Hannah Scott"))

case("76-clean-raw-iso2022jp-subject-original", ok,
     "Clean - the original's Subject is raw ISO-2022-JP (escape sequences, no encoded-word), as old Japanese mailers send it.",
     O["iceraw"], frm=ONO, attr="gmail-ja", trim=(4, 6), own="""
田中 美咲 様

ミナト家電株式会社 お客様相談室の大野でございます。
製氷皿は月に一度水洗いしてください。浄水器の水も問題ございません。

よろしくお願いいたします。
""", sig=sig_ja(*ONO))

case("77-quote-kana-changed", ["quote-altered"],
     "The quoted question 取り付けられますか became 取り付けられませんか (kana inserted).",
     O["parts"], frm=KOBA, attr="tb-ja", trim=(7, 8), quote_edit=[("取り付けられますか", "取り付けられませんか")], own="""
佐藤 健太 様

ミナト家電株式会社 お客様相談室の小林でございます。
DC-15 は CL-10 にも取り付けていただけます。

よろしくお願いいたします。
""", sig=sig_ja(*KOBA))

case("78-clean-ja-fullwidth-latin-signature", ok,
     "Clean - Hannah Scott answers in Japanese and signs her name in full-width Latin letters (width ignored).",
     O["mr30"], frm=HANNAH, attr="gmail-ja", trim=(5, 7), own="""
山田 太郎 様

ミナト家電株式会社 お客様相談室でございます。
MR-30 は壁から 10cm 以上離し、上には物を置かないでください。

よろしくお願いいたします。
""", sig="--\nＨａｎｎａｈ　Ｓｃｏｔｔ\nミナト家電株式会社 お客様相談室")

# ----------------------------------------------------------------------------- write
# Known engine gaps reported to the lead: expected to mismatch until fixed (see test_reply_corpus.py).
# (67 — a time word before 青木様 — and 75 — a word deleted at a quoted line break — are fixed.)
TODO: set[str] = set()


def main() -> None:
    for p in HERE.iterdir():
        if p.is_dir() and (p / "expect.yaml").exists():
            shutil.rmtree(p)
    with open(HERE / "customers.csv", "w", encoding="utf-8", newline="") as f:
        f.write("name,email,phone,customer_id\n")
        for row in CUSTOMERS:
            f.write(",".join(row) + "\n")
    for name, why, rules, o, kw in CASES:
        d = HERE / name
        d.mkdir(exist_ok=True)
        (d / "original.eml").write_bytes(write_original(o))
        (d / "reply.eml").write_bytes(reply(o, **kw))
        action = "reject" if rules else "accept"
        todo = "todo: true\n" if name in TODO else ""
        (d / "expect.yaml").write_text(
            f"action: {action}\nrules: [{', '.join(rules)}]\nwhy: {why}\n{todo}", encoding="utf-8")
    print(f"{len(CASES)} cases written to {HERE}")


if __name__ == "__main__":
    main()
