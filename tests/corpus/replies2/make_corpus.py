#!/usr/bin/env python3
"""Generate the second, more adversarial reply corpus (run once; the output is committed).

    python3 tests/corpus/replies2/make_corpus.py

Same format as shared/examples/replies and tests/corpus/replies: customers.csv (the first
corpus's list plus a few additions) and one folder per case (original.eml, reply.eml,
expect.yaml). The wire-level helpers (encoded words, ISO-2022-JP/CP932 bodies, MIME
building) are imported from the first corpus's generator; this one probes other ground:
originals that are themselves replies (two quote levels), Outlook on the web HTML-only
replies (divRplyFwdMsg + <hr>), Apple Mail ja and wrapped Gmail en attributions,
full-width ＞ quotes, bottom-posting and inline answers, quoted customer signatures, long
originals quoted in pieces, whitespace/NBSP/tab and client link decorations in quotes,
width-only subject changes, suffix/bracket subject additions, apology spellings, and
other-customer data in less obvious places (HTML part only, lower-case id, +81 spaced
phone, <address>, Mrs., casual さん) next to words that only look like names.
Standard library only; deterministic.
"""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("corpus1_make", HERE.parent / "replies" / "make_corpus.py")
c1 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(c1)  # type: ignore[union-attr]

build, hdr_text, hdr_addr, msgid, esc = c1.build, c1.hdr_text, c1.hdr_addr, c1.msgid, c1.esc
encode_text = c1.encode_text

# ----------------------------------------------------------------------------- people
ADDED = [
    # shares the surname 大野 with the agent 大野 里美
    ("大野 健一", "kenichi.ono@example.jp", "090-3141-5926", "C-203878"),
    # a second address of Daniel Brooks (same customer id: one person)
    ("Daniel Brooks", "d.brooks@brooks-design.example.com", "080-8642-9753", "C-203490"),
    # both names are ordinary English words
    ("Rose Baker", "rose.baker@example.com", "070-2718-2818", "C-203901"),
]
BASE_CSV = (HERE.parent / "replies" / "customers.csv").read_text(encoding="utf-8").strip("\n").split("\n")
C = {row.split(",")[0]: (row.split(",")[0], row.split(",")[1]) for row in BASE_CSV[1:]}
C.update({n: (n, e) for n, e, _p, _i in ADDED[:1] + ADDED[2:]})
BROOKS_WORK = ("Daniel Brooks", ADDED[1][1])

SUPPORT = ("ミナト家電 お客様相談室", "support@minato.example.jp")
SUPPORT_EN = ("Minato Appliances Customer Care", "support@minato.example.jp")
ONO = ("大野 里美", "ono@minato.example.jp")
NISHI = ("西村 光", "nishimura@minato.example.jp")
KOBA = ("小林 健", "kobayashi@minato.example.jp")
HANNAH = ("Hannah Scott", "hannah.scott@minato.example.jp")
JAMES = ("James Turner", "james.turner@minato.example.jp")


def sig_ja(name: str, email: str) -> str:
    return f"--\n{name}\nミナト家電株式会社 お客様相談室\nTEL 0120-987-650 / {email}"


def sig_en(name: str) -> str:
    return f"Kind regards,\n{name}\nCustomer Care, Minato Appliances\nTel. +81-45-555-0123"


MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


# ----------------------------------------------------------------------------- originals
def orig(key, frm, subject, body, *, when, subj_cs="UTF-8", body_cs="UTF-8", cte="8bit", eol="\n",
         to=SUPPORT, html=None):
    """html: None, or a complete HTML document sent as the only part (Outlook/webmail style)."""
    o = dict(key=key, subject=subject, body=body.strip("\n"), when=when, subj_cs=subj_cs,
             body_cs=body_cs, cte=cte, eol=eol, to=to, html=html)
    o["from"] = frm
    y, mo, da, _wja, wen, hh, mi = when
    o["msgid"] = f"<{y}{mo:02d}{da:02d}{hh:02d}{mi:02d}00.{msgid('r2', key)}@mail.{frm[1].split('@')[1]}>"
    return o


def write_original(o: dict) -> bytes:
    y, mo, da, _wja, wen, hh, mi = o["when"]
    headers = [
        ("Message-ID", o["msgid"]),
        ("Date", f"{wen}, {da:02d} {MON[mo - 1]} {y} {hh:02d}:{mi:02d}:00 +0900"),
        ("From", hdr_addr(o["from"], o["subj_cs"])),
        ("To", hdr_addr(o["to"], o["subj_cs"])),
        ("Subject", hdr_text(o["subject"], o["subj_cs"])),
    ]
    if o["html"]:
        return build(headers, None, charset=o["body_cs"], cte=o["cte"], eol=o["eol"],
                     html=o["html"], html_only=True)
    return build(headers, o["body"] + "\n", charset=o["body_cs"], cte=o["cte"], eol=o["eol"])


def attribution(kind: str, o: dict) -> str:
    name, email = o["from"]
    y, mo, da, wja, wen, hh, mi = o["when"]
    h12, ap = (hh % 12 or 12), ("AM" if hh < 12 else "PM")
    if kind == "gmail-ja":
        return f"{y}年{mo}月{da}日({wja}) {hh}:{mi:02d} {name} <{email}>:"
    if kind == "apple-ja":
        return f"{y}/{mo:02d}/{da:02d} {hh}:{mi:02d}、{name} <{email}>のメール:"
    if kind == "tb-ja":
        return f"{y}/{mo:02d}/{da:02d} {hh}:{mi:02d} に {name} さんは書きました:"
    if kind == "gmail-en-wrapped":   # Gmail's plain part wraps a long attribution line
        return f"On {wen}, {MON[mo - 1]} {da}, {y} at {h12}:{mi:02d} {ap} {name} <{email}>\nwrote:"
    if kind == "gmail-en":
        return f"On {wen}, {MON[mo - 1]} {da}, {y} at {h12}:{mi:02d} {ap} {name} <{email}> wrote:"
    if kind == "outlook-en":
        return (f"From: {name} <{email}>\nSent: {wen}, {MON[mo - 1]} {da}, {y} {hh}:{mi:02d}\n"
                f"To: {o['to'][1]}\nSubject: {o['subject']}")
    if kind == "outlook-ja":
        return (f"差出人: {name} <{email}>\n送信日時: {y}年{mo}月{da}日 {hh}:{mi:02d}\n"
                f"宛先: {o['to'][1]}\n件名: {o['subject']}")
    raise ValueError(kind)


def q(text: str, mark: str = "> ") -> str:
    """Quote every line with `mark` (an already quoted line gets the bare marker, as clients do)."""
    bare = mark.rstrip()
    out = []
    for ln in text.split("\n"):
        if not ln:
            out.append(bare)
        elif ln.startswith((">", "＞")):
            out.append(bare + ln)
        else:
            out.append(mark + ln)
    return "\n".join(out)


def lines(o: dict, a: int, b: int) -> str:
    return "\n".join(o["body"].split("\n")[a:b])


def hl(text: str) -> str:
    return "<br>\n".join(esc(x) for x in text.split("\n"))


def owa_html(own: str, o: dict, quote: str, lang: str = "ja") -> str:
    """Outlook on the web / new Outlook: HTML only, own text, <hr>, divRplyFwdMsg header, quote."""
    name, email = o["from"]
    y, mo, da, _wja, wen, hh, mi = o["when"]
    if lang == "ja":
        hdr = (f"<b>差出人:</b> {esc(name)} &lt;{email}&gt;<br>\n<b>送信日時:</b> {y}年{mo}月{da}日 {hh}:{mi:02d}<br>\n"
               f"<b>宛先:</b> {esc(o['to'][0])} &lt;{o['to'][1]}&gt;<br>\n<b>件名:</b> {esc(o['subject'])}")
    else:
        hdr = (f"<b>From:</b> {esc(name)} &lt;{email}&gt;<br>\n<b>Sent:</b> {wen}, {MON[mo - 1]} {da}, {y} {hh}:{mi:02d}<br>\n"
               f"<b>To:</b> {esc(o['to'][0])} &lt;{o['to'][1]}&gt;<br>\n<b>Subject:</b> {esc(o['subject'])}")
    own_html = "\n".join(f'<div style="font-family: Calibri, Arial, Helvetica, sans-serif; font-size: 12pt;">'
                         f'{esc(x) if x else "<br>"}</div>' for x in own.split("\n"))
    quote_html = "\n".join(f"<div>{esc(x) if x else '&nbsp;'}</div>" for x in quote.split("\n"))
    return ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style></head>\n'
            f'<body dir="ltr">\n{own_html}\n'
            '<div id="appendonsend"></div>\n'
            '<hr style="display:inline-block;width:98%" tabindex="-1">\n'
            '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">'
            f'{hdr}</font>\n<div>&nbsp;</div>\n</div>\n'
            f'<div class="BodyFragment"><font size="2"><span style="font-size:11pt;">\n'
            f'<div class="PlainText">{quote_html}</div>\n</span></font></div>\n</body></html>\n')


