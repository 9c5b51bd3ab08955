#!/usr/bin/env python3
"""Generate the third reply corpus (run once; the output is committed).

    python3 tests/corpus/replies3/make_corpus.py

Imitates the generator behind shared/examples/replies as closely as the examples show it:
the same company (ミナト家電 / Minato Appliances), agents (西村 光, 大野 里美, Hannah Scott,
plus 平野 潤 and 佐々木 悠 in the same signature styles), the shared customers.csv plus ten
customers in the same style, the same header layout (Message-ID / Date / From / To /
Subject / In-Reply-To / References / MIME-Version, optional X-Mailer / User-Agent),
encoded words folded at 76 columns (UTF-8, ISO-2022-JP, Shift_JIS), bodies in 7bit /
8bit / base64 / quoted-printable, LF and CRLF, plain and multipart/alternative with a
Gmail HTML blockquote, and the quote styles of the examples (Gmail-ja attribution,
Thunderbird en/ja "On ... wrote:", Gmail-en, Outlook-ja 元のメッセージ block, inline quote).
New content; each rule alone and in pairs, and about half clean cases.
Standard library only; deterministic.
"""
from __future__ import annotations

import base64
import hashlib
import quopri
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED_CSV = HERE.parents[2].parent / "shared" / "examples" / "replies" / "customers.csv"

BASE = [
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
]
ADDED = [
    ("佐藤 美咲", "misaki.sato@example.jp", "090-2233-4455", "C-201955"),
    ("小林 大輔", "daisuke.kobayashi@example.net", "080-5544-3322", "C-202087"),
    ("中川 由紀", "yuki.nakagawa@example.co.jp", "03-4455-6677", "C-202213"),
    ("松井 健太", "kenta.matsui@example.com", "070-3344-8899", "C-202349"),
    ("井上 真由美", "mayumi.inoue@example.org", "092-345-6789", "C-202476"),
    ("酒井 翔", "sho.sakai@example.jp", "090-6677-1188", "C-202598"),
    ("高木 恵", "megumi.takagi@example.net", "011-234-5678", "C-202731"),
    ("木下 直樹", "naoki.kinoshita@example.co.jp", "080-9988-1122", "C-202864"),
    ("Liam Foster", "liam.foster@example.com", "090-1357-2468", "C-202990"),
    ("Grace Holloway", "grace.holloway@example.org", "03-5566-7788", "C-203125"),
]
CUST = {n: (n, e, p, i) for n, e, p, i in BASE + ADDED}

SUPPORT = ("ミナト家電 お客様相談室", "support@minato.example.jp")
SUPPORT_EN = ("Minato Appliances Customer Care", "support@minato.example.jp")
NISHI = ("西村 光", "nishimura@minato.example.jp")
ONO = ("大野 里美", "ono@minato.example.jp")
HANNAH = ("Hannah Scott", "hannah.scott@minato.example.jp")
HIRANO = ("平野 潤", "hirano@minato.example.jp")
SASAKI = ("佐々木 悠", "sasaki@minato.example.jp")
KANA = {"西村 光": "にしむら ひかる", "平野 潤": "ひらの じゅん", "佐々木 悠": "ささき はるか"}
BAR = "―" * 20
TB = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.4.2"


def sig(agent, variant: str = "std") -> str:
    name, email = agent
    if agent == HANNAH:
        return f"Warm regards,\n{name}\nCustomer Care, Minato Appliances\nTel. +81-45-555-0123"
    shown = name.replace(" ", "　") if variant == "fw" else name
    if agent == ONO:
        return f"--\n{shown}\nミナト家電株式会社 お客様相談室\nTEL 0120-987-650 / {email}"
    return (f"{BAR}\nミナト家電株式会社 お客様相談室\n{shown}（{KANA[name]}）\n"
            f"フリーダイヤル 0120-987-650（10:00〜17:00 土日祝休）\n{BAR}")


def team_sig_ja() -> str:
    return f"{BAR}\nミナト家電株式会社 お客様相談室\nフリーダイヤル 0120-987-650（10:00〜17:00 土日祝休）\n{BAR}"


# ----------------------------------------------------------------------------- wire helpers
def enc(text: str, cs: str) -> bytes:
    return text.encode({"UTF-8": "utf-8", "ISO-2022-JP": "iso-2022-jp", "Shift_JIS": "shift_jis"}[cs])


def ascii_(s: str) -> bool:
    return all(ord(c) < 0x80 for c in s)


def words(text: str, cs: str, first: int) -> str:
    """Encoded words, greedily as long as fits a 76-column line (first line has `first` used)."""
    out, cur, used = [], "", first
    def w(s):
        return f"=?{cs}?B?{base64.b64encode(enc(s, cs)).decode()}?="
    for ch in text:
        if cur and used + len(w(cur + ch)) > 76:
            out.append(w(cur))
            cur, used = ch, 1
        else:
            cur += ch
    out.append(w(cur))
    return "\n ".join(out)


def hdr_subject(text: str, cs: str, prefix: str = "") -> str:
    if ascii_(text):
        return prefix + text
    return prefix + words(text, cs, len("Subject: ") + len(prefix))


def hdr_addr(name: str, email: str, cs: str) -> str:
    if ascii_(name):
        return f"{name} <{email}>"
    return f"=?{cs}?B?{base64.b64encode(enc(name, cs)).decode()}?= <{email}>"


def body_bytes(text: str, cs: str, cte: str) -> str:
    raw = enc(text, cs)
    if cte in ("7bit", "8bit"):
        return raw.decode("latin-1")
    if cte == "base64":
        return base64.encodebytes(raw).decode("ascii")
    return quopri.encodestring(raw).decode("ascii")


def hexid(*parts: str, n: int = 12) -> str:
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:n].upper()


MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
WD_EN = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WD_JA = ["月", "火", "水", "木", "金", "土", "日"]
WD_JA_LONG = ["月曜日", "火曜日", "水曜日", "木曜日", "金曜日", "土曜日", "日曜日"]


def when(day: int, hh: int, mi: int, month: int = 12):
    import datetime
    d = datetime.date(2026, month, day)
    return d, hh, mi


def rfcdate(w) -> str:
    d, hh, mi = w
    return f"{WD_EN[d.weekday()]}, {d.day:02d} {MON[d.month-1]} {d.year} {hh:02d}:{mi:02d}:00 +0900"


def stamp(w) -> str:
    d, hh, mi = w
    return f"{d.year}{d.month:02d}{d.day:02d}{hh:02d}{mi:02d}00"


def message(headers, text, *, cs, cte, eol, html=None, boundary="") -> bytes:
    lines = [f"{k}: {v}" for k, v in headers]
    lines.append("MIME-Version: 1.0")
    if html is None:
        lines += [f'Content-Type: text/plain; charset="{cs}"', f"Content-Transfer-Encoding: {cte}", ""]
        lines.append(body_bytes(text, cs, cte).rstrip("\n"))
    else:
        lines += [f'Content-Type: multipart/alternative;\n boundary="{boundary}"', ""]
        for sub, t in (("plain", text), ("html", html)):
            lines += [f"--{boundary}", f'Content-Type: text/{sub}; charset="{cs}"',
                      f"Content-Transfer-Encoding: {cte}", "", body_bytes(t, cs, cte).rstrip("\n"), ""]
        lines.append(f"--{boundary}--")
    out = "\n".join(lines) + "\n"
    return out.replace("\n", eol).encode("latin-1")


def attribution(kind: str, o: dict) -> str:
    d, hh, mi = o["when"]
    name, email = o["cust"][0], o["cust"][1]
    h12 = hh % 12 or 12
    ap = "AM" if hh < 12 else "PM"
    if kind == "gmail-ja":
        return f"{d.year}年{d.month}月{d.day}日({WD_JA[d.weekday()]}) {hh}:{mi:02d} {name} <{email}>:"
    if kind == "tb-ja":
        return f"On {d.year}/{d.month:02d}/{d.day:02d} {hh}:{mi:02d}, {name} wrote:"
    if kind == "tb-en":
        return f"On {d.month}/{d.day}/{d.year} {h12}:{mi:02d} {ap}, {name} wrote:"
    if kind == "gmail-en":
        return f"On {WD_EN[d.weekday()]}, {MON[d.month-1]} {d.day}, {d.year} at {h12}:{mi:02d} {ap} {name} <{email}> wrote:"
    if kind == "outlook-ja":
        return (f"-----元のメッセージ-----\n差出人: {name} <{email}>\n"
                f"送信日時: {d.year}年{d.month}月{d.day}日 {WD_JA_LONG[d.weekday()]} {hh}:{mi:02d}\n"
                f"宛先: support@minato.example.jp\n件名: {o['subject']}")
    raise ValueError(kind)


def esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def rewrap(text: str, width: int) -> str:
    """Re-wrap each paragraph at `width` characters (Japanese: anywhere; English: at spaces)."""
    out = []
    for para in text.split("\n\n"):
        if not ascii_(para):
            flat = "".join(para.split("\n"))
            out.append("\n".join(flat[i:i + width] for i in range(0, len(flat), width)))
        else:
            acc, cur = [], ""
            for w in " ".join(para.split("\n")).split(" "):
                if cur and len(cur) + 1 + len(w) > width:
                    acc.append(cur)
                    cur = w
                else:
                    cur = f"{cur} {w}" if cur else w
            acc.append(cur)
            out.append("\n".join(acc))
    return "\n\n".join(out)


# ----------------------------------------------------------------------------- threads
def greeting_ja(o):
    return o["body"].split("\n")[0]


def original(o: dict) -> bytes:
    cust = o["cust"]
    dom = cust[1].split("@")[1]
    o["msgid"] = f"<{stamp(o['when'])}.{hexid(o['key'])}@mail.{dom}>"
    to = SUPPORT_EN if o["lang"] == "en" else SUPPORT
    cs = o.get("hcs", o["cs"] if o["cs"] != "UTF-8" or o["lang"] == "ja" else "UTF-8")
    headers = [("Message-ID", o["msgid"]), ("Date", rfcdate(o["when"])),
               ("From", hdr_addr(cust[0], cust[1], cs)), ("To", hdr_addr(to[0], to[1], cs)),
               ("Subject", hdr_subject(o["subject"], cs))]
    return message(headers, o["body"] + "\n", cs=o["cs"], cte=o["cte"], eol=o.get("eol", "\n"))


def reply(o: dict, r: dict) -> bytes:
    agent = r["agent"]
    own = r["own"].strip("\n")
    s = r.get("sig", sig(agent))
    head = own if s is None else f"{own}\n\n{s}"
    q = o["body"]
    if r.get("trim"):
        a, b = r["trim"]
        lines = q.split("\n")
        i = next(k for k, ln in enumerate(lines) if a in ln)
        j = next(k for k, ln in enumerate(lines) if b in ln and k >= i)
        q = "\n".join(lines[i:j + 1])
    if r.get("rewrap"):
        q = rewrap(q, r["rewrap"])
    for old, new in r.get("edit", []):
        assert old in q, (o["key"], old)
        q = q.replace(old, new, 1)
    attr = r.get("attr", "gmail-ja")
    a = attribution(attr, o) if attr != "inline" else ""
    gt = "\n".join(("> " + ln) if ln else ">" for ln in q.split("\n"))
    if attr == "inline":
        # the example-07 layout: greeting, the quoted lines, then the answer and signature
        pre, post = r["own_pre"].strip("\n"), own
        plain = f"{pre}\n\n{gt}\n\n{post}\n\n{s}\n" if s else f"{pre}\n\n{gt}\n\n{post}\n"
    elif attr == "outlook-ja":
        plain = f"{head}\n\n{a}\n\n{q}\n"
    elif attr.startswith("gmail"):
        plain = f"{head}\n\n{a}\n\n{gt}\n"
    else:
        plain = f"{head}\n\n{a}\n{gt}\n"
    html = None
    if r.get("html"):
        hl = lambda t: "<br>\n".join(esc(x) for x in t.split("\n"))
        html = (f'<div dir="ltr">{hl(head)}</div><br>\n<div class="gmail_quote">'
                f'<div dir="ltr" class="gmail_attr">{esc(a)}<br></div>\n'
                f'<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;'
                f'border-left:1px solid rgb(204,204,204);padding-left:1ex">\n{hl(q)}\n</blockquote></div>\n')
    cs = r.get("cs", "UTF-8")
    hcs = r.get("hcs", cs)
    tos = r.get("to", [o["cust"]])
    import datetime
    nd = o["when"][0] + datetime.timedelta(days=1)
    rw = r.get("when", (nd, 10, int(hexid(o["key"], "m"), 16) % 4 * 15))
    headers = [("Message-ID", f"<{stamp(rw)}.{hexid(o['key'], 'r')}@mail.minato.example.jp>"),
               ("Date", rfcdate(rw)), ("From", hdr_addr(agent[0], agent[1], hcs)),
               ("To", ", ".join(hdr_addr(p[0], p[1], hcs) for p in tos))]
    if r.get("cc"):
        headers.append(("Cc", ", ".join(hdr_addr(p[0], p[1], hcs) for p in r["cc"])))
    subj = r.get("subject", o["subject"])
    headers += [("Subject", hdr_subject(subj, hcs, r.get("prefix", "Re: "))),
                ("In-Reply-To", o["msgid"]), ("References", o["msgid"])]
    if r.get("mailer") == "outlook":
        headers.append(("X-Mailer", "Microsoft Outlook 16.0"))
    elif r.get("mailer") == "tb" or attr in ("tb-ja", "tb-en", "inline"):
        headers.append(("User-Agent", TB))
    return message(headers, plain, cs=cs, cte=r.get("cte", "8bit" if cs == "UTF-8" else "7bit"),
                   eol=r.get("eol", "\n"), html=html, boundary=f"alt-{hexid(o['key'], 'b', n=24).lower()}")


CASES: list[tuple[str, list[str], str, dict, dict]] = []
# Known engine gaps (xfail until fixed). Empty: the seven classifier false positives on plain
# questions (a bare "manual says", the hearsay question "…使えないと聞きましたが、本当でしょうか",
# "has not come on" of an indicator light) were fixed in proxy/inbound/complaint_cues.yaml.
TODO: set[str] = set()


def case(name, rules, why, o, **r):
    CASES.append((name, rules, why, o, r))


def O(key, cust, subject, body, w, *, lang="ja", cs="UTF-8", cte="8bit", eol="\n", hcs=None):
    o = dict(key=key, cust=CUST[cust], subject=subject, body=body.strip("\n"), when=w,
             lang=lang, cs=cs, cte=cte, eol=eol)
    if hcs:
        o["hcs"] = hcs
    return o


# ============================================================================ threads
T = {}
T["rice"] = O("rice", "佐藤 美咲", "炊飯器の保温時間について", """
ミナト家電 お客様相談室 御中

いつもお世話になっております。佐藤と申します。

炊飯器「ふっくら炊き RC-10」を使っています。
ご飯を保温したままにできるのは何時間くらいまででしょうか。
また、玄米を炊くときの水の量も教えていただけますか。

よろしくお願いいたします。
佐藤 美咲
""", when(1, 20, 40))

T["kettle"] = O("kettle", "小林 大輔", "電気ケトルの空焚き防止機能について", """
ミナト家電 お客様相談室 御中

小林と申します。
先月購入した電気ケトル「さっと沸く KT-12」についてお伺いします。
水が入っていない状態でスイッチを入れてしまった場合、
自動で電源が切れる機能はついていますか。

よろしくお願いします。
小林 大輔
""", when(2, 9, 15), cs="ISO-2022-JP", cte="7bit")

T["dehum"] = O("dehum", "中川 由紀", "除湿機のタンク容量について", """
ミナト家電 お客様相談室 御中

中川と申します。
除湿機「からっと DH-8」の購入を検討しています。
タンクの容量は何リットルで、満水になったら自動で止まりますか。
部屋干しの衣類乾燥にも使えるかどうかも知りたいです。

どうぞよろしくお願いいたします。
中川 由紀
""", when(27, 13, 5, 11), cs="Shift_JIS", cte="8bit")

