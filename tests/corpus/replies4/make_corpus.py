#!/usr/bin/env python3
"""Generate the fourth reply corpus (run once; the output is committed).

    python3 tests/corpus/replies4/make_corpus.py

Stresses `apology-missing` on the borderline of the complaint classifier, in the shape of
shared/examples/replies. All wire helpers (headers, charsets, encodings, quote styles,
agents, signatures, customers) are imported from tests/corpus/replies3/make_corpus.py; this
file only adds content:

* polite / indirect complaints (ja keigo: 届いておりません, 動作しなくなりました,
  請求が二重になっているようです, 前回の回答と違う; en polite), each answered once with an
  apology (clean) and once without (apology-missing);
* plain questions carrying problem-ish words (care, hypotheticals, manuals, compatibility,
  "is it normal that…", pre-purchase, the customer's own mistake), answered without an
  apology: they must stay clean.

Expectations follow shared/DESIGN.md and the labelling guideline at the top of
tests/fixtures/classify/eval.yaml; debatable items are left out. Standard library only;
deterministic.
"""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("corpus3_make", HERE.parent / "replies3" / "make_corpus.py")
c3 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(c3)

O, when, sig = c3.O, c3.when, c3.sig
NISHI, ONO, HANNAH, HIRANO, SASAKI = c3.NISHI, c3.ONO, c3.HANNAH, c3.HIRANO, c3.SASAKI
INTRO = {NISHI: c3.N, ONO: c3.ON, HIRANO: c3.HI, SASAKI: c3.SA}

CASES: list[tuple[str, list[str], str, dict, dict]] = []
# Known engine gaps (xfail until fixed).
TODO: set[str] = set()


def case(name, rules, why, o, **r):
    CASES.append((name, rules, why, o, r))


def own_ja(o, agent, body, apology=None):
    greet = f"{o['cust'][0]} 様"
    first = apology if apology else "お問い合わせいただき、ありがとうございます。"
    return f"{greet}\n\n{INTRO[agent]}\n{first}\n\n{body.strip()}\n\nよろしくお願いいたします。\n"


def own_en(o, body, apology=None):
    last = o["cust"][0].split()[-1]
    title = "Ms." if o["cust"][0] in ("Emma Wilson", "Grace Holloway") else "Mr."
    first = apology if apology else "Thank you for contacting Minato Appliances."
    return f"Dear {title} {last},\n\n{first}\n\n{body.strip()}\n"


# ============================================================================ polite complaints
# key: (original, answer body, apology sentence, agent, extra reply options)
C = {}
C["humid_late"] = (O("humid_late", "青木 康介", "注文した加湿器について", """
ミナト家電 オンラインショップ御中

いつもお世話になっております。青木と申します。

12月1日に注文いたしました加湿器「うるおい HM-3」ですが、
お届け予定日の12月4日を過ぎましたが、まだ届いておりません。
お手数をおかけしますが、ご確認いただけますでしょうか。

よろしくお願いいたします。
青木 康介
""", when(6, 10, 5)),
    "配送業者に確認いたしましたところ、配送センターで荷物の仕分けに誤りがございました。\n本日発送し直し、12月8日（火）の午前中にお届けいたします。",
    "お届けが遅れており、ご迷惑をおかけして申し訳ございません。", NISHI, {})

C["vac_stopped"] = (O("vac_stopped", "石田 香織", "掃除機の件でご相談です", """
ミナト家電 お客様相談室 御中

お世話になっております。石田です。

9月に購入したコードレス掃除機「サイクロンプロ VC-9」が、
先週から充電しても動作しなくなりました。
充電ランプは点灯しております。
どのようにすればよろしいでしょうか。

石田 香織
""", when(7, 14, 30), cs="ISO-2022-JP", cte="7bit"),
    "保証期間内ですので、無償で点検・修理いたします。\n同封の返送用伝票で製品をお送りいただければ、到着から1週間ほどでお返しいたします。",
    "ご不便をおかけし、誠に申し訳ございません。", ONO, {"attr": "tb-ja"})