def reply(o: dict, *, frm, plain: str | None, html: str | None = None, html_only: bool = False,
          subject: str | None = None, prefix: str = "Re: ", subj_cs: str = "UTF-8", subj_mode: str = "B",
          charset: str = "UTF-8", cte: str = "quoted-printable", html_cte: str | None = None,
          eol: str = "\n", to=None, cc=None) -> bytes:
    subj = o["subject"] if subject is None else subject
    tag = plain if plain is not None else html
    mid = f"<20261130103000.{msgid('r2', o['key'], tag)}@mail.minato.example.jp>"
    tos = to if to is not None else [o["from"]]
    headers = [
        ("Message-ID", mid),
        ("Date", "Mon, 30 Nov 2026 10:30:00 +0900"),
        ("From", hdr_addr(frm, subj_cs) if frm[0] else frm[1]),
        ("To", ", ".join(hdr_addr(p, subj_cs) for p in tos)),
    ]
    if cc:
        headers.append(("Cc", ", ".join(hdr_addr(p, subj_cs) for p in cc)))
    headers += [
        ("Subject", hdr_text(subj, subj_cs, subj_mode, prefix)),
        ("In-Reply-To", o["msgid"]),
        ("References", o["msgid"]),
    ]
    body = None if plain is None else plain.strip("\n") + "\n"
    return build(headers, body, charset=charset, cte=cte, eol=eol, html=html, html_only=html_only,
                 html_cte=html_cte, boundary=f"alt2-{msgid('r2', o['key'], tag, 'b')}")


def top(own: str, sig: str, attr: str, quote: str, gap: bool = True) -> str:
    """Top-posting: own text, signature, attribution, quote."""
    return f"{own.strip()}\n\n{sig}\n\n{attr}\n{'' if not gap else chr(10)}{quote}"


CASES: list[tuple[str, list[str], str, dict, dict]] = []
TODO: dict[str, str] = {
    # engine gaps found by this corpus and not yet fixed (none open)
}


def case(name: str, rules: list[str], why: str, o: dict, **kw) -> None:
    CASES.append((name, rules, why, o, kw))


ok: list[str] = []
W = (2026, 11, 26, "木", "Thu", 15, 20)

# ============================================================================ originals
O: dict[str, dict] = {}

_EARLIER = """岡本 千尋 様

ミナト家電株式会社 お客様相談室の大野でございます。

食器洗い乾燥機「DW-60」は、幅45cm・奥行き60cmの設置スペースが必要です。
分岐水栓は別売りで、型番 BV-3 をお求めください。

よろしくお願いいたします。

--
大野 里美
ミナト家電株式会社 お客様相談室
TEL 0120-987-650 / ono@minato.example.jp

2026年11月23日(月) 21:40 岡本 千尋 <chihiro.okamoto@example.jp>:
> ミナト家電 お客様相談室 御中
>
> 食器洗い乾燥機「DW-60」の購入を考えています。
> 設置に必要なスペースと、別に買う必要がある部品を教えてください。
>
> 岡本 千尋"""

O["dw"] = orig("dw", C["岡本 千尋"], "Re: 食器洗い乾燥機の設置について", f"""
大野様

ご回答ありがとうございました。岡本です。

分岐水栓 BV-3 は、賃貸住宅の台所の混合水栓にも取り付けられますか。
管理会社の許可が必要かどうかも教えてください。

岡本 千尋

2026年11月24日(火) 11:05 大野 里美 <ono@minato.example.jp>:
{q(_EARLIER)}
""", when=(2026, 11, 25, "水", "Wed", 8, 30))

_EARLIER2 = """長谷川 拓也 様

ミナト家電株式会社 お客様相談室の西村でございます。
このたびはご不便をおかけし、誠に申し訳ございません。

修理の日程は、二、三日中に担当の者からご連絡いたします。

--
西村 光
ミナト家電株式会社 お客様相談室"""

O["angry"] = orig("angry", C["長谷川 拓也"], "Re: 洗濯乾燥機の修理について", f"""
前回のメールから一週間たちましたが、修理の日程についてまだ何の連絡もありません。
「二、三日中にご連絡します」と書いてありましたよね。
洗濯機が使えず、毎日コインランドリーに通っています。
何度も同じことを書かせないでください。いつになったら来てもらえるのですか。

長谷川 拓也

2026年11月18日(水) 16:30 西村 光 <nishimura@minato.example.jp>:
{q(_EARLIER2)}
""", when=(2026, 11, 25, "水", "Wed", 21, 5), subj_cs="ISO-2022-JP", body_cs="ISO-2022-JP", cte="7bit")

O["toaster"] = orig("toaster", C["村上 奈々"], "オーブントースターの予熱について", """
ミナト家電 お客様相談室 御中

オーブントースター「OT-15」を使っています。村上です。
パンを焼くとき、予熱は必要でしょうか。
取扱説明書には「予熱不要」とありますが、焼きムラが気になります。
よい焼き方があれば教えてください。

村上 奈々
""", when=(2026, 11, 24, "火", "Tue", 13, 45))

O["humid"] = orig("humid", C["前田 彩花"], "加湿器のお手入れ方法", """
ミナト家電 お客様相談室 御中

お忙しいところ申し訳ありませんが、加湿器「HM-8」のお手入れについて教えてください。
タンクの内側に白い粉のようなものが付くのですが、これは何でしょうか。
クエン酸で洗っても大丈夫ですか。

前田 彩花
""", when=(2026, 11, 20, "金", "Fri", 10, 12), cte="quoted-printable")

O["descale"] = orig("descale", C["Sophie Clarke"], "Descaling the KT-12 kettle", """
Hello,

Sorry to bother you with a small question. The inside of my KT-12 kettle has a
white layer at the bottom, probably from our hard water. Can I use citric acid
to descale it, and how often should I do it?

Thank you,
Sophie Clarke
""", when=(2026, 11, 20, "金", "Fri", 10, 12), to=SUPPORT_EN)

O["filter"] = orig("filter", C["井上 さくら"], "エアコンのフィルター掃除について", """
ミナト家電 お客様相談室 御中

エアコン「AC-2210」のフィルター掃除について質問です。
自動お掃除機能があるのですが、それでも手で掃除する必要はありますか。
ダストボックスのごみは、どのくらいの頻度で捨てればよいでしょうか。
フィルターを水洗いした後は、乾かさずに取り付けてもかまいませんか。

井上 さくら
""", when=(2026, 11, 22, "日", "Sun", 20, 15), subj_cs="ISO-2022-JP", body_cs="ISO-2022-JP", cte="7bit")

O["hdd"] = orig("hdd", C["小川 大輔"], "テレビの外付けHDDについて", """
ミナト家電 お客様相談室 御中

液晶テレビ「TV-55X」で録画をするために、外付けHDDを買おうと思っています。
対応している容量の上限はありますか。
また、今使っている古いテレビで録画した番組は、新しいテレビで見られますか。

小川 大輔
""", when=(2026, 11, 23, "月", "Mon", 19, 2))