T["fridge_late"] = O("fridge_late", "井上 真由美", "冷蔵庫の配送が予定日に来ませんでした", """
ミナト家電 オンラインショップ御中

注文番号 M-20261122-0458 の井上です。

冷蔵庫「ひえひえ RF-450」の配送日を11月29日の午前中と指定していましたが、
夕方になっても届かず、何の連絡もありませんでした。
古い冷蔵庫はもう処分してしまったので、食品をしまう場所がありません。

いったいどうなっているのですか。
今日中に配送日を連絡してください。

井上 真由美
""", when(29, 18, 20, 11), cs="ISO-2022-JP", cte="7bit")

T["robot"] = O("robot", "酒井 翔", "ロボット掃除機の充電台について", """
ミナト家電 お客様相談室 御中

酒井です。ロボット掃除機「おそうじくん RV-5」を使っています。
充電台を置く場所を変えたいのですが、
壁からどのくらい離して置けばよいでしょうか。

また、段差が2cmある部屋でも使えるか教えてください。

酒井 翔
""", when(3, 21, 30))

T["dryer_broken"] = O("dryer_broken", "高木 恵", "届いた衣類乾燥機が動きません", """
ミナト家電 オンラインショップ御中

高木です。
12月1日に届いた衣類乾燥機「ふわり CD-6」ですが、
設置して電源を入れても表示が一瞬ついてすぐ消えてしまい、まったく動きません。
新品でこれはひどいと思います。

洗濯物がたまって本当に困っています。
すぐに交換品を送ってください。

高木 恵
""", when(2, 19, 45))

T["micro"] = O("micro", "木下 直樹", "電子レンジのオーブン機能の予熱について", """
ミナト家電 お客様相談室 御中

木下と申します。
電子レンジ「ミナトレンジ MW-18」のオーブン機能で、
200℃の予熱にはどのくらい時間がかかりますか。

付属の角皿は2枚同時に使えますか。

よろしくお願いいたします。
木下 直樹
""", when(4, 11, 20), cs="ISO-2022-JP", cte="7bit")

T["iron_en"] = O("iron_en", "Liam Foster", "Can I use tap water in the steam iron?", """
Hello,

I have just bought a Minato Steam Pro IR-6 iron. The manual says to use "suitable water", but it does not say whether ordinary tap water is fine or whether I need distilled water. We have quite hard water here.

Thanks in advance,
Liam Foster
""", when(30, 20, 5, 11), lang="en", cte="7bit")

T["fridge_en"] = O("fridge_en", "Grace Holloway", "Fridge delivered with a dented door", """
Hello,

My new Minato FreshKeep RF-300 fridge was delivered this morning and the right-hand door has a deep dent in it. The delivery men left before I could check the box. This is unacceptable for a brand-new appliance that cost 148,000 yen.

I want a replacement door or a new fridge, and I want it this week.

Grace Holloway
""", when(3, 12, 10), lang="en", cte="7bit")

T["fan"] = O("fan", "松井 健太", "扇風機の首振り角度の調整", """
ミナト家電 お客様相談室 御中

松井と申します。
扇風機「そよ風 EF-30」の首振りの角度は調整できますか。
説明書の12ページを見ても、左右の角度の変え方が分かりませんでした。

お手数ですが、よろしくお願いいたします。
松井 健太
""", when(25, 15, 50, 11))

T["purifier_smell"] = O("purifier_smell", "青木 康介", "空気清浄機から異臭がします", """
ミナト家電 お客様相談室 御中

青木です。
2週間前に買った空気清浄機「クリアエア AP-50」から、
電源を入れるたびに焦げたような臭いがします。
子どもがいる部屋で使っているので、とても不安です。

高い買い物だったのに、こんな製品を売るなんて信じられません。
どう対応してくれるのか、はっきり説明してください。

青木 康介
""", when(5, 8, 40))

T["hotplate"] = O("hotplate", "石田 香織", "ホットプレートのプレートの洗い方", """
ミナト家電 お客様相談室 御中

石田です。ホットプレート「わいわい HP-3」を使っております。
焼肉用プレートの焦げつきがなかなか落ちません。
食器洗い乾燥機で洗っても大丈夫でしょうか。

よろしくお願いいたします。
石田 香織
""", when(26, 19, 0, 11), cs="Shift_JIS", cte="8bit")

T["washer_noise"] = O("washer_noise", "森田 俊介", "修理後も洗濯機の異音が直っていません", """
ミナト家電 お客様相談室 御中

森田です（受付番号 R-20261118-062）。

洗濯機「あらいっこ WM-80」の脱水時の異音で11月20日に修理していただきましたが、
昨日からまた同じ「ガタガタ」という大きな音が出ています。
修理代として8,800円も払ったのに、まったく直っていません。

納得できませんので、無償で再修理してください。

森田 俊介
""", when(27, 20, 30, 11))

T["blender"] = O("blender", "前田 彩花", "ミキサーで氷を砕けますか", """
ミナト家電 お客様相談室 御中

前田です。ミキサー「まぜまぜ BL-7」で、
スムージーを作るときに氷を一緒に入れても大丈夫でしょうか。
一度に入れてよい氷の量の目安も教えてください。

よろしくお願いします。
前田 彩花
""", when(28, 10, 25, 11))

T["coffee_en"] = O("coffee_en", "Emma Wilson", "Milk frother attachment for CM-30", """
Hi,

Is there a milk frother attachment that fits the Minato Barista CM-30? I saw one for the CM-20 in your online shop, but I am not sure whether it fits the newer model.

Thanks,
Emma Wilson
""", when(1, 17, 35), lang="en", cte="7bit")

T["vac_en"] = O("vac_en", "Oliver Grant", "Replacement battery still not shipped", """
Hello,

I ordered a replacement battery for my Cyclone Pro VC-9 on November 20 (order M-20261120-0913) and paid for express delivery. It is now December 2 and the order still says "preparing". Nobody has answered my two emails.

This is really poor service. Please ship the battery today or refund me.

Oliver Grant
""", when(2, 13, 0), lang="en", cte="7bit")

T["ih"] = O("ih", "岡本 千尋", "IH調理器で使える鍋について", """
ミナト家電 お客様相談室 御中

お世話になっております。岡本と申します。

IH調理器「IHクック IH-2」で、直径28cmのフライパンは使えますか。
底が少し丸くなっている土鍋は使えないと聞きましたが、本当でしょうか。

どうぞよろしくお願いいたします。
岡本 千尋
""", when(30, 14, 10, 11), cs="ISO-2022-JP", cte="7bit")

T["toothbrush"] = O("toothbrush", "長谷川 拓也", "電動歯ブラシの替えブラシが届いていません", """
ミナト家電 オンラインショップ御中

長谷川です。
11月25日に電動歯ブラシ「はみがきくん TB-3」の替えブラシを4本注文し、
代金も支払い済みですが、1週間たってもまだ届きません。
発送のお知らせメールも来ていません。

何度も問い合わせフォームから連絡しているのに返事がなく、不信感しかありません。
早く送ってください。

長谷川 拓也
""", when(2, 22, 5), cs="Shift_JIS", cte="8bit")

T["blanket"] = O("blanket", "村上 奈々", "電気毛布の洗濯について", """
ミナト家電 お客様相談室 御中

村上と申します。
電気毛布「ぬくもり EB-1」は、洗濯機で洗えますか。
コントローラーを外したあと、ネットに入れて洗えばよいのでしょうか。

よろしくお願いいたします。
村上 奈々
""", when(6, 9, 50), cs="ISO-2022-JP", cte="7bit")

T["heater_en"] = O("heater_en", "Liam Foster", "Heater timer keeps resetting", """
Hello,

The timer on my Minato WarmWave FH-12 fan heater resets itself every night, so the heater switches on at 5:00 instead of 6:30. I have set it three times now and I am getting really fed up with it; it is the second heater of yours that has done this.

Please tell me how to fix it or replace it.

Liam Foster
""", when(4, 7, 55), lang="en", cte="7bit")