C["double_charge"] = (O("double_charge", "森田 俊介", "ご請求について", """
ミナト家電 オンラインショップ御中

いつもお世話になっております。森田でございます。

先日、注文番号 M-20261203-0112 で電気ケトルを購入いたしました。
本日カードの利用明細を確認しましたところ、
同じ金額で請求が二重になっているようです。
お忙しいところ恐縮ですが、ご確認をお願いできますでしょうか。

森田 俊介
""", when(8, 9, 40)),
    "確認いたしましたところ、決済システムの処理で同じご注文が2回計上されておりました。\n重複分の4,980円は本日取り消しの手続きをいたしました。カード会社の処理により、明細への反映は翌月になる場合がございます。",
    "二重にご請求してしまい、大変申し訳ございません。", HIRANO, {"cte": "quoted-printable"})

C["answer_differs"] = (O("answer_differs", "前田 彩花", "修理料金についての確認", """
ミナト家電 お客様相談室 御中

お世話になっております。前田です。

冷蔵庫の修理料金について、11月30日にメールでいただいたご回答では
出張費込みで8,800円とのことでしたが、
昨日お電話で伺った際には出張費が別途3,300円かかると言われました。
前回の回答と違うようなのですが、どちらが正しいのでしょうか。

前田 彩花
""", when(8, 16, 10), cs="Shift_JIS", cte="8bit"),
    "正しい料金は、出張費込みの8,800円です。\nお電話でのご案内は、保証対象外の場合の料金表をもとにしたものでした。担当者へも正しい料金を共有いたしました。",
    "ご案内に食い違いがあり、ご迷惑をおかけして申し訳ございません。", SASAKI, {})

C["wrong_color"] = (O("wrong_color", "藤田 浩二", "届いた商品の色について", """
ミナト家電 オンラインショップ御中

藤田と申します。

本日、トースター「こんがり TS-2」を受け取りました。
注文時にはホワイトを選んでおりましたが、届いたのはブラックでした。
お手数ですが、交換していただくことは可能でしょうか。

どうぞよろしくお願いいたします。
藤田 浩二
""", when(9, 12, 0)),
    "ホワイトの「こんがり TS-2」を12月11日（金）にお届けいたします。\nお届けの際に、配送業者がブラックの製品を引き取りにまいります。",
    "ご注文と異なる色の商品をお届けしてしまい、申し訳ございません。", NISHI, {"trim": ("本日", "交換")})

C["cup_missing"] = (O("cup_missing", "岡本 千尋", "付属品について", """
ミナト家電 お客様相談室 御中

お世話になっております。岡本です。

先日届いたミキサー「まぜまぜ MX-4」ですが、
取扱説明書に記載のある計量カップが箱に入っておりませんでした。
念のため梱包材の中も探しましたが見当たりませんでした。
お送りいただくことはできますでしょうか。

岡本 千尋
""", when(10, 20, 15), cs="ISO-2022-JP", cte="7bit"),
    "計量カップを本日発送いたしました。12月12日（土）ごろお手元に届く予定です。",
    "付属品が不足しており、大変申し訳ございません。", ONO, {})

C["no_reply"] = (O("no_reply", "長谷川 拓也", "先日の問い合わせの件", """
ミナト家電 お客様相談室 御中

長谷川です。

12月2日にお問い合わせフォームから、エアコンの取り付け工事の日程について
ご相談いたしましたが、まだお返事をいただいておりません。
工事の日程を決めたいので、ご連絡をいただけますと助かります。

長谷川 拓也
""", when(10, 9, 0)),
    "取り付け工事は、12月15日（火）・16日（水）・18日（金）のいずれかで承れます。\nご都合のよい日をお知らせください。",
    "ご返信が遅くなり、ご迷惑をおかけいたしました。お詫び申し上げます。", HIRANO, {"attr": "outlook-ja", "prefix": "RE: ", "mailer": "outlook"})