O["fridge"] = orig("fridge", C["藤田 浩二"], "冷蔵庫が全く冷えません", """
ミナト家電 お客様相談室 御中

10月に購入した冷蔵庫「NR-450」が、先週から全く冷えなくなりました。
中の食品はすべて捨てることになりました。
購入してまだ二か月なのに、ひどすぎます。
修理受付に電話しても、一時間待たされたうえに切れてしまいました。
早急に対応してください。

藤田 浩二
""", when=(2026, 11, 26, "木", "Thu", 8, 40), subj_cs="ISO-2022-JP", body_cs="ISO-2022-JP", cte="7bit")

O["brooks"] = orig("brooks", C["Daniel Brooks"], "Questions about the DW-60 dishwasher", """
Hello,

I am about to buy a DW-60 dishwasher and have three questions.

1. Does it need a separate water tap, or can it share the one under the sink?
2. How long is the warranty, and does it cover two years of parts?
3. Can it be installed by my own plumber without voiding the warranty?

Thanks in advance,
Daniel Brooks
""", when=(2026, 11, 21, "土", "Sat", 9, 50), to=SUPPORT_EN)

O["sigq"] = orig("sigq", C["松本 直樹"], "業務用ポットの追加購入について", """
ミナト家電 お客様相談室 御中

いつもお世話になっております。
事務所で使っている電気ポット「EP-22」を、あと三台追加で購入したいと考えています。
法人向けの割引や、請求書払いには対応していますか。

よろしくお願いいたします。

━━━━━━━━━━━━━━━━
松本 直樹
松本設計事務所
〒390-0811 長野県松本市中央2-1-5
TEL 0263-33-4455
━━━━━━━━━━━━━━━━
""", when=(2026, 11, 24, "火", "Tue", 9, 15), subj_cs="Shift_JIS", body_cs="Shift_JIS", cte="8bit", eol="\r\n")

_settings = "\n".join(f"  {i:02d}. {k} = {v}" for i, (k, v) in enumerate([
    ("mode", "eco"), ("target_temp", "24"), ("fan", "auto"), ("swing", "vertical"), ("timer_on", "06:30"),
    ("timer_off", "08:00"), ("night_mode", "on"), ("filter_alert", "on"), ("child_lock", "off"),
    ("display", "dim"), ("sound", "off"), ("humidity_target", "50"), ("wifi_region", "JP"),
    ("cloud_sync", "on"), ("firmware_channel", "stable"), ("schedule_profile", "weekday"),
    ("away_temp", "18"), ("boost_minutes", "20"), ("quiet_hours", "22-07"), ("energy_report", "weekly"),
    ("voice_assistant", "none"), ("led_ring", "off"), ("auto_restart", "on"), ("defrost", "auto"),
    ("outdoor_sensor", "on"), ("room_sensor", "remote"), ("sensor_offset", "-0.5"),
    ("geo_fence", "off"), ("vacation", "off"), ("api_access", "local"),
], start=1))
O["long"] = orig("long", C["Chloe Martin"], "Home automation setup for the AC-2210", f"""
Hello,

I am connecting my Minato AC-2210 air conditioner to my home automation system
and would like to check a few things before I change anything. Below is the
full list of settings the app shows at the moment, then my questions.

Current settings (copied from the app, Settings > Advanced > Export):

{_settings}

Network details:

  SSID: chloe-home-5g
  Band: 5 GHz
  Router: ZX-9000
  IP: 192.168.10.44 (reserved)
  Firmware of the unit: 3.2.17

Background:

We moved into this flat in September and the unit was already installed by the
previous tenant. The app was set up again from scratch by me. Everything works
from the app itself, both at home and away, so the cloud side seems fine.

The automation system I use talks to devices on the local network only. It has
a plug-in for Minato units that needs "api_access = local" (which I already set)
and a local key that the plug-in asks for during pairing.

Questions:

1. Where do I find the local key? The plug-in says it is printed on a label
   inside the front panel, but I only see a serial number label there.
2. If I set firmware_channel to beta, will the local API change?
3. Does night_mode override the schedule_profile, or the other way round?
4. Is the sensor_offset of -0.5 applied to the room sensor or the outdoor one?
5. Can I keep cloud_sync on while using the local API, or must it be off?

Things I have already tried:

- Restarting the unit from the breaker (waited 5 minutes).
- Re-pairing the app.
- Setting api_access to local and back to cloud.
- Reading the manual, pages 40 to 52.

Notes on the house:

The unit is in the living room, about 8 metres from the router, with one wall
in between. Signal strength in the app shows three bars out of four. There is a
second, older unit (AC-1800) in the bedroom that is not connected to anything.

I do not need an answer today; any time this week is fine.

Many thanks,
Chloe Martin
Flat 3, 12 Harbour Road
""", when=(2026, 11, 22, "日", "Sun", 16, 0), to=SUPPORT_EN)

O["tabs"] = orig("tabs", C["森田 俊介"], "保証書の製造番号について", """
ミナト家電 お客様相談室 御中

森田です。購入した商品の登録内容について確認させてください。

型番\tAC-2210
購入日\t2026年10月3日
購入店\tミナト家電オンラインショップ
製造番号\tSN 4471-0098

保証書に製造番号の記入がありませんが、このままで保証は受けられますか。

森田 俊介
""", when=(2026, 11, 23, "月", "Mon", 11, 11))

O["url"] = orig("url", C["Grace Hill"], "Descaling page missing from the KT-12 manual", """
Hello,

I looked at https://minato.example.jp/support/kt12/manual.pdf but the page about
descaling seems to be missing from it (the PDF jumps from page 11 to page 14).
Could you send me the missing pages? Please use grace.hill@example.com, not the
address on my order.

Regards,
Grace Hill
""", when=(2026, 11, 24, "火", "Tue", 7, 30), to=SUPPORT_EN)

O["hwk"] = orig("hwk", C["木村 拓海"], "ﾄｰｽﾀｰのﾀｲﾏｰについて", """
ミナト家電 お客様相談室 御中

木村です。ｵｰﾌﾞﾝﾄｰｽﾀｰ「OT-15」のﾀｲﾏｰについて質問です。
ﾀｲﾏｰは最長で何分まで設定できますか。
ｸﾞﾗﾀﾝを焼くときのｵｽｽﾒの時間も教えてください。

木村 拓海
""", when=(2026, 11, 24, "火", "Tue", 22, 40))

O["fwa"] = orig("fwa", C["青木 康介"], "ＡＣ－２２１０のリモコン設定", """
ミナト家電 お客様相談室 御中

青木です。エアコン「AC-2210」のリモコンで、温度表示を華氏から摂氏に戻す方法を教えてください。
子どもがいろいろ押してしまい、表示が変わってしまいました。

青木 康介
""", when=(2026, 11, 25, "水", "Wed", 10, 0), subj_cs="ISO-2022-JP", body_cs="ISO-2022-JP", cte="7bit")

O["fwd"] = orig("fwd", C["石田 香織"], "Fwd: ご注文確認（M-60123）", """
ミナト家電 オンラインショップ御中

石田です。下の注文の配送先を、実家の住所に変更できますか。
変更後の住所は、明日あらためてお知らせします。

石田 香織

---------- Forwarded message ---------
From: ミナト家電オンラインショップ <shop@minato.example.jp>
Date: 2026年11月24日(火) 9:00
Subject: ご注文確認（M-60123）
To: <kaori.ishida@example.net>

ご注文ありがとうございます。
ご注文番号: M-60123
商品: 空気清浄機 AP-500 × 1
お届け予定: 12月3日
""", when=(2026, 11, 24, "火", "Tue", 18, 10))

O["spaces"] = orig("spaces", C["Emma Wilson"], "Warranty  after moving house ", """
Hi,

I bought a Minato WD-80 washer in March 2026 and I am moving to a new flat
next month. Does the warranty stay valid if the washer is moved by a removal
company?

Best,
Emma Wilson
""", when=(2026, 11, 21, "土", "Sat", 11, 30), to=SUPPORT_EN)

O["rose"] = orig("rose", C["Rose Baker"], "Refund still not received", """
Hello,

I returned the HD-7 hair dryer on November 2 and was promised a refund within
five business days. It is now November 26 and I still have not received it.
I have called twice and was told "it is being processed" both times.
This is not acceptable. Please refund my money this week.

Rose Baker
""", when=(2026, 11, 26, "木", "Thu", 9, 0), to=SUPPORT_EN)