T["humid"] = O("humid", "藤田 浩二", "加湿器の設置場所について", """
ミナト家電 お客様相談室 御中

藤田です。加湿器「うるおいミスト HM-500」を寝室で使う予定です。
床に直接置いても問題ないでしょうか。
また、エアコンの風が当たる場所に置くとよくないと聞きましたが、本当ですか。

藤田 浩二
""", when(1, 22, 15))

T["oven_wrong"] = O("oven_wrong", "中川 由紀", "注文と違う色の商品が届きました", """
ミナト家電 オンラインショップ御中

中川です（注文番号 M-20261127-0236）。

オーブントースター「カリッと TS-5」のホワイトを1台注文したのに、
届いたのはブラックでした。キッチンの色に合わせて選んだのに、がっかりです。
確認メールにもホワイトと書いてあります。

どういうことでしょうか。至急ホワイトと交換してください。

中川 由紀
""", when(30, 21, 10, 11))

T["air_en"] = O("air_en", "Grace Holloway", "Filter replacement interval for AirPure 900", """
Hello,

How often should the HEPA filter in the Minato AirPure 900 be replaced? The filter indicator has not come on yet after eight months, but the filter looks quite grey.

Best regards,
Grace Holloway
""", when(5, 16, 45), lang="en", cte="7bit")

T["shaver"] = O("shaver", "松井 健太", "シェーバーの充電時間について", """
ミナト家電 お客様相談室 御中

松井です。
電気シェーバー「スムースエッジ SV-10」は、
フル充電までに何時間かかりますか。
海外出張で使いたいので、100〜240Vに対応しているかも教えてください。

松井 健太
""", when(7, 12, 0), cs="Shift_JIS", cte="8bit")

T["repair_cancel"] = O("repair_cancel", "木下 直樹", "修理の見積もりが高すぎます", """
ミナト家電 お客様相談室 御中

木下です（受付番号 R-20261201-205）。

エアコン「そよかぜ AC-2810」の修理見積もりが32,000円と届きましたが、
購入からまだ1年3か月しかたっていません。
こんなにすぐ壊れるのに、この金額はおかしいと思います。

きちんと説明してください。納得できなければ修理はお断りします。

木下 直樹
""", when(6, 18, 0), cs="ISO-2022-JP", cte="7bit")

T["kettle_en"] = O("kettle_en", "Emma Wilson", "Kettle leaking from the base", """
Hello,

My Minato KettleOne KT-5 started leaking from the base after only six weeks. There is a puddle on the counter every time I boil water, which is dangerous next to the socket. I am very disappointed.

I would like a replacement as soon as possible.

Emma Wilson
""", when(8, 19, 20), lang="en", cte="7bit")

T["mw_points"] = O("mw_points", "佐藤 美咲", "ポイントが付与されていません", """
ミナト家電 オンラインショップ御中

佐藤です。
11月28日にオンラインショップで電子レンジ「ミナトレンジ MW-22」を購入しましたが、
キャンペーンの2,000ポイントがまだ付与されていません。
キャンペーンページには「購入の翌日に付与」とはっきり書いてありました。

広告と違うのではないですか。きちんと対応してください。

佐藤 美咲
""", when(3, 23, 0))

T["tv_remote"] = O("tv_remote", "酒井 翔", "リモコンの電池の種類について", """
ミナト家電 お客様相談室 御中

酒井と申します。
サーキュレーター「くるくる CF-15」のリモコンの電池が切れました。
使える電池の種類を教えてください。

よろしくお願いします。
酒井 翔
""", when(9, 10, 5))

T["steamer"] = O("steamer", "井上 真由美", "スチームオーブンの給水タンクの掃除", """
ミナト家電 お客様相談室 御中

井上と申します。
スチームオーブン「ミナトクック MR-40」の給水タンクに、
白い水あかのようなものが付いてきました。
お酢やクエン酸で掃除しても大丈夫でしょうか。

よろしくお願いいたします。
井上 真由美
""", when(4, 14, 35), cs="ISO-2022-JP", cte="7bit")

T["delivery_damage"] = O("delivery_damage", "小林 大輔", "届いた掃除機の箱がつぶれていました", """
ミナト家電 オンラインショップ御中

小林です。注文番号 M-20261203-0177 の件です。

本日届いたスティック掃除機「サイクロンプロ VC-9」の箱が大きくつぶれていて、
中の本体にも3か所すり傷がありました。
プレゼント用に買ったので、このままでは渡せません。

ひどすぎます。新しいものとすぐに交換してください。

小林 大輔
""", when(5, 17, 25))

T["gift_en"] = O("gift_en", "Liam Foster", "Gift wrapping for online orders", """
Hello,

Do you offer gift wrapping for orders from your online shop? I would like to send a Minato AirStyle HD-9 hair dryer to my sister in Osaka before December 20.

Many thanks,
Liam Foster
""", when(9, 9, 10), lang="en", cte="7bit")

T["ac_clean"] = O("ac_clean", "高木 恵", "エアコンの内部クリーン機能について", """
ミナト家電 お客様相談室 御中

高木と申します。
エアコン「そよかぜ AC-2510」の「内部クリーン」は、
運転を止めたあと何分くらい動くのでしょうか。
電気代がどのくらいかかるのかも気になっています。

よろしくお願いいたします。
高木 恵
""", when(8, 20, 50))


# ============================================================================ cases
N = "ミナト家電株式会社 お客様相談室の西村でございます。"
ON = "ミナト家電株式会社 お客様相談室の大野でございます。"
HI = "ミナト家電株式会社 お客様相談室の平野でございます。"
SA = "ミナト家電株式会社 お客様相談室の佐々木でございます。"

RICE = """
佐藤 美咲 様

{intro}
お問い合わせいただき、ありがとうございます。

「ふっくら炊き RC-10」の保温は、おいしく召し上がれる目安として12時間までとなっております。
玄米を炊く場合は、内釜の「玄米」の目盛りまで水を入れてください。

引き続きよろしくお願いいたします。
"""
case("01-clean-ja-gmail-trimmed-quote", [], "Clean - rice cooker question, Gmail-ja attribution, quote trimmed to the two question lines, UTF-8 8bit.",
     T["rice"], agent=NISHI, own=RICE.format(intro=N), trim=("保温したまま", "水の量"))
case("02-subject-replaced-by-template", ["subject-changed"], "The subject was replaced by the template 【ミナト家電】お問い合わせありがとうございます.",
     T["rice"], agent=ONO, own=RICE.format(intro=ON), subject="【ミナト家電】お問い合わせありがとうございます", cte="quoted-printable")

KETTLE = """
小林 大輔 様

{intro}
このたびはお問い合わせいただき、ありがとうございます。

「さっと沸く KT-12」には空焚き防止機能がございます。
水が入っていない状態でスイッチを入れた場合、約3秒で自動的に電源が切れます。
本体が冷めてから、水を入れて再度ご使用ください。

よろしくお願いいたします。
"""
case("03-clean-reencoded-subject-iso2022jp-to-utf8", [], "Clean - ISO-2022-JP original, UTF-8 base64 reply with the same subject re-encoded; Thunderbird-ja attribution.",
     T["kettle"], agent=NISHI, own=KETTLE.format(intro=N), attr="tb-ja", cte="base64")
case("04-quote-model-number-changed", ["quote-altered"], "The quoted model number KT-12 became KT-21 in the Thunderbird-ja quote.",
     T["kettle"], agent=ONO, own=KETTLE.format(intro=ON), attr="tb-ja", cs="ISO-2022-JP", edit=[("KT-12", "KT-21")])

DEHUM = """
中川 由紀 様

{intro}
ご購入をご検討いただき、ありがとうございます。

「からっと DH-8」のタンク容量は約3.5リットルです。
満水になると自動で運転を停止し、ランプでお知らせします。
「衣類乾燥」モードを搭載しておりますので、部屋干しにもお使いいただけます。

ご不明な点がございましたら、お気軽にお問い合わせください。
"""
case("05-clean-sjis-original-rewrapped-quote", [], "Clean - Shift_JIS original; UTF-8 QP reply with the quote re-wrapped at new points; name with full-width space in the signature.",
     T["dehum"], agent=NISHI, own=DEHUM.format(intro=N), sig=sig(NISHI, "fw"), cte="quoted-printable",
     trim=("除湿機「からっと", "部屋干し"), rewrap=24)