C["refund_late"] = (O("refund_late", "村上 奈々", "返金について", """
ミナト家電 オンラインショップ御中

いつもお世話になっております。村上と申します。

11月20日に返品いたしましたヘアドライヤーの返金が、
まだ口座に反映されていないようです。
返品受付のメールでは1週間ほどで返金とのご案内でした。
お手数ですが、状況を確認していただけますでしょうか。

村上 奈々
""", when(11, 13, 25), cs="Shift_JIS", cte="8bit"),
    "確認いたしましたところ、返金の手続きが止まっておりました。\n本日、7,980円を返金いたしましたので、2〜3営業日で口座に反映されます。",
    "ご返金が遅れており、誠に申し訳ございません。", SASAKI, {"attr": "tb-ja"})

C["fan_rattle"] = (O("fan_rattle", "佐藤 美咲", "扇風機の音について", """
ミナト家電 お客様相談室 御中

佐藤と申します。

先週購入したばかりのサーキュレーター「くるくる CF-15」ですが、
首振りをするたびにカタカタと音がするようになりました。
平らな床に置いて使っております。
一度見ていただくことはできますでしょうか。

佐藤 美咲
""", when(12, 11, 45)),
    "首振りの部品の取り付け不良と思われます。\n交換品を12月15日（火）にお届けし、お手元の製品はその際に引き取らせていただきます。",
    "お使いいただいたばかりの製品で、ご不便をおかけして申し訳ございません。", NISHI, {})

C["tech_noshow"] = (O("tech_noshow", "小林 大輔", "修理訪問の件", """
ミナト家電 修理受付センター御中

お世話になっております。小林です。

本日12月12日の13時〜15時に洗濯機の修理で訪問していただく予定でしたが、
16時を過ぎてもどなたもいらっしゃいませんでした。
何かご事情があったのかもしれませんが、改めて日程を調整していただけますか。

小林 大輔
""", when(12, 16, 30), cs="ISO-2022-JP", cte="7bit"),
    "担当の技術員の予定の登録に誤りがございました。\n改めて12月14日（月）の13時〜15時に伺います。ご都合が悪い場合はお知らせください。",
    "お約束の時間に伺えず、大変申し訳ございませんでした。", ONO, {"cte": "base64"})

C["after_cancel"] = (O("after_cancel", "中川 由紀", "定期便の請求について", """
ミナト家電 オンラインショップ御中

中川と申します。

浄水器カートリッジの定期便は10月末に解約の手続きをいたしましたが、
12月分の請求が来ておりました。
解約の手続きが完了していなかったのでしょうか。
ご確認のほど、よろしくお願いいたします。

中川 由紀
""", when(13, 10, 20), cs="Shift_JIS", cte="8bit"),
    "解約のお手続きは10月31日に受け付けておりましたが、システムへの反映が漏れておりました。\n12月分の2,400円は取り消しいたしました。",
    "解約後にご請求してしまい、誠に申し訳ございません。", HIRANO, {})

C["app_update"] = (O("app_update", "松井 健太", "アプリの接続について", """
ミナト家電 お客様相談室 御中

お世話になっております。松井です。

先日「ミナトリンク」アプリを最新版に更新してから、
エアコン「そよかぜ AC-2810」に接続できなくなりました。
スマートフォンの再起動も試しましたが、変わりませんでした。
何か設定が必要でしょうか。

松井 健太
""", when(13, 21, 0)),
    "最新版のアプリに接続の不具合があることを確認いたしました。\n12月16日に修正版を公開いたしますので、更新後にもう一度お試しください。",
    "ご不便をおかけしており、申し訳ございません。", SASAKI, {"cte": "quoted-printable", "eol": "\r\n"})