O["blunt"] = orig("blunt", C["Liam Young"], "Third missed delivery", """
Hi,

Sorry to be blunt, but this is the third time your courier has not turned up.
I took a day off work for the delivery of my KT-12 kettle on November 25 and
nobody came, again. Nobody called either. I am fed up with this.

Liam Young
""", when=(2026, 11, 26, "木", "Thu", 19, 30), to=SUPPORT_EN)

O["tv"] = orig("tv", C["大野 健一"], "テレビの画面が暗い", """
ミナト家電 お客様相談室 御中

大野と申します。液晶テレビ「TV-55X」の画面が、昼間は少し暗く感じます。
明るさを上げる設定はどこにありますか。

大野 健一
""", when=(2026, 11, 25, "水", "Wed", 12, 0))

O["owa_en"] = orig("owa_en", C["Daniel Brooks"], "Scratched door on my new dishwasher", """
Hello,

My DW-60 dishwasher was delivered yesterday and the front door has a long
scratch across it. The delivery crew left before I could check it. I paid for
a new machine, not a damaged one. I want the door replaced.

Daniel Brooks
""", when=(2026, 11, 27, "金", "Fri", 8, 0), to=SUPPORT_EN)


# ============================================================================ clean cases
def ja_own(greet: str, intro: str, *body: str) -> str:
    return "\n".join([f"{greet} 様", "", intro, "", *body, "", "よろしくお願いいたします。"])


A = lambda kind, key: attribution(kind, O[key])  # noqa: E731

_dw_own = ja_own("岡本 千尋", "ミナト家電株式会社 お客様相談室の大野でございます。",
                 "BV-3 は、一般的な台所用の混合水栓であれば賃貸住宅でも取り付けられます。",
                 "取り付けの際は、念のため管理会社に一言ご相談ください。")
case("01-clean-ja-original-is-reply-three-levels", ok,
     "Clean - the customer's mail is itself a reply quoting our earlier answer (which quotes her first mail); the reply quotes all of it (>, >>, >>>) under Re: Re:.",
     O["dw"], frm=ONO, prefix="Re: ",
     plain=top(_dw_own, sig_ja(*ONO), A("gmail-ja", "dw"), q(O["dw"]["body"])))

_ang_own = ja_own("長谷川 拓也", "ミナト家電株式会社 お客様相談室の西村でございます。",
                  "ご連絡が遅れ、重ねてご迷惑をおかけしておりますこと、心よりお詫び申し上げます。",
                  "修理は12月2日（水）午前に伺います。担当者から前日にお電話いたします。")
case("02-clean-ja-complaint-is-reply-apology", ok,
     "Clean - angry follow-up (a reply quoting our earlier apology) answered with a new apology of our own; both quote levels quoted back, ISO-2022-JP.",
     O["angry"], frm=NISHI, prefix="", subj_cs="ISO-2022-JP", charset="ISO-2022-JP", cte="7bit",
     plain=top(_ang_own, sig_ja(*NISHI), A("gmail-ja", "angry"), q(O["angry"]["body"])))

_toast_own = ja_own("村上 奈々", "ミナト家電株式会社 お客様相談室の小林でございます。",
                    "OT-15 は予熱なしでもお使いいただけますが、焼きムラが気になる場合は",
                    "空焼きを1分ほどしてからパンを入れると、均一に焼き上がります。")
case("03-clean-ja-owa-html-only", ok,
     "Clean - Outlook on the web reply: text/html only, own text, <hr>, divRplyFwdMsg header block (差出人/送信日時/宛先/件名), the original as <div> lines.",
     O["toaster"], frm=KOBA, prefix="RE: ", plain=None, html_only=True,
     html=owa_html(_toast_own + "\n\n" + sig_ja(*KOBA), O["toaster"], O["toaster"]["body"]))

_hum_own = ja_own("前田 彩花", "ミナト家電株式会社 お客様相談室の西村でございます。",
                  "白い粉は、水道水に含まれるミネラル分が固まったものです。",
                  "クエン酸での洗浄は問題ございません。月に一度を目安にお手入れください。")
case("04-clean-ja-apple-mail-attribution-polite-question", ok,
     "Clean - Apple Mail ja attribution 「2026/11/20 10:12、前田 彩花 <…>のメール:」; the question's own 申し訳ありませんが is politeness, not a complaint, so no apology is needed.",
     O["humid"], frm=NISHI,
     plain=top(_hum_own, sig_ja(*NISHI), A("apple-ja", "humid"), q(O["humid"]["body"])))

_desc_own = """Dear Ms. Clarke,

Thank you for contacting Minato Appliances.

Yes, citric acid is the best way to descale the KT-12. Dissolve one tablespoon
in a full kettle of water, boil it, leave it for an hour, then rinse twice.
With hard water, once a month is enough."""
case("05-clean-en-gmail-attribution-wrapped-sorry-to-bother", ok,
     "Clean - Gmail en attribution wrapped over two lines (\"<addr>\" / \"wrote:\"); the customer's 'Sorry to bother you' question needs no apology.",
     O["descale"], frm=HANNAH,
     plain=top(_desc_own, sig_en(HANNAH[0]), A("gmail-en-wrapped", "descale"), q(O["descale"]["body"])))

_fil_own = ja_own("井上 さくら", "ミナト家電株式会社 お客様相談室の大野でございます。",
                  "自動お掃除機能があっても、半年に一度はフィルターを手で洗ってください。",
                  "ダストボックスは月に一度を目安に空にしてください。",
                  "水洗い後は、日陰で十分に乾かしてから取り付けてください。")
case("06-clean-ja-fullwidth-quote-marker", ok,
     "Clean - the quote is marked with full-width ＞ (Japanese clients); Thunderbird-ja attribution; ISO-2022-JP reply.",
     O["filter"], frm=ONO, subj_cs="ISO-2022-JP", charset="ISO-2022-JP", cte="7bit",
     plain=f"{_fil_own}\n\n{sig_ja(*ONO)}\n\n{A('tb-ja', 'filter')}\n{q(O['filter']['body'], '＞')}")

_hdd_own = ja_own("小川 大輔", "ミナト家電株式会社 お客様相談室の小林でございます。",
                  "TV-55X は、最大 8TB までの外付けHDDに対応しております。",
                  "なお、他のテレビで録画した番組は、著作権保護のため再生できません。")
case("07-clean-ja-bottom-posted", ok,
     "Clean - bottom-posting: attribution and the whole quote first, the agent's answer and signature below it.",
     O["hdd"], frm=KOBA, plain=f"{A('gmail-ja', 'hdd')}\n\n{q(O['hdd']['body'])}\n\n{_hdd_own}\n\n{sig_ja(*KOBA)}")

_fr_apo = ja_own("藤田 浩二", "ミナト家電株式会社 お客様相談室の大野でございます。",
                 "このたびは、お買い上げいただいた冷蔵庫が故障し、大変ご迷惑をおかけしております。",
                 "修理受付のお電話もつながらず、誠に申し訳ございません。",
                 "明日12月1日に技術担当が伺い、修理または新品への交換をいたします。")
case("08-clean-ja-complaint-bottom-posted-apology", ok,
     "Clean - complaint answered bottom-posted: the quote first, then the apology and the fix; the own text is below the quote.",
     O["fridge"], frm=ONO, plain=f"{A('gmail-ja', 'fridge')}\n\n{q(O['fridge']['body'])}\n\n{_fr_apo}\n\n{sig_ja(*ONO)}")

_br = O["brooks"]["body"].split("\n")
_inline = f"""Dear Mr. Brooks,

Thank you for your interest in the DW-60.

{A('gmail-en', 'brooks')}
> 1. Does it need a separate water tap, or can it share the one under the sink?

It can share the tap under the sink with a branch valve (BV-3, sold separately).

> 2. How long is the warranty, and does it cover two years of parts?

The warranty is two years and covers parts and labour.

> 3. Can it be installed by my own plumber without voiding the warranty?

Yes, as long as the installation follows the manual.

{sig_en(HANNAH[0])}"""
case("09-clean-en-inline-answers", ok,
     "Clean - inline answers between single-line quote blocks, signature at the very end; every quoted line is the customer's.",
     O["brooks"], frm=HANNAH, plain=_inline)