case("06-signature-missing-team-only", ["signature-missing"], "The signature block is the team's (company and phone) without the sender's name.",
     T["dehum"], agent=ONO, own=DEHUM.format(intro=ON), sig=team_sig_ja())
case("07-clean-sjis-reply-sjis-subject", [], "Clean - Shift_JIS original answered in Shift_JIS 8bit with a Shift_JIS encoded Re: subject; Gmail-ja full quote.",
     T["dehum"], agent=HIRANO, own=DEHUM.format(intro=HI), cs="Shift_JIS", cte="8bit")

FRIDGE = """
井上 真由美 様

{intro}

11月29日にお届け予定だった冷蔵庫「ひえひえ RF-450」が届かず、ご連絡も差し上げなかったため、
井上様には大変なご迷惑をおかけいたしました。
誠に申し訳ございません。

配送業者に確認しましたところ、伝票の日付が誤って登録されておりました。
本日12月1日（火）の14時〜16時にお届けするよう手配いたしました。
ご都合が悪い場合は、本メールにご返信ください。

重ねてお詫び申し上げます。
"""
FRIDGE_NOAP = """
井上 真由美 様

{intro}
ご連絡ありがとうございます。

配送業者に確認しましたところ、伝票の日付が誤って登録されておりました。
本日12月1日（火）の14時〜16時に冷蔵庫「ひえひえ RF-450」をお届けするよう手配いたしました。
ご都合が悪い場合は、本メールにご返信ください。

よろしくお願いいたします。
"""
case("08-clean-complaint-apology-outlook-crlf", [], "Clean - delivery complaint answered with ご迷惑をおかけ and 申し訳ございません; Outlook-ja 元のメッセージ block, RE: prefix, ISO-2022-JP original, UTF-8 QP CRLF reply.",
     T["fridge_late"], agent=ONO, own=FRIDGE.format(intro=ON), attr="outlook-ja", prefix="RE: ", cte="quoted-printable", eol="\r\n", mailer="outlook")
case("09-apology-missing-delivery", ["apology-missing"], "Complaint about a missed delivery answered with the new date but no apology phrase.",
     T["fridge_late"], agent=NISHI, own=FRIDGE_NOAP.format(intro=N), attr="outlook-ja", prefix="RE: ", cte="quoted-printable", eol="\r\n", mailer="outlook")
case("10-two-rules-subject-and-apology-ja", ["subject-changed", "apology-missing"], "Complaint answered without apology and with the subject replaced by the order number.",
     T["fridge_late"], agent=ONO, own=FRIDGE_NOAP.format(intro=ON), subject="ご注文 M-20261122-0458 の配送について", attr="gmail-ja")

ROBOT = """
酒井 翔 様

{intro}
お問い合わせいただき、ありがとうございます。

「おそうじくん RV-5」の充電台は、左右50cm、前方1m以上の空間を空けて、壁に付けて設置してください。
段差は1.5cmまで乗り越えられますので、2cmの段差がある場合はスロープのご使用をおすすめします。

引き続きよろしくお願いいたします。
"""
case("11-clean-ja-html-multipart", [], "Clean - question answered as multipart/alternative with the quote in a Gmail HTML blockquote.",
     T["robot"], agent=NISHI, own=ROBOT.format(intro=N), html=True, cte="quoted-printable")
case("12-quote-number-changed-html", ["quote-altered"], "Gmail HTML reply whose quote (plain and HTML alike) changed the 2cm step to 3cm.",
     T["robot"], agent=ONO, own=ROBOT.format(intro=ON), html=True, cte="quoted-printable", edit=[("2cmある", "3cmある")])
case("13-other-customer-phone", ["other-customer-data"], "The reply tells the customer to expect a call at 090-4411-2233, the phone number of another customer (青木 康介).",
     T["robot"], agent=HIRANO, own=ROBOT.format(intro=HI).replace("引き続き", "設置場所についてご不明な点があれば、担当者より 090-4411-2233 にお電話いたします。\n\n引き続き"))

DRYER = """
高木 恵 様

{intro}

お届けした衣類乾燥機「ふわり CD-6」が動かず、洗濯物がたまってお困りのところ、
多大なご迷惑をおかけしております。誠に申し訳ございません。

初期不良と考えられますので、新しい製品を12月4日（金）にお届けし、
同時に現在の製品を引き取らせていただきます。
設置も配送員が行いますので、そのままお待ちください。
"""
DRYER_NOAP = """
高木 恵 様

{intro}
ご連絡いただき、ありがとうございます。

初期不良と考えられますので、新しい衣類乾燥機「ふわり CD-6」を12月4日（金）にお届けし、
同時に現在の製品を引き取らせていただきます。
設置も配送員が行いますので、そのままお待ちください。
"""
case("14-clean-complaint-apology-base64", [], "Clean - dead-on-arrival complaint answered with ご迷惑をおかけしております and 申し訳ございません; UTF-8 base64, Gmail-ja.",
     T["dryer_broken"], agent=ONO, own=DRYER.format(intro=ON), cte="base64")
case("15-apology-missing-doa", ["apology-missing"], "Dead-on-arrival complaint answered with the exchange date but no apology.",
     T["dryer_broken"], agent=NISHI, own=DRYER_NOAP.format(intro=N), attr="tb-ja", cs="ISO-2022-JP")
case("16-two-rules-apology-and-other-name", ["apology-missing", "other-customer-data"], "No apology for the complaint, and the reply greets the customer as 石田 香織 様, another customer.",
     T["dryer_broken"], agent=HIRANO, own=DRYER_NOAP.format(intro=HI).replace("高木 恵 様", "石田 香織 様"))

MICRO = """
木下 直樹 様

{intro}
お問い合わせいただき、ありがとうございます。

「ミナトレンジ MW-18」のオーブン機能で200℃に予熱する場合、約8分かかります。
付属の角皿は1枚ずつのご使用となります。2段での調理には対応しておりません。

よろしくお願いいたします。
"""
case("17-clean-iso2022jp-both-ways", [], "Clean - ISO-2022-JP original answered in ISO-2022-JP 7bit; Thunderbird-ja attribution; 平野 潤 signs.",
     T["micro"], agent=HIRANO, own=MICRO.format(intro=HI), attr="tb-ja", cs="ISO-2022-JP")
case("18-signature-colleague-template", ["signature-missing"], "From is 大野 里美 but the signature is colleague 西村 光's template.",
     T["micro"], agent=ONO, own=MICRO.format(intro=ON), sig=sig(NISHI))
case("19-two-rules-quote-temperature-and-subject", ["quote-altered", "subject-changed"], "The quoted 200℃ became 180℃ and the subject was replaced by お問い合わせの件.",
     T["micro"], agent=NISHI, own=MICRO.format(intro=N), subject="お問い合わせの件", edit=[("200℃", "180℃")])

IRON = """
Dear Mr. Foster,

Thank you for your question.

Tap water is fine for the Steam Pro IR-6. If your water is hard, we recommend mixing it half and half with distilled water and using the self-clean function once a month, as described on page 9 of the manual.
"""
case("20-clean-en-tb-quote", [], "Clean - English question, Thunderbird-en attribution, full quote, no apology needed.",
     T["iron_en"], agent=HANNAH, own=IRON, attr="tb-en", cte="7bit")
case("21-signature-missing-en", ["signature-missing"], "English reply signed only 'Customer Care Team'; the sender's name is only in From.",
     T["iron_en"], agent=HANNAH, own=IRON, sig="Best regards,\nCustomer Care Team\nMinato Appliances", attr="tb-en", cte="7bit")
case("22-two-rules-en-quote-and-other-email", ["quote-altered", "other-customer-data"], "Quote changed 'quite hard' to 'very hard', and the reply cc's the answer to emma.wilson@example.com in the body.",
     T["iron_en"], agent=HANNAH, own=IRON + "\nI have also sent the manual page to emma.wilson@example.com as you asked.\n", attr="tb-en", cte="7bit",
     edit=[("quite hard", "very hard")])