C["en_late"] = (O("en_late", "Emma Wilson", "Order M-20261201-0733", """
Dear Minato Appliances,

I hope this finds you well.

I ordered a KettleOne KT-5 on December 1 and the confirmation said it would arrive by December 5.
It has not arrived yet, and the tracking page has not changed since December 3.
Would you mind checking where it is?

Kind regards,
Emma Wilson
""", when(8, 19, 5), lang="en"),
    "The parcel was held at the courier's depot because of a labelling error. It has now been sent on and will arrive on Thursday, December 10.",
    "We are sorry that your order is late.", HANNAH, {"attr": "gmail-en"})

C["en_stopped"] = (O("en_stopped", "Oliver Grant", "Toaster heating on one side only", """
Hello,

I bought a Crisp TS-2 toaster from your online shop in November.
Since last weekend it has stopped heating on the left side; the right side still works.
Could you let me know what I should do?

Many thanks,
Oliver Grant
""", when(9, 8, 50), lang="en"),
    "The toaster is under warranty. A courier will collect it on Friday, December 11, and a replacement will be sent the same day.",
    "We apologize for the trouble with your toaster.", HANNAH, {"attr": "tb-en"})

C["en_double"] = (O("en_double", "Liam Foster", "Payment for order M-20261204-0291", """
Dear Customer Care,

It seems I have been charged twice for order M-20261204-0291 (a Minato rice cooker).
Both charges of 12,800 yen appear on my card statement.
Could you kindly look into it?

Best regards,
Liam Foster
""", when(10, 22, 10), lang="en"),
    "We found that the payment was taken twice. The second charge of 12,800 yen has been refunded today; it will appear on your statement within a week.",
    "We apologise for the double charge.", HANNAH, {"attr": "gmail-en", "html": True})

C["en_differs"] = (O("en_differs", "Grace Holloway", "Warranty period of my air purifier", """
Hello,

Your email of November 28 said that my AirPure 900 has a three-year warranty.
However, the person I spoke to on the phone yesterday told me it is only one year.
The answer seems to differ from the previous one. Which is correct?

Thank you,
Grace Holloway
""", when(11, 15, 40), lang="en"),
    "The AirPure 900 has a three-year warranty, as our email said. We have corrected the information our phone team uses.",
    "We are sorry for the confusing information.", HANNAH, {"attr": "tb-en"})

C["en_missing"] = (O("en_missing", "Emma Wilson", "Filter not in the box", """
Dear Minato Appliances,

My AirPure 900 arrived today, thank you.
Unfortunately the HEPA filter that should come with it was not in the box.
Could you send one, please?

Kind regards,
Emma Wilson
""", when(14, 18, 0), lang="en"),
    "A HEPA filter has been sent today by express post and will arrive tomorrow.",
    "We apologize that the filter was missing.", HANNAH, {"attr": "gmail-en"})

n = 1
for key, (o, body, ap, agent, extra) in C.items():
    en = o["lang"] == "en"
    mk = (lambda a: own_en(o, body, a)) if en else (lambda a: own_ja(o, agent, body, a))
    case(f"{n:02d}-clean-polite-complaint-{key.replace('_', '-')}", [],
         f"Clean - polite complaint ({key}) answered with an apology: {ap}", o, agent=agent, own=mk(ap), **extra)
    n += 1
    alt = NISHI if agent == SASAKI else (HIRANO if agent == ONO else agent)
    if not en:
        alt = alt if alt != agent else ONO
    case(f"{n:02d}-apology-missing-polite-complaint-{key.replace('_', '-')}", ["apology-missing"],
         f"Polite complaint ({key}) answered with the remedy but no apology phrase.",
         o, agent=alt, own=(own_en(o, body) if en else own_ja(o, alt, body)), **extra)
    n += 1