_sq_own = ja_own("松本 直樹", "ミナト家電株式会社 お客様相談室の西村でございます。",
                 "法人のお客様には、5台以上のご注文で5%の割引をご用意しております。",
                 "3台のご注文の場合は割引の対象外ですが、請求書払いには対応しております。")
case("10-clean-ja-quotes-customer-signature", ok,
     "Clean - the quote includes the customer's own framed signature with his company, address and phone (his own data, quoted).",
     O["sigq"], frm=NISHI, prefix="RE: ", charset="Shift_JIS", subj_cs="Shift_JIS", cte="8bit", eol="\r\n",
     plain=top(_sq_own, sig_ja(*NISHI), A("gmail-ja", "sigq"), q(O["sigq"]["body"])))

_lb = O["long"]["body"].split("\n")
_i1 = next(i for i, x in enumerate(_lb) if x.startswith("1. Where"))
_i3 = next(i for i, x in enumerate(_lb) if x.startswith("3. Does"))
_i5 = next(i for i, x in enumerate(_lb) if x.startswith("5. Can"))
_is = next(i for i, x in enumerate(_lb) if "sensor_offset" in x)
_long = lambda chunk1: f"""Dear Ms. Martin,

Thank you for the detailed list, it made this much easier.

{A('gmail-en', 'long')}
{q(chunk1)}

The local key is shown in the app under Settings > Advanced > Local access,
not on a label; the label text in the plug-in is out of date.

> [...]
{q(chr(10).join(_lb[_i3:_i3 + 1]))}

The schedule profile wins; night mode only changes the fan and display.

> [...]
{q(chr(10).join(_lb[_is:_is + 1]))}
{q(chr(10).join(_lb[_i5:_i5 + 1]))}

The offset applies to the room sensor, and cloud_sync can stay on.

{sig_en(JAMES[0])}"""
_chunk1 = "\n".join(_lb[_i1:_i1 + 2])
case("11-clean-en-long-original-quoted-in-pieces", ok,
     "Clean - a 100+ line original quoted in four small pieces with [...] marks between them, answers inline.",
     O["long"], frm=JAMES, plain=_long(_chunk1))

_tb = O["tabs"]["body"].split("\n")
_tab_q = "\n".join(_tb[4:8]).replace("\t", "    ").replace("購入店    ", "購入店\u00a0\u00a0").replace("AC-2210", "AC-2210   ")
_tab_own = ja_own("森田 俊介", "ミナト家電株式会社 お客様相談室の大野でございます。",
                  "製造番号の記入がなくても、ご購入の記録（レシート等）があれば保証を受けられます。")
_tab_plain = f"{_tab_own}\n\n{sig_ja(*ONO)}\n\n{A('gmail-ja', 'tabs')}\n\n{q(_tab_q)}\n>\n{q(_tb[9])}"
_tab_html = (f'<div dir="ltr"><div>{hl(_tab_own)}<br><br>{hl(sig_ja(*ONO))}</div><br>\n<div class="gmail_quote">'
             f'<div dir="ltr" class="gmail_attr">{esc(A("gmail-ja", "tabs"))}<br></div>\n'
             f'<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">'
             + "<br>\n".join(esc(x).replace("\t", "&nbsp;&nbsp;&nbsp;&nbsp;") for x in _tb[4:8])
             + f"<br><br>\n{esc(_tb[9])}</blockquote></div></div>\n")
case("12-clean-ja-quote-tabs-nbsp-trailing-spaces", ok,
     "Clean - the quoted table's tabs became runs of spaces, one NBSP pair, trailing spaces; the HTML part renders them as &nbsp;. Whitespace only.",
     O["tabs"], frm=ONO, plain=_tab_plain, html=_tab_html)

_ub = O["url"]["body"]
_url_q = (_ub.replace("https://minato.example.jp/support/kt12/manual.pdf",
                      "https://minato.example.jp/support/kt12/manual.pdf<https://minato.example.jp/support/kt12/manual.pdf>")
          .replace("grace.hill@example.com,", "grace.hill@example.com<mailto:grace.hill@example.com>,"))
_url_own = """Dear Ms. Hill,

Thank you for letting us know. The descaling pages are attached, and the PDF on
our site has been replaced with the complete version."""
case("13-clean-en-outlook-quote-link-decorations", ok,
     "Clean - Outlook-en header block; the client turned the quoted URL and address into 'url<url>' and 'addr<mailto:addr>'.",
     O["url"], frm=HANNAH, prefix="RE: ",
     plain=f"{_url_own}\n\n{sig_en(HANNAH[0])}\n\n{A('outlook-en', 'url')}\n\n{_url_q}")

import unicodedata as _ud  # noqa: E402
_hwk_full = _ud.normalize("NFKC", O["hwk"]["body"])
_hwk_own = ja_own("木村 拓海", "ミナト家電株式会社 お客様相談室の小林でございます。",
                  "OT-15 のタイマーは、最長30分まで設定できます。",
                  "グラタンは、1200Wで12分ほどを目安に焼いてください。")
case("14-clean-ja-halfwidth-kana-to-fullwidth", ok,
     "Clean - half-width kana subject and body (UTF-8) answered in ISO-2022-JP, which has no half-width kana: subject and quote in full-width kana, same text.",
     O["hwk"], frm=KOBA, subject=_ud.normalize("NFKC", O["hwk"]["subject"]), subj_cs="ISO-2022-JP",
     charset="ISO-2022-JP", cte="7bit", plain=top(_hwk_own, sig_ja(*KOBA), A("gmail-ja", "hwk"), q(_hwk_full)))

_fwa_own = ja_own("青木 康介", "ミナト家電株式会社 お客様相談室の大野でございます。",
                  "リモコンの「温度」ボタンを5秒間長押しすると、摂氏と華氏が切り替わります。")
case("15-clean-ja-fullwidth-alnum-subject-to-ascii", ok,
     "Clean - the customer's subject 'ＡＣ－２２１０のリモコン設定' (full-width) comes back as 'Re: AC-2210のリモコン設定': a width change only.",
     O["fwa"], frm=ONO, subject="AC-2210のリモコン設定",
     plain=top(_fwa_own, sig_ja(*ONO), A("gmail-ja", "fwa"), q(O["fwa"]["body"])))

case("16-clean-ja-stacked-fullwidth-colon-prefixes", ok,
     "Clean - subject prefixed 'RE：返信：Re: ' (full-width colons, several prefixes stacked by different clients).",
     O["toaster"], frm=KOBA, prefix="RE：返信：Re: ",
     plain=top(_toast_own, sig_ja(*KOBA), A("gmail-ja", "toaster"), q(lines(O["toaster"], 3, 6))))

_fwd_own = ja_own("石田 香織", "ミナト家電オンラインショップの西村でございます。",
                  "ご注文 M-60123 は発送前のため、配送先の変更を承れます。",
                  "新しいご住所をお知らせいただければ、こちらで変更いたします。")
case("17-clean-ja-original-fwd-subject-kept", ok,
     "Clean - the customer forwarded our order mail ('Fwd: …'); the reply subject 'Re: Fwd: …' keeps her subject and only adds Re:.",
     O["fwd"], frm=NISHI, plain=top(_fwd_own, sig_ja(*NISHI), A("gmail-ja", "fwd"), q(lines(O["fwd"], 2, 4))))

_sp_own = """Dear Ms. Wilson,

Yes, the warranty stays valid after a move. Please make sure the transport bolts
are put back in before the removal company moves the washer."""
case("18-clean-en-subject-double-and-trailing-space", ok,
     "Clean - the original subject has a double and a trailing space; the reply's 'Re: Warranty after moving house' differs in whitespace only.",
     O["spaces"], frm=HANNAH, subject="Warranty after moving house",
     plain=top(_sp_own, sig_en(HANNAH[0]), A("gmail-en", "spaces"), q(O["spaces"]["body"])))