FRIDGE_EN = """
Dear Ms. Holloway,

{ap}

I have arranged for a new FreshKeep RF-300 to be delivered on Saturday, December 5, between 13:00 and 16:00. The delivery team will take the damaged fridge away at the same time; there is nothing you need to do.
"""
case("23-clean-en-complaint-sorry-html", [], "Clean - English complaint about a dented fridge answered with 'I am very sorry'; multipart/alternative with HTML blockquote.",
     T["fridge_en"], agent=HANNAH, own=FRIDGE_EN.format(ap="I am very sorry that your new fridge arrived damaged."), attr="gmail-en", html=True, cte="quoted-printable")
case("24-apology-missing-en", ["apology-missing"], "English complaint answered with a replacement date but no apology.",
     T["fridge_en"], agent=HANNAH, own=FRIDGE_EN.format(ap="Thank you for letting us know."), attr="gmail-en")
case("25-two-rules-en-subject-and-quote", ["subject-changed", "quote-altered"], "Subject replaced by a case reference and the quoted price 148,000 yen became 128,000 yen.",
     T["fridge_en"], agent=HANNAH, own=FRIDGE_EN.format(ap="We apologise for the damage to your new fridge."), attr="gmail-en",
     subject="Case #F-2207 replacement delivery", edit=[("148,000", "128,000")])

FAN = """
松井 健太 様

{intro}
お問い合わせいただき、ありがとうございます。

「そよ風 EF-30」の首振り角度は、本体背面のつまみで30度・60度・90度の3段階に調整できます。
つまみを引き上げてから回し、お好みの角度で戻してください。

よろしくお願いいたします。
"""
case("26-clean-re-uppercase-prefix", [], "Clean - RE: prefix (Outlook) on an unchanged subject; Gmail-ja quote trimmed; X-Mailer Outlook.",
     T["fan"], agent=SASAKI, own=FAN.format(intro=SA), prefix="RE: ", mailer="outlook", trim=("首振りの角度", "分かりませんでした"))
case("27-subject-gains-forward-prefix", ["subject-changed"], "The reply's subject gained a Fwd: prefix (the agent forwarded the template); Fwd: is not a reply prefix.",
     T["fan"], agent=NISHI, own=FAN.format(intro=N), prefix="Fwd: ")
case("28-quote-page-number-changed", ["quote-altered"], "The quoted manual page 12ページ became 21ページ.",
     T["fan"], agent=ONO, own=FAN.format(intro=ON), edit=[("12ページ", "21ページ")], cte="quoted-printable")

PURIF = """
青木 康介 様

{intro}

2週間前にお買い求めいただいた空気清浄機「クリアエア AP-50」から異臭がするとのこと、
ご不安な思いをおかけし、誠に申し訳ございません。

安全のため、電源プラグを抜いてご使用をお控えください。
明日12月6日（日）に宅配業者が引き取りに伺い、当社で原因を調査いたします。
調査の結果にかかわらず、新しい製品と交換させていただきます。
"""
PURIF_NOAP = PURIF.replace("ご不安な思いをおかけし、誠に申し訳ございません。", "ご連絡ありがとうございます。")
case("29-clean-complaint-apology-hirano", [], "Clean - safety complaint answered with 誠に申し訳ございません; Gmail-ja full quote, UTF-8 QP.",
     T["purifier_smell"], agent=HIRANO, own=PURIF.format(intro=HI), cte="quoted-printable")
case("30-two-rules-apology-and-colleague-signature", ["apology-missing", "signature-missing"], "Safety complaint without apology; From 大野 里美 but the signature is 平野 潤's template.",
     T["purifier_smell"], agent=ONO, own=PURIF_NOAP.format(intro=ON), sig=sig(HIRANO))
case("31-other-customer-id", ["other-customer-data"], "The body cites customer id C-200342, which belongs to another customer (石田 香織).",
     T["purifier_smell"], agent=NISHI, own=PURIF.format(intro=N).replace("当社で原因を調査いたします。", "当社で原因を調査いたします（お客様番号 C-200342）。"))

HOTP = """
石田 香織 様

{intro}
いつも当社製品をご愛用いただき、ありがとうございます。

「わいわい HP-3」のプレートは、食器洗い乾燥機で洗っていただけます。
焦げつきが落ちにくい場合は、ぬるま湯に30分ほどつけてから、柔らかいスポンジで洗ってください。

よろしくお願いいたします。
"""
case("32-clean-sjis-base64-reply", [], "Clean - Shift_JIS original answered in Shift_JIS base64 (subject re-encoded in Shift_JIS); trimmed Gmail-ja quote.",
     T["hotplate"], agent=ONO, own=HOTP.format(intro=ON), cs="Shift_JIS", cte="base64", trim=("焼肉用", "大丈夫"))
case("33-other-customer-name-sama", ["other-customer-data"], "The body mentions 前田様, another customer (surname with honorific), as having asked the same.",
     T["hotplate"], agent=NISHI, own=HOTP.format(intro=N).replace("よろしくお願いいたします。", "先日、前田様からも同じご質問をいただきました。\n\nよろしくお願いいたします。"))
case("34-two-rules-signature-missing-and-cc-customer", ["signature-missing", "other-customer-data"], "No signature at all, and another customer (村上 奈々) is in Cc.",
     T["hotplate"], agent=HIRANO, own=HOTP.format(intro=HI), sig=None, cc=[CUST["村上 奈々"]])

WASH = """
森田 俊介 様

{intro}

11月20日に修理させていただいた洗濯機「あらいっこ WM-80」の異音が再発し、
修理代までお支払いいただいたにもかかわらず、多大なご迷惑をおかけしております。
誠に申し訳ございません。

今回の再修理は無償で対応させていただきます。
12月1日（火）の10時〜12時に、技術担当の責任者がお伺いいたします。
お支払いいただいた修理代8,800円につきましても、調査の結果をふまえてご連絡いたします。
"""
WASH_NOAP = WASH.replace("修理代までお支払いいただいたにもかかわらず、多大なご迷惑をおかけしております。\n誠に申し訳ございません。", "ご連絡いただき、ありがとうございます。")
case("35-clean-complaint-apology-outlook-iso2022jp", [], "Clean - repeat-fault complaint answered with ご迷惑をおかけ and 申し訳ございません; Outlook-ja block, ISO-2022-JP 7bit reply, CRLF.",
     T["washer_noise"], agent=NISHI, own=WASH.format(intro=N), attr="outlook-ja", prefix="RE: ", cs="ISO-2022-JP", eol="\r\n", mailer="outlook")
case("36-two-rules-quote-amount-and-apology", ["quote-altered", "apology-missing"], "The quoted repair fee 8,800円 became 5,800円 in the Outlook block, and the complaint gets no apology.",
     T["washer_noise"], agent=ONO, own=WASH_NOAP.format(intro=ON).replace("お支払いいただいた修理代8,800円", "お支払いいただいた修理代"), attr="outlook-ja", prefix="RE: ", cte="quoted-printable", edit=[("8,800円", "5,800円")])

BLEND = """
前田 彩花 様

{intro}
お問い合わせいただき、ありがとうございます。

「まぜまぜ BL-7」は氷を砕くことができます。
一度に入れる氷は、果物などの材料と合わせて容器の半分（約300g）までを目安にしてください。

よろしくお願いいたします。
"""
case("37-clean-inline-quote", [], "Clean - the quote sits between the greeting and the answer (no attribution), as in example 07; signature at the end.",
     T["blender"], agent=NISHI, attr="inline", own_pre="前田 彩花 様\n\nいつも当社製品をご愛用いただき、ありがとうございます。\n" + N,
     own=BLEND.split("ございます。\n\n", 1)[1], trim=("ミキサー「", "目安も"))
case("38-quote-product-name-changed-inline", ["quote-altered"], "Inline quote where ミキサー became ジューサー.",
     T["blender"], agent=HIRANO, attr="inline", own_pre="前田 彩花 様\n\n" + HI,
     own=BLEND.split("ございます。\n\n", 1)[1], trim=("ミキサー「", "目安も"), edit=[("ミキサー", "ジューサー")])