# ============================================================================ questions with problem words
Q = {}
Q["pot_care"] = (O("pot_care", "酒井 翔", "内釜のお手入れについて", """
ミナト家電 お客様相談室 御中

酒井です。炊飯器「ふっくら炊き RC-10」を使っています。
内釜のコーティングが剥がれないようにするには、
どのようにお手入れすればよいでしょうか。
金属のたわしは使わない方がよいですか。

酒井 翔
""", when(3, 20, 0)),
    "内釜は、柔らかいスポンジと台所用の中性洗剤で洗ってください。\n金属たわしや研磨剤入りのスポンジは、コーティングを傷めるためお使いにならないでください。", NISHI, {})

Q["warranty_if"] = (O("warranty_if", "高木 恵", "保証について教えてください", """
ミナト家電 お客様相談室 御中

高木と申します。
洗濯乾燥機「ふわり WD-9」の購入を考えています。
万が一、保証期間中に故障した場合は、無償で修理していただけるのでしょうか。
また、延長保証に入ることはできますか。

よろしくお願いいたします。
高木 恵
""", when(4, 12, 30), cs="ISO-2022-JP", cte="7bit"),
    "保証期間（1年間）中に通常のご使用で故障した場合は、無償で修理いたします。\nご購入から30日以内であれば、5年間の延長保証にお申し込みいただけます。", ONO, {})

Q["manual_noise"] = (O("manual_noise", "木下 直樹", "取扱説明書の記載について", """
ミナト家電 お客様相談室 御中

木下です。
食器洗い乾燥機「ピカッと DW-5」の取扱説明書に、
「異音がする場合は使用を中止してください」と書かれていますが、
運転中のどのような音が異音にあたるのでしょうか。
今のところ問題なく使えています。

木下 直樹
""", when(5, 9, 10)),
    "給水や排水の「ザー」という音、ノズルが回る音は通常の運転音です。\n金属がこすれるような高い音が続く場合は、使用を中止してご連絡ください。", HIRANO, {})

Q["ios_compat"] = (O("ios_compat", "佐藤 美咲", "アプリの対応機種について", """
ミナト家電 お客様相談室 御中

佐藤と申します。
スマートフォンを買い替える予定です。
「ミナトリンク」アプリは iOS 18 で使えますか。
新しい機種で接続できない場合は、どうすればよいでしょうか。

佐藤 美咲
""", when(5, 21, 15)),
    "「ミナトリンク」アプリは iOS 16 以降に対応しておりますので、iOS 18 でもお使いいただけます。\n機種変更後は、アプリにログインし直すと、登録済みの製品がそのまま表示されます。", SASAKI, {})

Q["smell_normal"] = (O("smell_normal", "小林 大輔", "オーブンレンジの使い始めについて", """
ミナト家電 お客様相談室 御中

小林です。
オーブンレンジ「ミナトレンジ MW-18」を使い始める前に、
空焼きが必要だと説明書で読みました。
空焼きのときに少しにおいや煙が出ることがあると書いてありますが、
何回くらい空焼きをすればよいでしょうか。

小林 大輔
""", when(6, 15, 0), cs="Shift_JIS", cte="8bit"),
    "空焼きは、オーブン250℃で20分を1回行っていただければ十分です。\n窓を開けて換気しながら行ってください。", NISHI, {})

Q["leak_prepurchase"] = (O("leak_prepurchase", "中川 由紀", "食器洗い機の購入前の質問", """
ミナト家電 お客様相談室 御中

中川と申します。
食器洗い乾燥機「ピカッと DW-5」の購入を検討しております。
賃貸のマンションなので、水漏れが心配です。
水漏れを検知して止める機能はついていますか。
また、分岐水栓の取り付けもお願いできますか。

中川 由紀
""", when(7, 10, 30)),
    "「ピカッと DW-5」には、本体の底で水漏れを検知すると給水を止める機能がついております。\n分岐水栓の取り付けは、設置工事（税込5,500円）とあわせて承ります。", ONO, {"attr": "tb-ja"})