case("19-clean-ja-signature-role-and-name-one-line", ok,
     "Clean - the signature carries the name on a role line: 「担当：大野 里美」 (no -- delimiter).",
     O["toaster"], frm=ONO,
     plain=top(_toast_own.replace("小林", "大野"),
               "ミナト家電株式会社 お客様相談室\n担当：大野 里美\nTEL 0120-987-650", A("gmail-ja", "toaster"),
               q(lines(O["toaster"], 3, 5))))

case("20-clean-ja-from-name-with-company-in-parens", ok,
     "Clean - From display name '大野 里美 (ミナト家電)'; the signature carries 大野 里美 (the parenthesised company is not part of the name).",
     O["hdd"], frm=("大野 里美 (ミナト家電)", ONO[1]),
     plain=top(_hdd_own.replace("小林", "大野"), sig_ja(*ONO), A("gmail-ja", "hdd"), q(lines(O["hdd"], 2, 4))))

case("21-clean-en-from-without-display-name", ok,
     "Clean - From is the bare address hannah.scott@…; the signature 'Hannah Scott' is the name the address states.",
     O["spaces"], frm=("", HANNAH[1]),
     plain=top(_sp_own, sig_en(HANNAH[0]), A("gmail-en", "spaces"), q(O["spaces"]["body"])))

case("22-clean-en-one-line-signature-with-bar", ok,
     "Clean - one-line signature '— Hannah Scott | Customer Care, Minato Appliances' after the answer.",
     O["descale"], frm=HANNAH,
     plain=top(_desc_own, "— Hannah Scott | Customer Care, Minato Appliances", A("gmail-en", "descale"),
               q(lines(O["descale"], 2, 5))))


def fr(*apology: str) -> str:
    return ja_own("藤田 浩二", "ミナト家電株式会社 お客様相談室の大野でございます。", *apology,
                  "明日12月1日に技術担当が伺い、修理または新品への交換をいたします。")


case("23-clean-ja-complaint-owabi-in-kana", ok,
     "Clean - complaint answered with 心よりおわび申し上げます (おわび in kana); ISO-2022-JP original.",
     O["fridge"], frm=ONO, plain=top(fr("冷蔵庫の故障に加え、お電話がつながらなかったこと、心よりおわび申し上げます。"),
                                     sig_ja(*ONO), A("gmail-ja", "fridge"), q(lines(O["fridge"], 2, 7))))

case("24-clean-ja-complaint-moushiwakenaku-zonjimasu", ok,
     "Clean - complaint answered with 大変申し訳なく存じます (no ございません).",
     O["fridge"], frm=KOBA, plain=top(fr("購入間もない冷蔵庫がこのような状態になり、大変申し訳なく存じます。").replace("大野", "小林"),
                                      sig_ja(*KOBA), A("gmail-ja", "fridge"), q(lines(O["fridge"], 2, 7))))

case("25-clean-ja-complaint-makotoni-shitsurei", ok,
     "Clean - complaint answered with 誠に失礼いたしました (for the dropped call) as the apology.",
     O["fridge"], frm=NISHI, plain=top(fr("修理受付のお電話でお待たせしたうえ、途中で切れてしまい、誠に失礼いたしました。").replace("大野", "西村"),
                                       sig_ja(*NISHI), A("tb-ja", "fridge"), q(lines(O["fridge"], 2, 7))))


def rb(apology: str) -> str:
    return f"""Dear Ms. Baker,

{apology}

Your refund of 9,800 yen was sent to your card today; it will show within three
business days."""


case("26-clean-en-complaint-we-are-sorry", ok,
     "Clean - English complaint answered with 'We are sorry that …'.",
     O["rose"], frm=HANNAH, plain=top(rb("We are sorry that your refund has taken so long."),
                                      sig_en(HANNAH[0]), A("gmail-en", "rose"), q(O["rose"]["body"])))

case("27-clean-en-complaint-my-apologies", ok,
     "Clean - English complaint answered with 'My apologies for …'.",
     O["rose"], frm=JAMES, plain=top(rb("My apologies for the delay and for the unhelpful answers on the phone."),
                                     sig_en(JAMES[0]), A("gmail-en", "rose"), q(O["rose"]["body"])))

case("28-clean-en-complaint-i-apologize-for", ok,
     "Clean - English complaint answered with 'I apologize for …' (US spelling), Outlook block, RE:.",
     O["rose"], frm=HANNAH, prefix="RE: ",
     plain=f"{rb('I apologize for the delay with your refund.')}\n\n{sig_en(HANNAH[0])}\n\n"
           f"{A('outlook-en', 'rose')}\n\n{O['rose']['body']}")

_own_data = ja_own("森田 俊介", "ミナト家電株式会社 お客様相談室の大野でございます。",
                   "ご登録内容は次のとおりです（お客様番号 c-200575）。",
                   "ご連絡先: <shunsuke.morita@example.co.jp> / +81 3 5678 1122",
                   "変更がございましたらお知らせください。")
case("29-clean-ja-recipient-own-data-odd-forms", ok,
     "Clean - the recipient's own id in lower case, his address in angle brackets and his phone in +81 form with spaces: his own data.",
     O["tabs"], frm=ONO, plain=top(_own_data, sig_ja(*ONO), A("gmail-ja", "tabs"), q(O["tabs"]["body"].split("\n")[11])))

_tv2 = ja_own("大野 健一", "ミナト家電株式会社 お客様相談室の大野でございます。",
              "偶然ですが、同じ大野でございます。",
              "明るさは「設定」→「画質」→「明るさセンサー」をオフにすると上げられます。")
case("30-clean-ja-recipient-shares-agent-surname", ok,
     "Clean - customer 大野 健一 answered by agent 大野 里美: the greeting is the recipient, the signature the sender.",
     O["tv"], frm=ONO, plain=top(_tv2, sig_ja(*ONO), A("gmail-ja", "tv"), q(O["tv"]["body"])))

_words = """Dear Mr. Brooks,

Thank you for your questions.

There is a 30-day grace period for registering the warranty, so there is no
rush. Prices rose slightly in October, but your quote stays valid. The young
engineer who visits will check the water pressure; our nearest depot is at the
bottom of the hill on Station Road, next to the baker.

The warranty is two years and covers parts and labour."""
case("31-clean-en-names-as-ordinary-words", ok,
     "Clean - 'grace', 'rose', 'young', 'hill', 'baker' used as ordinary words (customers Grace Hill, Rose Baker, Liam Young exist).",
     O["brooks"], frm=HANNAH, plain=top(_words, sig_en(HANNAH[0]), A("gmail-en", "brooks"), q(lines(O["brooks"], 5, 6))))

case("32-clean-en-to-both-addresses-of-one-customer", ok,
     "Clean - To carries both addresses of Daniel Brooks (two rows, one customer id): one customer, not two.",
     O["brooks"], frm=HANNAH, to=[C["Daniel Brooks"], BROOKS_WORK],
     plain=top(_words.replace(" The young\nengineer", "\nOur engineer"), sig_en(HANNAH[0]), A("gmail-en", "brooks"),
               q(lines(O["brooks"], 5, 6))))

_owa_en_own = """Dear Mr. Brooks,

We are very sorry that your new dishwasher arrived with a scratched door.

A replacement door will be fitted free of charge on December 2; our engineer
will call you the day before."""
case("33-clean-en-complaint-owa-html-only-apology", ok,
     "Clean - English complaint answered from Outlook on the web (HTML only, <hr> + divRplyFwdMsg), with an apology.",
     O["owa_en"], frm=JAMES, prefix="RE: ", plain=None, html_only=True,
     html=owa_html(_owa_en_own + "\n\n" + sig_en(JAMES[0]), O["owa_en"], O["owa_en"]["body"], lang="en"))


case("34-clean-ja-mobile-footer-after-signature", ok,
     "Clean - 「iPhoneから送信」 footer after the signature, then the Apple Mail ja attribution and quote.",
     O["humid"], frm=NISHI,
     plain=top(_hum_own, sig_ja(*NISHI) + "\n\niPhoneから送信", A("apple-ja", "humid"), q(O["humid"]["body"])))