case("39-other-customer-email", ["other-customer-data"], "The reply says the recipe leaflet was sent to chihiro.okamoto@example.jp, another customer's address.",
     T["blender"], agent=ONO, own=BLEND.format(intro=ON).replace("よろしくお願いいたします。", "レシピ集を chihiro.okamoto@example.jp 宛にお送りしましたので、ご覧ください。\n\nよろしくお願いいたします。"))

COFFEE = """
Hi Emma,

Thank you for your message.

Yes, the frother FA-20 fits both the CM-20 and the CM-30. It costs 4,400 yen in our online shop.
"""
case("40-clean-en-gmail-quote-html", [], "Clean - English question, Gmail-en attribution, multipart with HTML blockquote.",
     T["coffee_en"], agent=HANNAH, own=COFFEE, attr="gmail-en", html=True, cte="quoted-printable")
case("41-subject-replaced-en", ["subject-changed"], "English subject replaced by the shop's template 'Your question to Minato Appliances'.",
     T["coffee_en"], agent=HANNAH, own=COFFEE, attr="tb-en", subject="Your question to Minato Appliances")
case("42-two-rules-en-signature-and-other-phone", ["signature-missing", "other-customer-data"], "No signature, and the reply gives Oliver Grant's phone number 03-6543-2109 as the number to call.",
     T["coffee_en"], agent=HANNAH, own=COFFEE + "\nIf you prefer to order by phone, our shop team will call you back from 03-6543-2109.\n", sig=None, attr="tb-en")

VAC_EN = """
Dear Mr. Grant,

{ap}

Your battery (order M-20261120-0913) was shipped today by express courier and will arrive tomorrow, December 3. The express delivery charge of 1,100 yen has been refunded to your card.
"""
case("43-clean-en-complaint-apologise-crlf", [], "Clean - English complaint about a late order answered with 'We apologise', Gmail-en quote, CRLF.",
     T["vac_en"], agent=HANNAH, own=VAC_EN.format(ap="We apologise for the delay and for not answering your earlier emails."), attr="gmail-en", eol="\r\n")
case("44-two-rules-en-apology-and-other-name", ["apology-missing", "other-customer-data"], "No apology to the complaint, and the greeting is to Mr. Foster, another customer.",
     T["vac_en"], agent=HANNAH, own=VAC_EN.format(ap="Thank you for your patience.").replace("Mr. Grant", "Mr. Foster"), attr="gmail-en")

IH = """
岡本 千尋 様

{intro}
お問い合わせいただき、ありがとうございます。

「IHクック IH-2」では、底の直径が12cm〜26cmの平らな鍋をお使いいただけます。
直径28cmのフライパンは加熱にむらが出るため、おすすめしておりません。
底が丸い土鍋は、ご使用いただけません。

よろしくお願いいたします。
"""
case("45-clean-reply-with-own-customer-data", [], "Clean - the reply repeats the recipient's own e-mail address (her own data is not another customer's); ISO-2022-JP original, UTF-8 reply.",
     T["ih"], agent=NISHI, own=IH.format(intro=N).replace("よろしくお願いいたします。", "対応鍋の一覧を chihiro.okamoto@example.jp 宛に別途お送りしました。\n\nよろしくお願いいたします。"), attr="gmail-ja", trim=("IH調理器", "本当でしょうか"))
case("46-quote-size-changed", ["quote-altered"], "The quoted 直径28cm became 直径26cm.",
     T["ih"], agent=SASAKI, own=IH.format(intro=SA), attr="tb-ja", cs="ISO-2022-JP", edit=[("28cm", "26cm")])

TOOTH = """
長谷川 拓也 様

{intro}

ご注文いただいた替えブラシの発送が遅れ、お問い合わせへのご返信もできておらず、
大変ご迷惑をおかけいたしました。深くお詫び申し上げます。

本日12月3日（木）に速達で発送いたしました。明日中にお届けの予定です。
"""
TOOTH_NOAP = """
長谷川 拓也 様

{intro}
お問い合わせありがとうございます。

ご注文いただいた「はみがきくん TB-3」の替えブラシは、
本日12月3日（木）に速達で発送いたしました。明日中にお届けの予定です。
"""
case("47-clean-complaint-owabi-sjis", [], "Clean - complaint about an undelivered order answered with お詫び申し上げます; Shift_JIS original, ISO-2022-JP reply, Thunderbird-ja.",
     T["toothbrush"], agent=NISHI, own=TOOTH.format(intro=N), attr="tb-ja", cs="ISO-2022-JP")
case("48-two-rules-quote-quantity-and-apology", ["quote-altered", "apology-missing"], "The quoted 4本 became 2本 and the complaint is answered without apology.",
     T["toothbrush"], agent=ONO, own=TOOTH_NOAP.format(intro=ON), edit=[("4本", "2本")])

BLANKET = """
村上 奈々 様

{intro}
お問い合わせいただき、ありがとうございます。

「ぬくもり EB-1」は、コントローラーを外せば洗濯機で洗っていただけます。
大きめの洗濯ネットに入れ、「手洗い」または「ドライ」コースをお選びください。
乾燥機はご使用にならず、陰干ししてください。

よろしくお願いいたします。
"""
case("49-clean-henshin-prefix-iso2022jp", [], "Clean - 返信: prefix on an unchanged subject, ISO-2022-JP both ways, quote trimmed.",
     T["blanket"], agent=ONO, own=BLANKET.format(intro=ON), prefix="", subject="返信: 電気毛布の洗濯について", cs="ISO-2022-JP", trim=("電気毛布「", "ネットに入れて"))
case("50-subject-truncated", ["subject-changed"], "The subject was shortened to 電気毛布の件.",
     T["blanket"], agent=NISHI, own=BLANKET.format(intro=N), subject="電気毛布の件", attr="tb-ja", cs="ISO-2022-JP")

HEATER = """
Dear Mr. Foster,

{ap}

Please press and hold the TIMER and MODE buttons together for five seconds; this resets the clock chip, and the timer will then keep its setting. If it resets again, we will replace the heater free of charge.
"""
case("51-clean-en-complaint-apologies", [], "Clean - English complaint answered with 'Please accept our apologies'; Thunderbird-en quote.",
     T["heater_en"], agent=HANNAH, own=HEATER.format(ap="Please accept our apologies for the trouble with your heater."), attr="tb-en")
case("52-two-rules-en-subject-and-signature", ["subject-changed", "signature-missing"], "Subject replaced by 'Re: Timer issue' and no signature with the sender's name.",
     T["heater_en"], agent=HANNAH, own=HEATER.format(ap="We are sorry about the trouble with your heater."), subject="Timer issue", sig="Minato Appliances Customer Care", attr="tb-en")

HUMID = """
藤田 浩二 様

{intro}
お問い合わせいただき、ありがとうございます。

「うるおいミスト HM-500」は床に直接置いてお使いいただけますが、
床から30cm以上の高さの台に置くと、お部屋全体に潤いが広がりやすくなります。
エアコンの風が直接当たると湿度を正しく測れないため、風の当たらない場所をおすすめします。

よろしくお願いいたします。
"""
case("53-clean-surname-in-place-name", [], "Clean - the reply names the 森田町サービスセンター; a surname inside a place name is not another customer.",
     T["humid"], agent=NISHI, own=HUMID.format(intro=N).replace("よろしくお願いいたします。", "実物は森田町サービスセンターの展示コーナーでもご覧いただけます。\n\nよろしくお願いいたします。"))
case("54-two-rules-subject-and-other-email", ["subject-changed", "other-customer-data"], "Subject replaced by 加湿器のご案内 and the reply mentions ayaka.maeda@example.com.",
     T["humid"], agent=ONO, own=HUMID.format(intro=ON).replace("よろしくお願いいたします。", "取扱説明書のPDFを ayaka.maeda@example.com にお送りしました。\n\nよろしくお願いいたします。"), subject="加湿器のご案内")

OVEN = """
中川 由紀 様

{intro}

ご注文と異なる色の商品をお届けしてしまい、大変失礼いたしました。

ホワイトの「カリッと TS-5」を12月2日（水）にお届けし、その際にブラックの商品を引き取らせていただきます。
"""
case("55-clean-complaint-shitsurei-html", [], "Clean - wrong-colour complaint answered with 大変失礼いたしました; multipart with HTML blockquote, CRLF.",
     T["oven_wrong"], agent=HIRANO, own=OVEN.format(intro=HI), html=True, cte="quoted-printable", eol="\r\n")