Q["cord_own"] = (O("cord_own", "井上 真由美", "電源コードの修理について", """
ミナト家電 お客様相談室 御中

井上と申します。
私の不注意で、ヘアドライヤー「そよ風 HD-7」の電源コードを
椅子の脚で挟んでしまい、被覆に傷をつけてしまいました。
危ないので使うのはやめています。
修理はお願いできますか。費用も教えてください。

井上 真由美
""", when(8, 13, 45), cs="ISO-2022-JP", cte="7bit"),
    "電源コードの交換修理を承ります。費用は部品代と技術料をあわせて3,300円（税込）です。\n使用を止めていただいたのは正しいご判断です。修理品は着払いでお送りください。", HIRANO, {})

Q["address_own"] = (O("address_own", "松井 健太", "届け先の変更について", """
ミナト家電 オンラインショップ御中

松井です。
本日注文した電気ケトル（注文番号 M-20261209-0345）ですが、
私が届け先の住所の番地を間違えて入力してしまいました。
正しくは「3-12-5」です。
まだ変更は間に合いますでしょうか。

松井 健太
""", when(9, 11, 20)),
    "まだ出荷前でしたので、お届け先の番地を「3-12-5」に変更いたしました。\nお届け予定日は変わらず、12月11日（金）です。", SASAKI, {})

Q["redelivery_if"] = (O("redelivery_if", "青木 康介", "配送日時の指定について", """
ミナト家電 オンラインショップ御中

青木です。
冷蔵庫の配送を予約しましたが、当日仕事が長引いて家にいられなかった場合、
荷物を受け取れないときはどうなりますか。
再配達の日時はこちらから指定できますか。

青木 康介
""", when(10, 8, 30), cs="Shift_JIS", cte="8bit"),
    "ご不在の場合は不在票が入りますので、記載の番号から再配達の日時をご指定ください。\n大型家電は設置を伴うため、前日までにご連絡いただければ配送日を変更することもできます。", NISHI, {})

Q["filter_care"] = (O("filter_care", "岡本 千尋", "フィルターの掃除について", """
ミナト家電 お客様相談室 御中

岡本です。
エアコン「そよかぜ AC-2810」のフィルターが汚れてきたら、
どのように掃除すればよいでしょうか。
水洗いしても大丈夫ですか。

岡本 千尋
""", when(11, 19, 30)),
    "フィルターは掃除機でほこりを吸い取った後、水洗いしていただけます。\n洗った後は日陰でよく乾かしてから取り付けてください。", ONO, {"cte": "base64"})

Q["blackout_spec"] = (O("blackout_spec", "長谷川 拓也", "停電時の動作について", """
ミナト家電 お客様相談室 御中

長谷川です。
炊飯器「ふっくら炊き RC-10」の予約タイマーを使っています。
もし停電した場合、設定した予約は消えてしまいますか。
停電から戻ったときに自動で炊き始めるのか知りたいです。

長谷川 拓也
""", when(12, 22, 0), cs="ISO-2022-JP", cte="7bit"),
    "「ふっくら炊き RC-10」は、停電が2時間以内であれば予約の設定を保持し、復旧後に自動で炊飯を続けます。\nそれより長い停電の場合は、もう一度予約を設定してください。", HIRANO, {})

Q["forgot_pw"] = (O("forgot_pw", "村上 奈々", "ログインについて", """
ミナト家電 オンラインショップ御中

村上です。
会員サイトのパスワードを忘れてしまいました。
自分で再設定する方法を教えていただけますか。

村上 奈々
""", when(13, 9, 15)),
    "ログイン画面の「パスワードをお忘れの方」から、ご登録のメールアドレスを入力してください。\n再設定用のリンクをお送りします。", SASAKI, {"trim": ("パスワード", "教えて")})