_dw_spaced = "\n".join(ln.replace(">>", "> >").replace("> >>", "> > >") for ln in q(O["dw"]["body"]).split("\n"))
case("35-clean-ja-nested-quote-spaced-markers", ok,
     "Clean - nested quote levels written '> > >' (markers separated by spaces) instead of '>>>'.",
     O["dw"], frm=ONO, prefix="", plain=top(_dw_own, sig_ja(*ONO), A("gmail-ja", "dw"), _dw_spaced))

case("36-clean-ja-complaint-apology-wrapped-across-lines", ok,
     "Clean - the apology is wrapped by the client in the middle: 「誠に申し訳」 / 「ございません」.",
     O["fridge"], frm=ONO, plain=top(fr("冷蔵庫が故障し、修理受付のお電話もつながらず、誠に申し訳\nございません。"),
                                     sig_ja(*ONO), A("gmail-ja", "fridge"), q(lines(O["fridge"], 2, 7))))


# ============================================================================ firing cases
SC, QA, SM, OCD, AM = "subject-changed", "quote-altered", "signature-missing", "other-customer-data", "apology-missing"

_dw_q = q(O["dw"]["body"])
assert "設置に必要なスペースと" in _dw_q
case("40-quote-altered-third-level", [QA],
     "The customer's first mail, quoted three levels deep (>>>) inside her reply, is altered (スペース → 電源); the subject 'Re: …' is kept as is.",
     O["dw"], frm=ONO, prefix="",
     plain=top(_dw_own, sig_ja(*ONO), A("gmail-ja", "dw"), _dw_q.replace("設置に必要なスペースと", "設置に必要な電源と")))

case("41-signature-only-in-quoted-earlier-answer", [SM],
     "The reply has no signature of its own; the only 大野 里美 signature is in our earlier answer quoted at >> level.",
     O["dw"], frm=ONO,
     plain=f"{_dw_own.replace('ミナト家電株式会社 お客様相談室の大野でございます。', 'お問い合わせありがとうございます。')}\n\n"
           f"{A('gmail-ja', 'dw')}\n\n{_dw_q}")

_ang_noapo = ja_own("長谷川 拓也", "ミナト家電株式会社 お客様相談室の西村でございます。",
                    "修理は12月2日（水）午前に伺います。担当者から前日にお電話いたします。")
case("42-apology-only-in-quoted-earlier-answer", [AM],
     "Angry follow-up; the only apology (申し訳ございません) is in our earlier answer quoted at >> level, not in the new own text.",
     O["angry"], frm=NISHI, prefix="", subj_cs="ISO-2022-JP", charset="ISO-2022-JP", cte="7bit",
     plain=top(_ang_noapo, sig_ja(*NISHI), A("gmail-ja", "angry"), q(O["angry"]["body"])))

case("43-quote-altered-owa-html-only", [QA],
     "Outlook on the web HTML-only reply; in the quoted original below divRplyFwdMsg, 焼きムラ became 焼き色.",
     O["toaster"], frm=KOBA, prefix="RE: ", plain=None, html_only=True,
     html=owa_html(_toast_own + "\n\n" + sig_ja(*KOBA), O["toaster"],
                   O["toaster"]["body"].replace("焼きムラが気に", "焼き色が気に")))

case("44-quote-altered-fullwidth-marker-negation", [QA],
     "Full-width ＞ quote where 乾かさずに became 乾かしてから (the meaning flips); ISO-2022-JP.",
     O["filter"], frm=ONO, subj_cs="ISO-2022-JP", charset="ISO-2022-JP", cte="7bit",
     plain=f"{_fil_own}\n\n{sig_ja(*ONO)}\n\n{A('tb-ja', 'filter')}\n"
           f"{q(O['filter']['body'].replace('乾かさずに', '乾かしてから'), '＞')}")

case("45-quote-altered-inline-answers-en", [QA],
     "Inline answers; the second quoted question has 'two years' changed to 'three years'.",
     O["brooks"], frm=HANNAH, plain=_inline.replace("cover two years of parts", "cover three years of parts"))

case("46-quote-altered-deep-in-long-original", [QA],
     "100+ line original quoted in pieces; in the first piece 'front panel' became 'side panel'.",
     O["long"], frm=JAMES, plain=_long(_chunk1.replace("front panel", "side panel")))

case("47-quote-altered-date-in-tab-table", [QA],
     "The quoted tab table is re-spaced (allowed) but its purchase date 10月3日 became 10月8日.",
     O["tabs"], frm=ONO, plain=_tab_plain.replace("10月3日", "10月8日"))

case("48-subject-suffix-goakai", [SC],
     "Subject 'Re: オーブントースターの予熱について（ご回答）': a suffix was added.",
     O["toaster"], frm=KOBA, subject=O["toaster"]["subject"] + "（ご回答）",
     plain=top(_toast_own, sig_ja(*KOBA), A("gmail-ja", "toaster"), q(lines(O["toaster"], 3, 6))))

case("49-subject-case-number-suffix-en", [SC],
     "Subject 'Re: Warranty after moving house [Case 4471]': a case tag at the end (the default policy allows no tags).",
     O["spaces"], frm=HANNAH, subject="Warranty after moving house [Case 4471]",
     plain=top(_sp_own, sig_en(HANNAH[0]), A("gmail-en", "spaces"), q(O["spaces"]["body"])))

case("50-subject-shortened", [SC],
     "Subject 'Re: テレビの外付けHDD': the agent dropped 「について」.",
     O["hdd"], frm=KOBA, subject="テレビの外付けHDD",
     plain=top(_hdd_own, sig_ja(*KOBA), A("gmail-ja", "hdd"), q(lines(O["hdd"], 2, 4))))

case("51-signature-surname-only", [SM],
     "The signature says only 「お客様相談室 大野」; From is 大野 里美 — the name as in From is not there.",
     O["hdd"], frm=ONO,
     plain=top(_hdd_own.replace("小林でございます", "大野でございます"),
               "--\nミナト家電株式会社\nお客様相談室 大野\nTEL 0120-987-650", A("gmail-ja", "hdd"), q(lines(O["hdd"], 2, 4))))

case("52-signature-name-only-in-self-introduction", [SM],
     "The full name appears only in the self-introduction line, there is no signature block at the end.",
     O["humid"], frm=NISHI,
     plain=f"{_hum_own.replace('お客様相談室の西村でございます', 'お客様相談室の西村 光でございます')}\n\n"
           f"{A('apple-ja', 'humid')}\n\n{q(O['humid']['body'])}")

case("53-signature-first-name-only-en", [SM],
     "English reply signed only 'Hannah' (From: Hannah Scott).",
     O["descale"], frm=HANNAH,
     plain=top(_desc_own, "Best,\nHannah", A("gmail-en", "descale"), q(lines(O["descale"], 2, 5))))

case("54-apology-missing-ja-thanks-only", [AM],
     "Complaint answered with ご連絡ありがとうございます and the fix, but no apology.",
     O["fridge"], frm=ONO, plain=top(fr("ご連絡いただき、ありがとうございます。"), sig_ja(*ONO),
                                     A("gmail-ja", "fridge"), q(lines(O["fridge"], 2, 7))))

case("55-apology-missing-en-unfortunately", [AM],
     "English complaint answered with 'Unfortunately, refunds take time' — regret-sounding, but no apology phrase.",
     O["rose"], frm=HANNAH, plain=top(rb("Unfortunately, refunds through our payment provider can take longer than planned."),
                                      sig_en(HANNAH[0]), A("gmail-en", "rose"), q(O["rose"]["body"])))

case("56-apology-sorry-only-in-quote-en", [AM],
     "The customer wrote 'Sorry to be blunt'; the reply quotes it but its own text has no apology.",
     O["blunt"], frm=JAMES,
     plain=top("Dear Mr. Young,\n\nYour kettle will be delivered tomorrow morning by a different courier.",
               sig_en(JAMES[0]), A("gmail-en", "blunt"), q(O["blunt"]["body"])))

_leak_plain = ja_own("村上 奈々", "ミナト家電株式会社 お客様相談室の小林でございます。",
                     "OT-15 の焼き方のコツをまとめた資料をお送りしました。")