case("56-two-rules-signature-missing-and-apology", ["signature-missing", "apology-missing"], "Wrong-colour complaint answered without apology and without any signature.",
     T["oven_wrong"], agent=NISHI, own=OVEN.format(intro=N).replace("ご注文と異なる色の商品をお届けしてしまい、大変失礼いたしました。", "ご連絡ありがとうございます。"), sig=None)

AIR = """
Dear Ms. Holloway,

Thank you for your question.

We recommend replacing the HEPA filter of the AirPure 900 once a year, even if the indicator has not come on. A grey surface is normal; the filter still works until the indicator lights up.
"""
case("57-clean-en-rewrapped-quote", [], "Clean - English question; the Thunderbird-en quote is re-wrapped at 60 columns.",
     T["air_en"], agent=HANNAH, own=AIR, attr="tb-en", rewrap=60)
case("58-quote-en-months-changed", ["quote-altered"], "The quoted 'eight months' became 'six months'.",
     T["air_en"], agent=HANNAH, own=AIR, attr="gmail-en", edit=[("eight months", "six months")])

SHAVER = """
松井 健太 様

{intro}
お問い合わせいただき、ありがとうございます。

「スムースエッジ SV-10」のフル充電は約1時間です。
充電アダプターは100〜240Vに対応しておりますので、海外でもお使いいただけます。
ただし、国によってはプラグの変換アダプターが必要です。

よろしくお願いいたします。
"""
case("59-clean-fullwidth-space-greeting", [], "Clean - greeting and signature names written with a full-width space; Shift_JIS original, UTF-8 8bit reply.",
     T["shaver"], agent=ONO, own=SHAVER.format(intro=ON).replace("松井 健太 様", "松井　健太 様"), sig=sig(ONO, "fw"))
case("60-other-customer-fullwidth-phone", ["other-customer-data"], "The reply gives ０８０ ６６２２ ７７８８ (full-width digits, spaces) - 石田 香織's phone - as the callback number.",
     T["shaver"], agent=NISHI, own=SHAVER.format(intro=N).replace("よろしくお願いいたします。", "詳しくは担当より ０８０ ６６２２ ７７８８ の番号でお電話いたします。\n\nよろしくお願いいたします。"))

REPAIR = """
木下 直樹 様

{intro}

修理のお見積もりについて、ご説明が不十分でご不快な思いをおかけし、申し訳ございません。

「そよかぜ AC-2810」の保証期間は1年間ですが、今回の故障は室外機の部品の不具合によるものと確認できましたので、
特別保証として修理費用を全額当社で負担させていただきます。
"""
case("61-clean-complaint-iso2022jp-gmail", [], "Clean - complaint about a repair quote answered with 申し訳ございません; ISO-2022-JP original, UTF-8 QP reply.",
     T["repair_cancel"], agent=SASAKI, own=REPAIR.format(intro=SA), cte="quoted-printable")
case("62-two-rules-quote-model-and-other-name", ["quote-altered", "other-customer-data"], "The quoted model AC-2810 became AC-2180 and the body refers to 岡本様's earlier case.",
     T["repair_cancel"], agent=HIRANO, own=REPAIR.format(intro=HI).replace("負担させていただきます。", "負担させていただきます。\n岡本様の件と同じ部品の不具合です。"), edit=[("AC-2810", "AC-2180")])

KETTLE_EN = """
Dear Ms. Wilson,

{ap}

A new KettleOne KT-5 will be sent to you on Thursday, December 10. Please stop using the leaking kettle; the courier will take it back when the new one arrives.
"""
case("63-clean-en-complaint-apologize-base64", [], "Clean - leaking-kettle complaint answered with 'We apologize'; UTF-8 base64, Thunderbird-en.",
     T["kettle_en"], agent=HANNAH, own=KETTLE_EN.format(ap="We apologize for the leak; you were right to be worried."), attr="tb-en", cte="base64")
case("64-two-rules-en-quote-and-apology", ["quote-altered", "apology-missing"], "'six weeks' became 'six months' in the quote and the complaint is not apologised for.",
     T["kettle_en"], agent=HANNAH, own=KETTLE_EN.format(ap="Thank you for your email."), attr="tb-en", edit=[("six weeks", "six months")])

POINTS = """
佐藤 美咲 様

{intro}

キャンペーンポイントの付与が遅れており、ご迷惑をおかけして申し訳ございません。

システムの不具合により、11月28日のご注文分の付与が遅れておりました。
本日、2,000ポイントを付与いたしましたので、マイページでご確認ください。
"""
case("65-clean-complaint-gmail-trimmed", [], "Clean - points complaint answered with ご迷惑をおかけして申し訳ございません; quote trimmed to the key lines.",
     T["mw_points"], agent=NISHI, own=POINTS.format(intro=N), trim=("11月28日", "はっきり"))
case("66-two-rules-subject-and-other-customer-id", ["subject-changed", "other-customer-data"], "Subject replaced by ポイント付与のお知らせ, and the body shows customer id C-202087 (小林 大輔).",
     T["mw_points"], agent=ONO, own=POINTS.format(intro=ON).replace("マイページ", "マイページ（会員番号 C-202087）"), subject="ポイント付与のお知らせ")

CIRC = """
酒井 翔 様

{intro}
お問い合わせいただき、ありがとうございます。

「くるくる CF-15」のリモコンには、単4形のアルカリ乾電池を2本お使いください。
マンガン乾電池もお使いいただけますが、電池の持ちが短くなります。

よろしくお願いいたします。
"""
case("67-clean-crlf-qp-hirano", [], "Clean - short question, UTF-8 QP, CRLF, Gmail-ja full quote, 平野 潤 signs.",
     T["tv_remote"], agent=HIRANO, own=CIRC.format(intro=HI), cte="quoted-printable", eol="\r\n")
case("68-signature-missing-ja", ["signature-missing"], "Japanese reply that ends without any signature block.",
     T["tv_remote"], agent=ONO, own=CIRC.format(intro=ON), sig=None)

DAMAGE = """
小林 大輔 様

{intro}

プレゼント用にお買い求めいただいた「サイクロンプロ VC-9」を傷のついた状態でお届けしてしまい、
誠に申し訳ございません。

新しい製品を12月7日（月）にお届けし、同時に傷のある製品を引き取らせていただきます。
"""
case("69-clean-complaint-sasaki-tb-ja", [], "Clean - damaged-delivery complaint answered with 誠に申し訳ございません; Thunderbird-ja quote.",
     T["delivery_damage"], agent=SASAKI, own=DAMAGE.format(intro=SA), attr="tb-ja")
case("70-two-rules-signature-and-quote", ["signature-missing", "quote-altered"], "3か所 became 1か所 in the quote, and the reply is signed with 西村 光's template while From is 平野 潤.",
     T["delivery_damage"], agent=HIRANO, own=DAMAGE.format(intro=HI), sig=sig(NISHI), edit=[("3か所", "1か所")])


def main() -> None:
    for p in HERE.iterdir():
        if p.is_dir() and (p / "expect.yaml").exists():
            shutil.rmtree(p)
    with open(HERE / "customers.csv", "w", encoding="utf-8", newline="") as f:
        f.write("name,email,phone,customer_id\n")
        for row in BASE + ADDED:
            f.write(",".join(row) + "\n")
    for name, rules, why, o, r in CASES:
        d = HERE / name
        d.mkdir(exist_ok=True)
        (d / "original.eml").write_bytes(original(o))
        (d / "reply.eml").write_bytes(reply(o, r))
        todo = "todo: true\n" if name in TODO else ""
        (d / "expect.yaml").write_text(
            f"action: {'reject' if rules else 'accept'}\nrules: [{', '.join(rules)}]\nwhy: {why}\n{todo}",
            encoding="utf-8")
    print(f"{len(CASES)} cases written to {HERE}")


if __name__ == "__main__":
    main()