Q["en_mould"] = (O("en_mould", "Oliver Grant", "Cleaning the humidifier tank", """
Hello,

How should I clean the water tank of my Mist HM-3 humidifier so that mould does not grow in it?
Can I use a diluted bleach solution?

Thanks,
Oliver Grant
""", when(5, 7, 45), lang="en"),
    "Please rinse the tank with tap water every day and wash it once a week with a soft sponge and a little kitchen detergent. Do not use bleach; it can damage the seal.", HANNAH, {"attr": "tb-en"})

Q["en_after_warranty"] = (O("en_after_warranty", "Grace Holloway", "Repairs after the warranty", """
Dear Customer Care,

I am thinking of buying the KettleOne KT-5.
If it stops working after the warranty has ended, can you still repair it, and roughly how much would that cost?

Best wishes,
Grace Holloway
""", when(6, 12, 5), lang="en"),
    "Yes, we repair the KettleOne KT-5 after the warranty too. A typical repair costs between 2,000 and 4,000 yen, plus return shipping.", HANNAH, {"attr": "gmail-en"})

Q["en_manual_code"] = (O("en_manual_code", "Liam Foster", "Error codes in the manual", """
Hello,

The manual of the Fresh WD-9 washer dryer lists error codes, but I could not find what E3 means.
What should I do if it ever appears?

Regards,
Liam Foster
""", when(7, 17, 20), lang="en"),
    "E3 means that the drain hose is blocked. Clean the drain filter at the front bottom of the machine and restart the programme.", HANNAH, {"attr": "tb-en"})

Q["en_dropped"] = (O("en_dropped", "Emma Wilson", "Replacement remote control", """
Dear Minato Appliances,

I am afraid I dropped the remote control of my Breeze AC-2810 into the bath, and it no longer works.
It was entirely my own fault. Can I buy a new remote separately?

Kind regards,
Emma Wilson
""", when(9, 20, 40), lang="en"),
    "Yes, the remote (part number RC-AC28) can be ordered from our online shop for 2,750 yen. It pairs with the air conditioner automatically.", HANNAH, {"attr": "gmail-en"})

Q["en_prepurchase"] = (O("en_prepurchase", "Oliver Grant", "Cyclone Pro on thick carpets", """
Hello,

Before I buy the Cyclone Pro VC-9: I have read reviews saying some cordless vacuums struggle on thick carpets.
Would the VC-9 have any problem with a deep-pile rug?

Thanks,
Oliver Grant
""", when(11, 10, 10), lang="en"),
    "The Cyclone Pro VC-9 has a carpet mode that raises suction automatically, and works well on deep-pile rugs up to 3 cm.", HANNAH, {"attr": "gmail-en", "html": True})

for key, (o, body, agent, extra) in Q.items():
    en = o["lang"] == "en"
    own = own_en(o, body) if en else own_ja(o, agent, body)
    case(f"{n:02d}-clean-question-{key.replace('_', '-')}", [],
         f"Clean - a question ({key}) with problem-ish words, not a complaint: answered without apology.",
         o, agent=agent, own=own, **extra)
    n += 1


def main() -> None:
    for p in HERE.iterdir():
        if p.is_dir() and (p / "expect.yaml").exists():
            shutil.rmtree(p)
    shutil.copyfile(HERE.parent / "replies3" / "customers.csv", HERE / "customers.csv")
    for name, rules, why, o, r in CASES:
        d = HERE / name
        d.mkdir(exist_ok=True)
        (d / "original.eml").write_bytes(c3.original(o))
        (d / "reply.eml").write_bytes(c3.reply(o, r))
        todo = "todo: true\n" if name in TODO else ""
        (d / "expect.yaml").write_text(
            f"action: {'reject' if rules else 'accept'}\nrules: [{', '.join(rules)}]\nwhy: {why}\n{todo}",
            encoding="utf-8")
    print(f"{len(CASES)} cases written to {HERE}")


if __name__ == "__main__":
    main()