_leak_html = (f'<div dir="ltr"><div>{hl(_leak_plain)}<br>(送付先: kosuke.aoki@example.jp)<br><br>'
              f'{hl(sig_ja(*KOBA))}</div></div>\n')
case("57-ocd-other-email-in-html-part-only", [OCD],
     "multipart/alternative: the plain part is clean, but the HTML part (what most clients show) names another customer's address.",
     O["toaster"], frm=KOBA, plain=f"{_leak_plain}\n\n{sig_ja(*KOBA)}", html=_leak_html)

_ocd = lambda line: ja_own("村上 奈々", "ミナト家電株式会社 お客様相談室の小林でございます。",  # noqa: E731
                           "OT-15 は予熱なしでもお使いいただけます。", line)
case("58-ocd-customer-id-lower-case", [OCD],
     "The reply cites another customer's id written in lower case (c-201236).",
     O["toaster"], frm=KOBA, plain=top(_ocd("前回のお問い合わせ（お客様番号 c-201236）と同じ内容でご案内いたします。"),
                                       sig_ja(*KOBA), A("gmail-ja", "toaster"), q(lines(O["toaster"], 3, 5))))

case("59-ocd-phone-plus81-spaced", [OCD],
     "Another customer's phone 090-8877-6655 written as +81 90 8877 6655.",
     O["toaster"], frm=KOBA, plain=top(_ocd("ご不明な点は +81 90 8877 6655 までお電話ください。"),
                                       sig_ja(*KOBA), A("gmail-ja", "toaster"), q(lines(O["toaster"], 3, 5))))

case("60-ocd-email-in-angle-brackets", [OCD],
     "Another customer's address in angle brackets: <kaori.ishida@example.net>.",
     O["toaster"], frm=KOBA, plain=top(_ocd("資料は <kaori.ishida@example.net> 宛てにもお送りしております。"),
                                       sig_ja(*KOBA), A("gmail-ja", "toaster"), q(lines(O["toaster"], 3, 5))))

case("61-ocd-en-mrs-surname", [OCD],
     "English reply mentions 'Mrs. Martin' (customer Chloe Martin), not the recipient.",
     O["brooks"], frm=HANNAH,
     plain=top("Dear Mr. Brooks,\n\nThe DW-60 can share the tap under the sink; Mrs. Martin had the same\n"
               "question last week and the branch valve BV-3 worked well.", sig_en(HANNAH[0]),
               A("gmail-en", "brooks"), q(lines(O["brooks"], 4, 5))))

case("62-ocd-casual-surname-san", [OCD],
     "Casual mention 「前田さんも同じ症状でした」 of customer 前田 彩花 in a reply to 村上 奈々.",
     O["toaster"], frm=KOBA, plain=top(_ocd("前田さんも同じ症状でしたが、空焼きで改善しました。"),
                                       sig_ja(*KOBA), A("gmail-ja", "toaster"), q(lines(O["toaster"], 3, 5))))

case("63-ocd-en-full-name-upper-case", [OCD],
     "Another customer's full name in capitals (DANIEL BROOKS) pasted from an order list.",
     O["rose"], frm=HANNAH,
     plain=top(rb("We are sorry that your refund has taken so long.") + "\n\nRef: HD-7 return / DANIEL BROOKS",
               sig_en(HANNAH[0]), A("gmail-en", "rose"), q(O["rose"]["body"])))

case("64-ocd-owa-html-only-wrong-greeting", [OCD],
     "Outlook on the web HTML-only reply to 村上 奈々 greeting 「石田 香織 様」 (pasted from another case).",
     O["toaster"], frm=KOBA, prefix="RE: ", plain=None, html_only=True,
     html=owa_html(_toast_own.replace("村上 奈々 様", "石田 香織 様") + "\n\n" + sig_ja(*KOBA), O["toaster"],
                   O["toaster"]["body"]))

case("65-combo-apple-subject-and-ocd-phone", [SC, OCD],
     "Apple Mail ja reply with the subject replaced by お問い合わせの件 and another customer's phone (03-3456-7812).",
     O["humid"], frm=NISHI, subject="お問い合わせの件",
     plain=top(_hum_own + "\n詳しくは 03-3456-7812 の窓口でもご案内しております。", sig_ja(*NISHI),
               A("apple-ja", "humid"), q(O["humid"]["body"])))

case("66-combo-bottom-posted-no-apology-no-signature", [AM, SM],
     "Complaint answered bottom-posted with neither an apology nor a signature below the quote.",
     O["fridge"], frm=ONO,
     plain=f"{A('gmail-ja', 'fridge')}\n\n{q(O['fridge']['body'])}\n\n"
           "藤田 浩二 様\n\n明日12月1日に技術担当が伺い、修理または新品への交換をいたします。\n\nよろしくお願いいたします。")

case("67-combo-owa-en-no-apology-quote-altered", [QA, AM],
     "English complaint answered from Outlook on the web without apology; the quoted 'long scratch' became 'small scratch'.",
     O["owa_en"], frm=JAMES, prefix="RE: ", plain=None, html_only=True,
     html=owa_html(_owa_en_own.replace("We are very sorry that your new dishwasher arrived with a scratched door.",
                                       "Thank you for reporting the scratched door.") + "\n\n" + sig_en(JAMES[0]),
                   O["owa_en"], O["owa_en"]["body"].replace("long\nscratch", "small\nscratch"), lang="en"))


_alt_plain = f"{_toast_own}\n\n{sig_ja(*KOBA)}\n\n{A('gmail-ja', 'toaster')}\n\n{q(lines(O['toaster'], 3, 6))}"
_alt_html = (f'<div dir="ltr"><div>{hl(_toast_own)}<br><br>{hl(sig_ja(*KOBA))}</div></div><br>\n<div class="gmail_quote">'
             f'<div dir="ltr" class="gmail_attr">{esc(A("gmail-ja", "toaster"))}<br></div>\n'
             f'<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">'
             f'{hl(lines(O["toaster"], 3, 6).replace("焼きムラ", "焼き色"))}</blockquote></div>\n')
case("68-quote-altered-in-html-part-only", [QA],
     "multipart/alternative: the plain part quotes correctly, but the HTML blockquote (what most clients show) has 焼きムラ changed to 焼き色.",
     O["toaster"], frm=KOBA, plain=_alt_plain, html=_alt_html)

case("69-combo-subject-names-other-customer", [SC, OCD],
     "Subject 'Re: オーブントースターの予熱について（石田様分）': a suffix naming another customer with 様.",
     O["toaster"], frm=KOBA, subject=O["toaster"]["subject"] + "（石田様分）",
     plain=top(_toast_own, sig_ja(*KOBA), A("gmail-ja", "toaster"), q(lines(O["toaster"], 3, 6))))

case("70-ocd-customer-id-fullwidth", [OCD],
     "Another customer's id written in full-width characters (Ｃ－２０１２３６).",
     O["toaster"], frm=KOBA, plain=top(_ocd("お客様番号 Ｃ－２０１２３６ の件と同様にご案内いたします。"),
                                       sig_ja(*KOBA), A("gmail-ja", "toaster"), q(lines(O["toaster"], 3, 5))))


# ============================================================================ write
def main() -> None:
    for p in HERE.iterdir():
        if p.is_dir() and (p / "expect.yaml").exists():
            shutil.rmtree(p)
    rows = BASE_CSV + [",".join(r) for r in ADDED]
    (HERE / "customers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    names = [c[0] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case name"
    for name, rules, why, o, kw in CASES:
        d = HERE / name
        d.mkdir()
        (d / "original.eml").write_bytes(write_original(o))
        (d / "reply.eml").write_bytes(reply(o, **kw))
        action = "reject" if rules else "accept"
        todo = "todo: true\n" if name in TODO else ""
        (d / "expect.yaml").write_text(
            f"action: {action}\nrules: [{', '.join(rules)}]\nwhy: {why}\n{todo}", encoding="utf-8")
    print(f"{len(CASES)} cases written to {HERE}")


if __name__ == "__main__":
    main()
