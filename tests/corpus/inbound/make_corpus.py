#!/usr/bin/env python3
"""Generate the inbound annotation corpus in this folder (format: shared/examples/inbound/README.md).

    .venv/bin/python tests/corpus/inbound/make_corpus.py

Writes zone.yaml and one folder per case (message.eml with CRLF, envelope.yaml, expect.yaml).
DKIM signatures are made with dkimpy using the TEST-ONLY keys in keys/ (generated on first run,
then reused, so the output is reproducible; the signing time is fixed). The keys are fictional
and published only in zone.yaml.

Every expectation follows the README's vocabulary; sender_class is left out where the README
does not determine it. `todo: true` marks a case the current code gets wrong (reported gap).
"""
from __future__ import annotations

import base64
import quopri
import shutil
import time
from email.header import Header
from pathlib import Path
from unittest import mock

import dkim
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

HERE = Path(__file__).resolve().parent
KEYS = HERE / "keys"
SIGN_TIME = 1795500000  # 2026-11-24, fixed so the output is reproducible
TO = "=?utf-8?b?44K144Od44O844OI56qT5Y+j?= <support@shop.example>"

# ----------------------------------------------------------------------------- keys


def rsa_key(name: str) -> tuple[bytes, str]:
    """(private PEM, DNS p= value) of test key `name` (keys/test-rsa-<name>.pem)."""
    path = KEYS / f"test-rsa-{name}.pem"
    if not path.exists():
        KEYS.mkdir(exist_ok=True)
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                         serialization.NoEncryption()))
    pem = path.read_bytes()
    k = serialization.load_pem_private_key(pem, None)
    der = k.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, base64.b64encode(der).decode()


def ed_key(name: str) -> tuple[bytes, str]:
    """(base64 seed as dkimpy wants it, DNS p= value) of test ed25519 key `name`."""
    path = KEYS / f"test-ed25519-{name}.seed"
    if not path.exists():
        KEYS.mkdir(exist_ok=True)
        k = ed25519.Ed25519PrivateKey.generate()
        seed = k.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                               serialization.NoEncryption())
        path.write_bytes(base64.b64encode(seed) + b"\n")
    seed_b64 = path.read_bytes().strip()
    k = ed25519.Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed_b64))
    pub = k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return seed_b64, base64.b64encode(pub).decode()


# ----------------------------------------------------------------------------- zone

ZONE: dict[str, list] = {}


def rr(name: str, *records) -> None:
    ZONE.setdefault(name.lower(), [])
    for r in records:
        if r not in ZONE[name.lower()]:
            ZONE[name.lower()].append(r)


def host(name: str, ip: str) -> None:
    rr(name, {"A": ip})


def domain(name: str, *, mx_ip: str | None = None, spf: str | None = None, dmarc: str | None = None,
           mx_host: str | None = None) -> None:
    """A mail domain: MX (to mx.<name> with mx_ip), SPF TXT, DMARC record."""
    if mx_ip:
        mxh = mx_host or f"mx.{name}"
        rr(name, {"MX": f"10 {mxh}."})
        host(mxh, mx_ip)
    if spf:
        rr(name, {"TXT": spf})
    if dmarc:
        rr(f"_dmarc.{name}", {"TXT": dmarc})


SIGNERS: dict[tuple[str, str], tuple[bytes, bytes]] = {}  # (d, s) -> (algorithm, private key)


def publish_key(d: str, s: str, key: str, *, ed: bool = False) -> None:
    if ed:
        priv, pub = ed_key(key)
        rr(f"{s}._domainkey.{d}", {"TXT": f"v=DKIM1; k=ed25519; p={pub}"})
        SIGNERS[(d, s)] = (b"ed25519-sha256", priv)
    else:
        priv, pub = rsa_key(key)
        rr(f"{s}._domainkey.{d}", {"TXT": f"v=DKIM1; k=rsa; p={pub}"})
        SIGNERS[(d, s)] = (b"rsa-sha256", priv)


def unpublished_key(d: str, s: str, key: str) -> None:
    """A signer whose key is NOT in DNS (key missing / key timeout cases)."""
    priv, _ = rsa_key(key)
    SIGNERS[(d, s)] = (b"rsa-sha256", priv)


# ----------------------------------------------------------------------------- messages

SIGNED = [b"from", b"to", b"subject", b"date", b"message-id", b"reply-to", b"mime-version",
          b"content-type", b"content-transfer-encoding"]


def enc_header(text: str, charset: str) -> str:
    try:
        text.encode("ascii")
        return text
    except UnicodeEncodeError:
        return Header(text, charset).encode(maxlinelen=998)


def encode_body(text: str, charset: str, cte: str) -> bytes:
    text = text.replace("\r\n", "\n")
    if cte in ("7bit", "8bit"):
        return text.encode(charset).replace(b"\n", b"\r\n")
    data = text.replace("\n", "\r\n").encode(charset)
    if cte == "base64":
        b = base64.b64encode(data)
        return b"".join(b[i:i + 76] + b"\r\n" for i in range(0, len(b), 76))
    if cte == "quoted-printable":
        q = quopri.encodestring(data.replace(b"\r\n", b"\n"))
        return q.replace(b"\n", b"\r\n")
    raise ValueError(cte)


def build(case: str, *, from_: str, subject: str, body: str, charset: str = "utf-8", cte: str = "base64",
          date: str = "Tue, 24 Nov 2026 10:15:00 +0900", reply_to: str | None = None,
          extra: list[str] = (), msgid_domain: str | None = None, display: str | None = None,
          hcharset: str | None = None) -> bytes:
    hcs = hcharset or ("utf-8" if charset.lower() in ("us-ascii", "shift_jis") else charset)
    addr_dom = from_.rsplit("@", 1)[1]
    lines = [f"Date: {date}"]
    lines.append(f"From: {enc_header(display, hcs)} <{from_}>" if display else f"From: {from_}")
    lines.append(f"To: {TO}")
    lines.append(f"Subject: {enc_header(subject, hcs)}")
    lines.append(f"Message-ID: <{case}.{SIGN_TIME}@{msgid_domain or addr_dom}>")
    if reply_to:
        lines.append(f"Reply-To: {reply_to}")
    lines += list(extra)
    lines += ["MIME-Version: 1.0", f"Content-Type: text/plain; charset={charset}",
              f"Content-Transfer-Encoding: {cte}"]
    return "\r\n".join(lines).encode("ascii") + b"\r\n\r\n" + encode_body(body, charset, cte)


def sign(msg: bytes, d: str, s: str, *, headers: list[bytes] | None = None) -> bytes:
    alg, priv = SIGNERS[(d, s)]
    with mock.patch.object(dkim.time, "time", return_value=SIGN_TIME):
        sig = dkim.sign(msg, s.encode(), d.encode(), priv, canonicalize=(b"relaxed", b"relaxed"),
                        signature_algorithm=alg, include_headers=headers or SIGNED, linesep=b"\r\n")
    return sig + msg


def received(msg: bytes, helo: str, ip: str, qid: str) -> bytes:
    line = (f"Received: from {helo} ({helo} [{ip}])\r\n\tby mx.shop.example (Postfix) with ESMTPS id {qid}\r\n"
            f"\tfor <support@shop.example>; Tue, 24 Nov 2026 01:15:07 +0000\r\n")
    return line.encode("ascii") + msg


CASES: list[tuple[str, bytes, dict, dict]] = []


def case(name: str, msg: bytes, *, ip: str, helo: str, mail_from: str, expect: dict, qid: str | None = None) -> None:
    msg = received(msg, helo, ip, qid or ("Q" + str(len(CASES) + 1).zfill(4) + "A7"))
    CASES.append((name, msg, {"client_ip": ip, "helo": helo, "mail_from": mail_from}, expect))


def ex(desc: str, dkim_r, spf_r, dmarc_r, verdict, reasons=(), category=None, cls=None, **more) -> dict:
    e: dict = {"description": desc, "authentication_results": {"dkim": dkim_r, "spf": spf_r, "dmarc": dmarc_r}}
    if cls is not None:
        e["sender_class"] = cls
    if verdict is not None:
        e["anonymity"] = {"verdict": verdict, "reasons_include": list(reasons)}
    if category:
        e["category"] = category
    e.update(more)
    return e


# ----------------------------------------------------------------------------- texts

JA_Q_DELIVERY = "いつもお世話になっております。\n先日注文した商品の配送状況について質問です。\n配達日を来週の土曜日に変更することはできますか？\nお手数ですがご教示ください。\n"
JA_Q_INVOICE = "お世話になっております。\n請求書の宛名を会社名に変更していただくことは可能でしょうか。\n手続き方法を教えていただけますか。\nよろしくお願いいたします。\n"
JA_Q_SIZE = "こんにちは。\nこのシャツのMサイズの着丈は何センチでしょうか？\n在庫があるか教えてください。\n"
JA_C_BROKEN = "昨日届いた商品が壊れていました。\n箱を開けたら本体が割れていて、電源も入りません。\n信じられません。すぐに返金してください。\n"
JA_C_LATE = "注文してから二週間たちますが、まだ届いていません。\n何度も問い合わせていますが、連絡が一切ありません。\n対応がひどすぎます。早急に対応してください。\n"
JA_C_RUDE = "昨日お電話した際のオペレーターの態度が失礼でした。\nこちらの話も聞かずに電話を切られ、大変不愉快です。\n責任者から説明してください。\n"
JA_THANKS = "先日は丁寧にご対応いただき、ありがとうございました。\nおかげさまで無事に設定が完了しました。\n今後ともよろしくお願いいたします。\n"
JA_NOTICE = "平素より格別のご高配を賜り、厚く御礼申し上げます。\n年末年始の営業日についてお知らせいたします。\n12月29日から1月3日まで休業とさせていただきます。\n"
EN_Q_HOWTO = "Hello,\n\nCould you tell me how to change the delivery address on an order I placed yesterday?\nI could not find the option in my account page.\n\nBest regards,\nEmily\n"
EN_Q_API = "Hi,\n\nHow do I reset the password for our team account? Is there a way to do it without the admin?\n\nThanks in advance,\nTom\n"
EN_C_REFUND = ("This is ridiculous. I ordered the blender three weeks ago, it arrived broken, and nobody answers\n"
               "my emails. I want a full refund immediately. This is the worst service I have ever had.\n"
               "If I do not get my money back this week I will dispute the charge with my bank.\n")
EN_THANKS = "Hi team,\n\nJust a short note to say thank you for the quick help last week. Everything works now.\n\nKind regards,\nPeter\n"
EN_NEWSLETTER = ("Our November newsletter is here!\n\nNew arrivals: winter coats and knitwear.\n"
                 "Read more at https://news.example.net/2026/11\n\nTo unsubscribe, visit https://news.example.net/unsubscribe\n")
EN_ORDER = ("Your order #48213 has been shipped.\n\nCarrier: Example Express\nTracking number: 1Z999AA10123456784\n"
            "Estimated delivery: November 27, 2026\n\nView your order: https://orders.example.net/48213\n")

# ----------------------------------------------------------------------------- cases


def make() -> None:
    # --- corporate, DKIM + SPF pass, p=reject -----------------------------------------------
    d = "mitsuboshi.test"
    domain(d, mx_ip="192.0.2.20", spf="v=spf1 ip4:192.0.2.16/28 -all", dmarc="v=DMARC1; p=reject; rua=mailto:dmarc@mitsuboshi.test")
    publish_key(d, "sel2026", "mitsuboshi")
    m = build("c01", from_="t.sato@mitsuboshi.test", display="佐藤 太郎", subject="配送日の変更について",
              body=JA_Q_DELIVERY, charset="ISO-2022-JP", cte="7bit")
    case("c01-corporate-dkim-spf-pass-iso2022jp-question", sign(m, d, "sel2026"), ip="192.0.2.20",
         helo="mx.mitsuboshi.test", mail_from="t.sato@mitsuboshi.test",
         expect=ex("Corporate sender, DKIM and SPF pass aligned, DMARC p=reject passes -> identified.",
                   "pass", "pass", "pass", "identified", [], "question", "corporate"))

    # --- subdomain From, signer d= the organisational domain (relaxed) ------------------------
    domain("example.co.jp", mx_ip="192.0.2.40", dmarc="v=DMARC1; p=quarantine; adkim=r")
    domain("mail.example.co.jp", mx_ip="192.0.2.41")
    publish_key("example.co.jp", "s2026", "example-co-jp")
    m = build("c02", from_="yamada@mail.example.co.jp", display="山田 花子", subject="請求書の宛名変更について",
              body=JA_Q_INVOICE, charset="ISO-2022-JP", cte="7bit")
    case("c02-subdomain-from-org-signer-relaxed", sign(m, "example.co.jp", "s2026"), ip="192.0.2.41",
         helo="mx.mail.example.co.jp", mail_from="yamada@mail.example.co.jp",
         expect=ex("From mail.example.co.jp, signed d=example.co.jp: relaxed alignment (same organisational domain; "
                   "co.jp is a public suffix). mail.example.co.jp has no SPF (spf=none) and no _dmarc record: the "
                   "org domain's p=quarantine applies, DMARC passes via DKIM.",
                   "pass", "none", "pass", "identified", [], "question", "corporate"))

    # --- DKIM fail: body altered by a list footer; SPF aligned keeps DMARC pass ----------------
    d = "hanamizuki.test"
    domain(d, mx_ip="192.0.2.50", spf="v=spf1 ip4:192.0.2.48/29 -all", dmarc="v=DMARC1; p=quarantine")
    publish_key(d, "mail", "hanamizuki")
    m = sign(build("c03", from_="kimura@hanamizuki.test", subject="Question about bulk orders",
                   body=EN_Q_HOWTO.replace("Emily", "Aiko Kimura"), charset="us-ascii", cte="7bit"), d, "mail")
    m += b"\r\n--\r\nThis message was scanned by the HanaMizuki gateway.\r\n"
    case("c03-dkim-body-altered-spf-aligned", m, ip="192.0.2.50", helo="mx.hanamizuki.test",
         mail_from="kimura@hanamizuki.test",
         expect=ex("A footer was appended after signing: body hash mismatch -> dkim=fail. SPF passes aligned, "
                   "so DMARC passes and the sender stays identified.",
                   "fail", "pass", "pass", "identified", [], "question", "corporate"))

    # --- DKIM fail: signed header altered, SPF fail, p=quarantine -> forged --------------------
    d = "kirin-kogyo.test"
    domain(d, mx_ip="192.0.2.60", spf="v=spf1 ip4:192.0.2.56/29 -all", dmarc="v=DMARC1; p=quarantine")
    publish_key(d, "k1", "kirin")
    m = sign(build("c04", from_="eigyo@kirin-kogyo.test", display="麒麟工業 営業部", subject="お見積りのご依頼について",
                   body=JA_Q_INVOICE, charset="UTF-8", cte="quoted-printable"), d, "k1")
    m = m.replace(b"Subject: ", b"Subject: [Fwd] ", 1)
    case("c04-dkim-header-altered-spf-fail-quarantine", m, ip="203.0.113.77", helo="relay.example.net",
         mail_from="eigyo@kirin-kogyo.test",
         expect=ex("The signed Subject was changed (dkim=fail) and the mail came from outside the SPF -all: "
                   "no aligned pass, p=quarantine -> dmarc=fail -> anonymous.",
                   "fail", "fail", "fail", "anonymous", ["dmarc-fail"], "question", "corporate"))

    # --- DKIM key missing -> permerror ---------------------------------------------------------
    d = "aozora-trading.test"
    domain(d, mx_ip="192.0.2.70", spf="v=spf1 ip4:192.0.2.64/28 -all", dmarc="v=DMARC1; p=none")
    unpublished_key(d, "old2019", "aozora-old")
    m = sign(build("c05", from_="ito@aozora-trading.test", subject="Password reset for our team account",
                   body=EN_Q_API.replace("Tom", "Ken Ito"), charset="us-ascii", cte="7bit"), d, "old2019")
    case("c05-dkim-key-missing-permerror", m, ip="192.0.2.70", helo="mx.aozora-trading.test",
         mail_from="ito@aozora-trading.test",
         expect=ex("Signed with selector old2019 whose key is not published (NXDOMAIN) -> dkim=permerror; SPF pass "
                   "aligned -> DMARC pass -> identified.",
                   "permerror", "pass", "pass", "identified", [], "question", "corporate"))

    # --- DKIM key TXT times out -> temperror ---------------------------------------------------
    d = "yamabuki.test"
    domain(d, mx_ip="192.0.2.80", spf="v=spf1 ip4:192.0.2.80/29 -all", dmarc="v=DMARC1; p=reject")
    unpublished_key(d, "slow", "yamabuki")
    rr("slow._domainkey.yamabuki.test", "TIMEOUT")
    m = sign(build("c06", from_="office@yamabuki.test", subject="サイズについて", body=JA_Q_SIZE,
                   charset="UTF-8", cte="base64"), d, "slow")
    case("c06-dkim-key-timeout-temperror", m, ip="192.0.2.81", helo="mx.yamabuki.test",
         mail_from="office@yamabuki.test",
         expect=ex("The key query never answers -> dkim=temperror; SPF pass aligned -> DMARC pass -> identified.",
                   "temperror", "pass", "pass", "identified", [], "question", "corporate"))

    # --- two signatures: ESP signature broken, author signature good -> [fail, pass] ----------
    d = "kaede-cosmetics.test"
    domain(d, mx_ip="192.0.2.90", spf="v=spf1 include:_spf.mailcast.test -all", dmarc="v=DMARC1; p=quarantine")
    domain("mailcast.test", mx_ip="198.51.100.10", spf="v=spf1 ip4:198.51.100.0/27 -all")
    rr("_spf.mailcast.test", {"TXT": "v=spf1 ip4:198.51.100.0/27 -all"})
    domain("bounces.mailcast.test", spf="v=spf1 ip4:198.51.100.0/27 -all")
    publish_key(d, "kc1", "kaede")
    publish_key("mailcast.test", "mc", "mailcast")
    m = build("c07", from_="support@kaede-cosmetics.test", subject="Thank you for your help",
              body=EN_THANKS, charset="us-ascii", cte="7bit", extra=["X-Campaign-ID: 2026-11-A"])
    m = sign(m, d, "kc1")
    m = sign(m, "mailcast.test", "mc", headers=SIGNED + [b"x-campaign-id"])
    m = m.replace(b"X-Campaign-ID: 2026-11-A", b"X-Campaign-ID: 2026-11-B", 1)
    case("c07-two-signatures-fail-and-pass", m, ip="198.51.100.12", helo="out12.mailcast.test",
         mail_from="bounce-8812@bounces.mailcast.test",
         expect=ex("Two signatures: the ESP's (d=mailcast.test, covers X-Campaign-ID, changed later) fails, the "
                   "author domain's passes aligned -> dkim [fail, pass], DMARC pass via DKIM. Thank-you note.",
                   ["fail", "pass"], "pass", "pass", "identified", [], "other", "corporate"))

    # --- SPF via include, no DKIM, DMARC pass via SPF ----------------------------------------
    d = "tsubame-travel.test"
    domain(d, mx_ip="192.0.2.100", spf="v=spf1 include:_spf.mailcast.test include:_spf.tsubame-travel.test -all",
           dmarc="v=DMARC1; p=none")
    rr("_spf.tsubame-travel.test", {"TXT": "v=spf1 ip4:192.0.2.96/28 -all"})
    m = build("c08", from_="reservations@tsubame-travel.test", subject="予約内容の変更は可能でしょうか",
              body="お世話になります。\n12月5日の宿泊予約を1泊延長することは可能でしょうか。\n料金もあわせて教えてください。\n",
              charset="ISO-2022-JP", cte="7bit")
    case("c08-spf-pass-via-include", m, ip="198.51.100.5", helo="out5.mailcast.test",
         mail_from="reservations@tsubame-travel.test",
         expect=ex("Unsigned; SPF passes through the second-level include:_spf.mailcast.test, aligned -> DMARC pass.",
                   "none", "pass", "pass", "identified", [], "question", "corporate"))

    # --- SPF a mechanism -------------------------------------------------------------------
    d = "ginga-soft.test"
    rr(d, {"MX": "10 mail.ginga-soft.test."}, {"A": "192.0.2.110"}, {"TXT": "v=spf1 a -all"})
    host("mail.ginga-soft.test", "192.0.2.111")
    rr("_dmarc.ginga-soft.test", {"TXT": "v=DMARC1; p=reject"})
    m = build("c09", from_="dev@ginga-soft.test", subject="How to change the delivery address?",
              body=EN_Q_HOWTO.replace("Emily", "Daisuke"), charset="us-ascii", cte="7bit")
    case("c09-spf-pass-via-a", m, ip="192.0.2.110", helo="ginga-soft.test", mail_from="dev@ginga-soft.test",
         expect=ex("SPF 'a -all' and the client is the domain's A -> pass aligned -> DMARC pass.",
                   "none", "pass", "pass", "identified", [], "question", "corporate"))

    # --- SPF mx mechanism ------------------------------------------------------------------
    d = "hoshizora-foods.test"
    rr(d, {"MX": "10 mx1.hoshizora-foods.test."}, {"MX": "20 mx2.hoshizora-foods.test."}, {"TXT": "v=spf1 mx -all"})
    host("mx1.hoshizora-foods.test", "192.0.2.121")
    host("mx2.hoshizora-foods.test", "192.0.2.122")
    rr("_dmarc.hoshizora-foods.test", {"TXT": "v=DMARC1; p=quarantine; aspf=s"})
    m = build("c10", from_="info@hoshizora-foods.test", subject="商品が壊れていました", body=JA_C_BROKEN,
              charset="Shift_JIS", cte="8bit")
    case("c10-spf-pass-via-mx-shiftjis-complaint", m, ip="192.0.2.122", helo="mx2.hoshizora-foods.test",
         mail_from="info@hoshizora-foods.test",
         expect=ex("SPF 'mx -all', client is the second MX -> pass, strictly aligned -> DMARC pass. Shift_JIS 8bit complaint.",
                   "none", "pass", "pass", "identified", [], "complaint", "corporate"))

    # --- SPF softfail, DKIM pass -----------------------------------------------------------
    d = "minato-logistics.test"
    domain(d, mx_ip="192.0.2.130", spf="v=spf1 ip4:192.0.2.128/29 ~all", dmarc="v=DMARC1; p=none")
    publish_key(d, "ml", "minato")
    m = sign(build("c11", from_="ops@minato-logistics.test", subject="Re: shipment 48213",
                   body=EN_Q_API.replace("Tom", "Minato Ops"), charset="us-ascii", cte="7bit"), d, "ml")
    case("c11-spf-softfail-dkim-pass", m, ip="203.0.113.140", helo="smtp.example.net",
         mail_from="ops@minato-logistics.test",
         expect=ex("Client outside the SPF ~all -> softfail; DKIM passes aligned -> DMARC pass -> identified.",
                   "pass", "softfail", "pass", "identified", [], "question", "corporate"))

    # --- SPF neutral, unsigned, p=none -> dmarc fail -----------------------------------------
    d = "kujira-books.test"
    domain(d, mx_ip="192.0.2.140", spf="v=spf1 ip4:192.0.2.136/29 ?all", dmarc="v=DMARC1; p=none")
    m = build("c12", from_="order@kujira-books.test", subject="Your order #48213 has been shipped",
              body=EN_ORDER, charset="us-ascii", cte="7bit")
    case("c12-spf-neutral-dmarc-fail-p-none", m, ip="203.0.113.141", helo="bulk.example.net",
         mail_from="order@kujira-books.test",
         expect=ex("SPF ?all -> neutral, unsigned: no aligned pass -> dmarc=fail even though p=none -> anonymous. "
                   "Order notification -> other.",
                   "none", "neutral", "fail", "anonymous", ["dmarc-fail"], "other", "corporate"))

    # --- SPF none (no record), DKIM pass -------------------------------------------------------
    d = "sakura-print.test"
    domain(d, mx_ip="192.0.2.150", dmarc="v=DMARC1; p=quarantine")
    publish_key(d, "sp", "sakura-print")
    m = sign(build("c13", from_="watanabe@sakura-print.test", display="渡辺 健", subject="先日はありがとうございました",
                   body=JA_THANKS, charset="UTF-8", cte="quoted-printable"), d, "sp")
    case("c13-spf-none-dkim-pass-thanks", m, ip="192.0.2.150", helo="mx.sakura-print.test",
         mail_from="watanabe@sakura-print.test",
         expect=ex("No SPF record -> spf=none; DKIM passes aligned -> DMARC pass. A thank-you note -> other.",
                   "pass", "none", "pass", "identified", [], "other", "corporate"))

    # --- SPF permerror: too many DNS lookups ---------------------------------------------------
    d = "tanpopo-net.test"
    incs = " ".join(f"include:_s{i}.tanpopo-net.test" for i in range(1, 12))
    domain(d, mx_ip="192.0.2.160", spf=f"v=spf1 {incs} -all", dmarc="v=DMARC1; p=reject")
    for i in range(1, 12):
        rr(f"_s{i}.tanpopo-net.test", {"TXT": f"v=spf1 ip4:198.18.{i}.0/24 -all"})
    publish_key(d, "tp", "tanpopo")
    m = sign(build("c14", from_="kondo@tanpopo-net.test", subject="領収書の発行について",
                   body="お世話になっております。\n先月分の領収書を発行していただくことはできますか。\nよろしくお願いいたします。\n",
                   charset="ISO-2022-JP", cte="7bit"), d, "tp")
    case("c14-spf-permerror-too-many-lookups", m, ip="192.0.2.160", helo="mx.tanpopo-net.test",
         mail_from="kondo@tanpopo-net.test",
         expect=ex("SPF record with 11 include: terms (client in none of them) -> more than 10 DNS lookups -> "
                   "permerror. DKIM pass aligned -> DMARC pass.",
                   "pass", "permerror", "pass", "identified", [], "question", "corporate"))

    # --- SPF permerror: syntax ---------------------------------------------------------------
    d = "ichigo-design.test"
    domain(d, mx_ip="192.0.2.170", spf="v=spf1 ip4:192.0.2.168/29 incude:_spf.ichigo-design.test -all",
           dmarc="v=DMARC1; p=none")
    publish_key(d, "id", "ichigo")
    m = sign(build("c15", from_="mori@ichigo-design.test", subject="Thanks!",
                   body=EN_THANKS.replace("Peter", "Mori"), charset="us-ascii", cte="7bit"), d, "id")
    case("c15-spf-permerror-syntax", m, ip="203.0.113.170", helo="mail.example.net",
         mail_from="mori@ichigo-design.test",
         expect=ex("SPF record with a misspelt mechanism ('incude:') -> permerror. DKIM pass aligned -> DMARC pass.",
                   "pass", "permerror", "pass", "identified", [], "other", "corporate"))

    # --- SPF temperror: TXT times out ------------------------------------------------------
    d = "momiji-bank.test"
    domain(d, mx_ip="192.0.2.180", dmarc="v=DMARC1; p=reject")
    rr(d, {"TIMEOUT": "TXT"})
    publish_key(d, "mb", "momiji")
    m = sign(build("c16", from_="info@momiji-bank.test", subject="年末年始の営業日のお知らせ", body=JA_NOTICE,
                   charset="ISO-2022-JP", cte="7bit"), d, "mb")
    case("c16-spf-temperror-timeout", m, ip="192.0.2.180", helo="mx.momiji-bank.test", mail_from="info@momiji-bank.test",
         expect=ex("The SPF TXT query of the MAIL FROM domain never answers -> spf=temperror. DKIM passes aligned "
                   "-> DMARC pass. A holiday notice -> other.",
                   "pass", "temperror", "pass", "identified", [], "other", "corporate"))

    # --- DMARC pass via DKIM only (envelope at the ESP) ----------------------------------------
    d = "hikari-denki.test"
    domain(d, mx_ip="192.0.2.190", spf="v=spf1 ip4:192.0.2.184/29 -all", dmarc="v=DMARC1; p=reject")
    publish_key(d, "hd", "hikari")
    m = sign(build("c17", from_="news@hikari-denki.test", subject="Hikari Denki November newsletter",
                   body=EN_NEWSLETTER, charset="us-ascii", cte="7bit"), d, "hd")
    case("c17-dmarc-pass-dkim-only-newsletter", m, ip="198.51.100.20", helo="out20.mailcast.test",
         mail_from="bounce-1234@bounces.mailcast.test",
         expect=ex("Envelope at the ESP (SPF pass for bounces.mailcast.test, not aligned); DKIM d=hikari-denki.test "
                   "passes aligned -> DMARC pass. A newsletter -> other.",
                   "pass", "pass", "pass", "identified", [], "other", "corporate"))

    # --- DMARC pass via SPF only, p=reject ------------------------------------------------------
    d = "fuji-kensetsu.test"
    domain(d, mx_ip="192.0.2.200", spf="v=spf1 ip4:192.0.2.200/30 -all", dmarc="v=DMARC1; p=reject; adkim=s; aspf=r")
    m = build("c18", from_="koumu@fuji-kensetsu.test", display="富士建設 工務部", subject="工事日程の件で困っています",
              body=JA_C_LATE, charset="ISO-2022-JP", cte="7bit")
    case("c18-dmarc-pass-spf-only-complaint", m, ip="192.0.2.201", helo="mx.fuji-kensetsu.test",
         mail_from="koumu@fuji-kensetsu.test",
         expect=ex("Unsigned, SPF pass aligned -> DMARC (p=reject) pass. ISO-2022-JP complaint (late, no contact).",
                   "none", "pass", "pass", "identified", [], "complaint", "corporate"))

    # --- DMARC fail p=reject, spoofed corporate --------------------------------------------
    d = "kurogane-steel.test"
    domain(d, mx_ip="192.0.2.210", spf="v=spf1 ip4:192.0.2.208/29 -all", dmarc="v=DMARC1; p=reject")
    m = build("c19", from_="billing@kurogane-steel.test", subject="Refund NOW",
              body=EN_C_REFUND, charset="us-ascii", cte="7bit")
    case("c19-dmarc-fail-reject-spoof-en-complaint", m, ip="203.0.113.19", helo="cable-19.example.net",
         mail_from="billing@kurogane-steel.test",
         expect=ex("From a p=reject domain, unsigned, outside SPF -all -> spf=fail, dmarc=fail -> anonymous. "
                   "Angry refund demand -> complaint.",
                   "none", "fail", "fail", "anonymous", ["dmarc-fail", "spf-fail"], "complaint", "corporate"))

    # --- DMARC fail p=quarantine: DKIM and SPF pass, but for another domain --------------------
    d = "nanohana-shop.test"
    domain(d, mx_ip="192.0.2.220", spf="v=spf1 ip4:192.0.2.216/29 -all", dmarc="v=DMARC1; p=quarantine")
    domain("bulkmailer.test", mx_ip="198.51.100.40", spf="v=spf1 ip4:198.51.100.32/27 -all")
    publish_key("bulkmailer.test", "bm", "bulkmailer")
    m = sign(build("c20", from_="campaign@nanohana-shop.test", subject="Your order has been shipped",
                   body=EN_ORDER, charset="us-ascii", cte="7bit"), "bulkmailer.test", "bm")
    case("c20-dmarc-fail-quarantine-unaligned-passes", m, ip="198.51.100.41", helo="smtp.bulkmailer.test",
         mail_from="bounce@bulkmailer.test",
         expect=ex("DKIM (d=bulkmailer.test) and SPF (bulkmailer.test) pass, but neither is aligned with From "
                   "nanohana-shop.test (p=quarantine) -> dmarc=fail -> anonymous.",
                   "pass", "pass", "fail", "anonymous", ["dmarc-fail"], "other", "corporate"))

    # --- DMARC fail p=none (softfail, unsigned) ------------------------------------------------
    d = "umibe-hotel.test"
    domain(d, mx_ip="192.0.2.230", spf="v=spf1 ip4:192.0.2.228/30 ~all", dmarc="v=DMARC1; p=none; rua=mailto:r@umibe-hotel.test")
    m = build("c21", from_="front@umibe-hotel.test", subject="ご予約ありがとうございました",
              body=JA_THANKS, charset="UTF-8", cte="base64")
    case("c21-dmarc-fail-p-none-softfail", m, ip="203.0.113.21", helo="vps21.example.net",
         mail_from="front@umibe-hotel.test",
         expect=ex("SPF ~all softfail, unsigned -> no aligned pass -> dmarc=fail (p=none is still a fail) -> anonymous.",
                   "none", "softfail", "fail", "anonymous", ["dmarc-fail"], "other", "corporate"))

    # --- org-domain fallback under co.jp, pass via relaxed SPF -----------------------------------
    domain("sakura-bussan.co.jp", mx_ip="192.0.2.240", spf="v=spf1 ip4:192.0.2.240/29 -all", dmarc="v=DMARC1; p=reject")
    domain("info.sakura-bussan.co.jp", mx_ip="192.0.2.241")
    m = build("c22", from_="info@info.sakura-bussan.co.jp", display="さくら物産", subject="商品の在庫について",
              body="お世話になっております。\n型番SB-200の在庫はございますか。\n納期も教えていただけますでしょうか。\n",
              charset="ISO-2022-JP", cte="7bit")
    case("c22-org-fallback-cojp-spf-relaxed-pass", m, ip="192.0.2.242", helo="mx.sakura-bussan.co.jp",
         mail_from="bounce@sakura-bussan.co.jp",
         expect=ex("From info.sakura-bussan.co.jp has no _dmarc record; the organizational domain sakura-bussan.co.jp "
                   "(co.jp is a public suffix) has p=reject. SPF passes for sakura-bussan.co.jp: relaxed-aligned -> pass.",
                   "none", "pass", "pass", "identified", [], "question", "corporate"))

    # --- org-domain fallback, sp=none, fail ------------------------------------------------------
    domain("fujiyama-denki.co.jp", mx_ip="192.0.2.250", spf="v=spf1 ip4:192.0.2.248/29 -all",
           dmarc="v=DMARC1; p=reject; sp=none")
    domain("alerts.fujiyama-denki.co.jp", mx_ip="192.0.2.251", spf="v=spf1 ip4:192.0.2.248/29 -all")
    m = build("c23", from_="noreply@alerts.fujiyama-denki.co.jp", subject="Your order has been shipped",
              body=EN_ORDER, charset="us-ascii", cte="7bit")
    case("c23-org-fallback-sp-none-still-fail", m, ip="203.0.113.23", helo="mailer.example.net",
         mail_from="noreply@alerts.fujiyama-denki.co.jp",
         expect=ex("From alerts.fujiyama-denki.co.jp: policy from the org domain with sp=none; SPF fail, unsigned -> "
                   "dmarc=fail (sp=none only changes the disposition) -> anonymous.",
                   "none", "fail", "fail", "anonymous", ["dmarc-fail"], "other", "corporate"))

    # --- DMARC record SERVFAIL -> temperror ------------------------------------------------------
    d = "tsukimi-corp.test"
    domain(d, mx_ip="192.0.2.10", spf="v=spf1 ip4:192.0.2.8/29 -all")
    rr("_dmarc.tsukimi-corp.test", "SERVFAIL")
    publish_key(d, "tc", "tsukimi")
    m = sign(build("c24", from_="soumu@tsukimi-corp.test", subject="請求書の再発行について", body=JA_Q_INVOICE,
                   charset="Shift_JIS", cte="base64"), d, "tc")
    case("c24-dmarc-servfail-temperror", m, ip="192.0.2.10", helo="mx.tsukimi-corp.test",
         mail_from="soumu@tsukimi-corp.test",
         expect=ex("_dmarc answers SERVFAIL -> dmarc=temperror. DKIM and SPF pass aligned at a corporate domain -> "
                   "identified (README: DKIM or SPF passes aligned).",
                   "pass", "pass", "temperror", "identified", [], "question", "corporate"))

    # --- freemail -------------------------------------------------------------------------------
    domain("gmail.com", mx_ip="198.51.100.60", mx_host="gmail-smtp-in.l.google.example",
           spf="v=spf1 include:_netblocks.google.example ~all", dmarc="v=DMARC1; p=none; sp=quarantine")
    rr("_netblocks.google.example", {"TXT": "v=spf1 ip4:198.51.100.64/27 ~all"})
    publish_key("gmail.com", "20230601", "gmail")
    m = sign(build("c25", from_="emily.hart.1987@gmail.com", display="Emily Hart",
                   subject="How do I change my delivery address?", body=EN_Q_HOWTO, charset="UTF-8",
                   cte="quoted-printable"), "gmail.com", "20230601")
    case("c25-freemail-gmail-en-question", m, ip="198.51.100.70", helo="mail-ej1-f70.google.example",
         mail_from="emily.hart.1987@gmail.com",
         expect=ex("gmail.com, DKIM + SPF pass -> DMARC pass -> pseudonymous freemail. Polite how-to -> question.",
                   "pass", "pass", "pass", "pseudonymous", ["freemail"], "question", "freemail"))

    domain("yahoo.co.jp", mx_ip="203.0.113.30", mx_host="mx.mail.yahoo.example",
           spf="v=spf1 ip4:203.0.113.32/28 ~all", dmarc="v=DMARC1; p=none")
    publish_key("yahoo.co.jp", "yj20110701", "yahoo-jp")
    m = sign(build("c26", from_="hanako_1122@yahoo.co.jp", display="鈴木 花子", subject="サイズについて質問です",
                   body=JA_Q_SIZE, charset="Shift_JIS", cte="8bit", hcharset="iso-2022-jp"), "yahoo.co.jp", "yj20110701")
    case("c26-freemail-yahoo-jp-shiftjis-question", m, ip="203.0.113.33", helo="nmt33.mail.yahoo.example",
         mail_from="hanako_1122@yahoo.co.jp",
         expect=ex("yahoo.co.jp free mail, DKIM + SPF pass -> pseudonymous freemail. Shift_JIS question.",
                   "pass", "pass", "pass", "pseudonymous", ["freemail"], "question", "freemail"))

    domain("icloud.com", mx_ip="198.51.100.80", spf="v=spf1 ip4:198.51.100.80/28 -all", dmarc="v=DMARC1; p=quarantine")
    m = build("c27", from_="peter.lund@icloud.com", display="Peter Lund", subject="Thank you",
              body=EN_THANKS, charset="us-ascii", cte="7bit")
    case("c27-freemail-icloud-spf-only-thanks", m, ip="198.51.100.82", helo="qs82.mail.icloud.example",
         mail_from="peter.lund@icloud.com",
         expect=ex("icloud.com, unsigned, SPF pass aligned -> DMARC pass -> pseudonymous freemail. Thank-you -> other.",
                   "none", "pass", "pass", "pseudonymous", ["freemail"], "other", "freemail"))

    domain("outlook.jp", mx_ip="198.51.100.90", mx_host="outlook-jp.olc.protection.outlook.example",
           spf="v=spf1 ip4:198.51.100.88/29 -all", dmarc="v=DMARC1; p=none")
    publish_key("outlook.jp", "selector1", "outlook-jp")
    m = sign(build("c28", from_="k.nakamura@outlook.jp", display="中村 健一", subject="対応がひどすぎます",
                   body=JA_C_RUDE, charset="UTF-8", cte="base64"), "outlook.jp", "selector1")
    case("c28-freemail-outlook-jp-utf8-base64-complaint", m, ip="198.51.100.90",
         helo="mail-ty1jpn90.outbound.protection.outlook.example", mail_from="k.nakamura@outlook.jp",
         expect=ex("outlook.jp free mail, DKIM + SPF pass -> pseudonymous freemail. UTF-8 base64 complaint (rude operator).",
                   "pass", "pass", "pass", "pseudonymous", ["freemail"], "complaint", "freemail"))

    # --- mobile ---------------------------------------------------------------------------------
    domain("docomo.ne.jp", mx_ip="203.0.113.110", spf="v=spf1 ip4:203.0.113.104/29 ~all", dmarc="v=DMARC1; p=reject")
    m = build("c29", from_="haru-0512.xx@docomo.ne.jp", subject="まだ届きません", body=JA_C_LATE,
              charset="Shift_JIS", cte="8bit", hcharset="iso-2022-jp")
    case("c29-mobile-docomo-spf-only-complaint", m, ip="203.0.113.105", helo="mfsmax.docomo.example",
         mail_from="haru-0512.xx@docomo.ne.jp",
         expect=ex("docomo.ne.jp carrier mail, unsigned, SPF pass aligned -> DMARC pass -> pseudonymous mobile. "
                   "Shift_JIS complaint.",
                   "none", "pass", "pass", "pseudonymous", ["mobile"], "complaint", "mobile"))

    domain("ezweb.ne.jp", mx_ip="203.0.113.120", spf="v=spf1 ip4:203.0.113.120/29 -all")
    publish_key("ezweb.ne.jp", "ez2026", "ezweb")
    m = sign(build("c30", from_="sora.k-77@ezweb.ne.jp", subject="配送日の変更",
                   body=JA_Q_DELIVERY, charset="ISO-2022-JP", cte="7bit"), "ezweb.ne.jp", "ez2026")
    case("c30-mobile-ezweb-dkim-question", m, ip="203.0.113.121", helo="mx.ezweb.ne.jp", mail_from="sora.k-77@ezweb.ne.jp",
         expect=ex("ezweb.ne.jp (au) carrier mail, DKIM + SPF pass, no DMARC record -> dmarc=none -> pseudonymous mobile.",
                   "pass", "pass", "none", "pseudonymous", ["mobile"], "question", "mobile"))

    domain("i.softbank.jp", mx_ip="203.0.113.130", spf="v=spf1 ip4:203.0.113.128/29 -all", dmarc="v=DMARC1; p=none")
    publish_key("i.softbank.jp", "sb", "isoftbank")
    m = sign(build("c31", from_="momo.t@i.softbank.jp", subject="ありがとうございました",
                   body=JA_THANKS, charset="UTF-8", cte="quoted-printable"), "i.softbank.jp", "sb")
    case("c31-mobile-isoftbank-thanks", m, ip="203.0.113.131", helo="mx.i.softbank.jp", mail_from="momo.t@i.softbank.jp",
         expect=ex("i.softbank.jp (iPhone carrier mail), DKIM + SPF pass -> pseudonymous mobile. Thanks -> other.",
                   "pass", "pass", "pass", "pseudonymous", ["mobile"], "other", "mobile"))

    domain("ymobile.ne.jp", mx_ip="203.0.113.140", spf="v=spf1 ip4:203.0.113.136/29 -all")
    m = build("c32", from_="aoi-ym@ymobile.ne.jp", subject="在庫について", body=JA_Q_SIZE,
              charset="ISO-2022-JP", cte="7bit")
    case("c32-mobile-ymobile-spf-question", m, ip="203.0.113.138", helo="mx.ymobile.ne.jp", mail_from="aoi-ym@ymobile.ne.jp",
         expect=ex("ymobile.ne.jp (Y!mobile) carrier mail, SPF pass, no DMARC -> pseudonymous mobile.",
                   "none", "pass", "none", "pseudonymous", ["mobile"], "question", "mobile"))

    m = build("c33", from_="haru-0512.xx@docomo.ne.jp", subject="至急ご確認ください",
              body="ご注文の商品について確認があります。\n以下のURLからログインしてください。\nhttps://docomo-check.invalid/login\n",
              charset="ISO-2022-JP", cte="7bit")
    case("c33-mobile-forged-docomo-dmarc-fail", m, ip="198.51.100.250", helo="vps250.example.net",
         mail_from="haru-0512.xx@docomo.ne.jp",
         expect=ex("docomo.ne.jp (p=reject) From sent from outside its SPF (~all -> softfail), unsigned -> dmarc=fail "
                   "-> forged -> anonymous; the class still describes the From domain (mobile).",
                   "none", "softfail", "fail", "anonymous", ["dmarc-fail"], None, "mobile"))

    # --- disposable --------------------------------------------------------------------------
    domain("mailinator.com", mx_ip="198.51.100.150", spf="v=spf1 ip4:198.51.100.144/28 -all")
    m = build("c34", from_="testbuyer77@mailinator.com", subject="discount code?",
              body="hi, is there any discount code for first-time buyers? thx\n", charset="us-ascii", cte="7bit")
    case("c34-disposable-mailinator", m, ip="198.51.100.150", helo="mx.mailinator.com", mail_from="testbuyer77@mailinator.com",
         expect=ex("mailinator.com throwaway box -> anonymous, disposable (SPF pass does not help).",
                   "none", "pass", "none", "anonymous", ["disposable"], "question", "disposable"))

    domain("guerrillamail.com", mx_ip="198.51.100.160")
    m = build("c35", from_="qzx81@guerrillamail.com", subject="Refund NOW", body=EN_C_REFUND,
              charset="us-ascii", cte="7bit")
    case("c35-disposable-guerrillamail-complaint", m, ip="198.51.100.160", helo="mx.guerrillamail.com",
         mail_from="qzx81@guerrillamail.com",
         expect=ex("guerrillamail.com -> anonymous, disposable; no SPF record -> spf=none. Angry refund demand.",
                   "none", "none", "none", "anonymous", ["disposable"], "complaint", "disposable"))

    domain("yopmail.com", mx_ip="198.51.100.170", spf="v=spf1 ip4:198.51.100.168/29 ~all")
    m = build("c36", from_="kaimono123@yopmail.com", subject="商品が届きません", body=JA_C_LATE,
              charset="UTF-8", cte="base64")
    case("c36-disposable-yopmail-ja-complaint", m, ip="198.51.100.170", helo="mx.yopmail.com",
         mail_from="kaimono123@yopmail.com",
         expect=ex("yopmail.com -> anonymous, disposable. UTF-8 base64 complaint.",
                   "none", "pass", "none", "anonymous", ["disposable"], "complaint", "disposable"))

    # --- From domain without MX and A --------------------------------------------------------
    rr("no-reply-shop.test", {"TXT": "v=spf1 ip4:203.0.113.200/29 -all"})
    m = build("c37", from_="support@no-reply-shop.test", subject="Order question",
              body=EN_Q_HOWTO.replace("Emily", "Shop"), charset="us-ascii", cte="7bit")
    case("c37-from-domain-no-mx-no-a-nodata", m, ip="203.0.113.201", helo="203-0-113-201.example.net",
         mail_from="support@no-reply-shop.test",
         expect=ex("From domain exists (SPF TXT only) but has neither MX nor A: no reply path -> anonymous, no-mx; "
                   "class disposable (README: domains with no MX and no A). SPF pass, no DMARC.",
                   "none", "pass", "none", "anonymous", ["no-mx"], "question", "disposable"))

    m = build("c38", from_="user@ghost-domain.test", subject="Thanks", body=EN_THANKS, charset="us-ascii", cte="7bit")
    case("c38-from-domain-nxdomain", m, ip="203.0.113.202", helo="203-0-113-202.example.net",
         mail_from="user@ghost-domain.test",
         expect=ex("From domain does not exist (NXDOMAIN): no MX, no A -> anonymous, no-mx; class disposable. "
                   "SPF none (no record), DMARC none.",
                   "none", "none", "none", "anonymous", ["no-mx"], "other", "disposable"))

    # --- null MX From -----------------------------------------------------------------------
    rr("notify.kazami.test", {"MX": "0 ."}, {"A": "192.0.2.5"}, {"TXT": "v=spf1 ip4:192.0.2.5 -all"})
    publish_key("notify.kazami.test", "nt", "kazami")
    m = sign(build("c39", from_="info@notify.kazami.test", subject="Your order has been shipped",
                   body=EN_ORDER, charset="us-ascii", cte="7bit"), "notify.kazami.test", "nt")
    case("c39-from-null-mx", m, ip="192.0.2.5", helo="notify.kazami.test", mail_from="info@notify.kazami.test",
         expect=ex("From domain publishes a null MX (0 .) -> no reply path -> anonymous, null-mx, although DKIM and "
                   "SPF pass. sender_class not asserted (README does not say).",
                   "pass", "pass", "none", "anonymous", ["null-mx"], "other"))

    # --- Reply-To elsewhere: no MX / null MX ---------------------------------------------------
    d = "asahi-kikaku.test"
    domain(d, mx_ip="192.0.2.30", spf="v=spf1 ip4:192.0.2.30 -all", dmarc="v=DMARC1; p=none")
    publish_key(d, "ak", "asahi")
    rr("campaign-reply.test", {"TXT": "v=spf1 -all"})
    m = sign(build("c40", from_="pr@asahi-kikaku.test", subject="お問い合わせ", body=JA_Q_INVOICE,
                   charset="ISO-2022-JP", cte="7bit", reply_to="entry@campaign-reply.test"), d, "ak")
    case("c40-reply-to-no-mx", m, ip="192.0.2.30", helo="mx.asahi-kikaku.test", mail_from="pr@asahi-kikaku.test",
         expect=ex("Authenticated corporate From, but Reply-To is at a domain with neither MX nor A -> replies "
                   "cannot be delivered -> anonymous, reply-to-differs + no-mx; class corporate (From domain).",
                   "pass", "pass", "pass", "anonymous", ["reply-to-differs", "no-mx"], "question", "corporate"))

    rr("bounce-only.test", {"MX": "0 ."}, {"A": "198.51.100.99"})
    m = sign(build("c41", from_="emily.hart.1987@gmail.com", display="Emily Hart", subject="Thank you",
                   body=EN_THANKS.replace("Peter", "Emily"), charset="us-ascii", cte="7bit",
                   reply_to="Emily <noreply@bounce-only.test>"), "gmail.com", "20230601")
    case("c41-reply-to-null-mx-freemail", m, ip="198.51.100.71", helo="mail-ej1-f71.google.example",
         mail_from="emily.hart.1987@gmail.com",
         expect=ex("gmail.com sender (DKIM/SPF/DMARC pass) with Reply-To at a null-MX domain -> anonymous, "
                   "reply-to-differs + null-mx; class freemail (From domain).",
                   "pass", "pass", "pass", "anonymous", ["reply-to-differs", "null-mx"], "other", "freemail"))

    # --- webmail ---------------------------------------------------------------------------
    d = "kawasemi.test"
    rr(d, {"MX": "10 mail.kawasemi.test."}, {"TXT": "v=spf1 mx -all"})
    host("mail.kawasemi.test", "192.0.2.35")
    host("webmail.kawasemi.test", "192.0.2.36")
    rr("_dmarc.kawasemi.test", {"TXT": "v=DMARC1; p=quarantine"})
    m = build("c42", from_="ono@kawasemi.test", subject="Question about invoices",
              body=EN_Q_API.replace("Tom", "Ono"), charset="us-ascii", cte="7bit",
              extra=["User-Agent: Roundcube Webmail/1.6.9"])
    m = (b"Received: from [198.51.100.23] (p123.example.net [198.51.100.23])\r\n\tby webmail.kawasemi.test "
         b"with HTTP (Roundcube); Tue, 24 Nov 2026 10:14:58 +0900\r\n") + m
    case("c42-webmail-own-domain-identified", m, ip="192.0.2.35", helo="mail.kawasemi.test", mail_from="ono@kawasemi.test",
         expect=ex("Written in the company's own webmail (webmail.kawasemi.test with HTTP) with From at kawasemi.test: "
                   "the From belongs to the webmail, so no from-mismatch; SPF mx pass aligned -> identified.",
                   "none", "pass", "pass", "identified", [], "question", "corporate"))

    rr("yahoo.co.jp", {"TXT": "v=spf1 ip4:203.0.113.32/28 ~all"})
    m = sign(build("c43", from_="taro_y@yahoo.co.jp", subject="配送日の変更について", body=JA_Q_DELIVERY,
                   charset="ISO-2022-JP", cte="7bit", extra=["X-YMail-OSG: abcdef", "X-Originating-IP: [203.0.113.9]"]),
             "yahoo.co.jp", "yj20110701")
    m = (b"Received: from [203.0.113.9] by web101.mail.yahoo.co.jp via HTTP; Tue, 24 Nov 2026 10:14:50 +0900\r\n") + m
    case("c43-webmail-yahoo-own-user", m, ip="203.0.113.34", helo="nmt34.mail.yahoo.example",
         mail_from="taro_y@yahoo.co.jp",
         expect=ex("Written in Yahoo! JAPAN's webmail (web101.mail.yahoo.co.jp via HTTP) with a yahoo.co.jp From: the "
                   "webmail's own domain -> not from-mismatch -> pseudonymous freemail.",
                   "pass", "pass", "pass", "pseudonymous", ["freemail"], "question", "freemail"))

    rr("webmail.hosting.test", {"MX": "10 webmail.hosting.test."}, {"A": "198.51.100.120"}, {"TXT": "v=spf1 a -all"})
    domain("tanaka-shoji.test", mx_ip="192.0.2.44")
    m = build("c44", from_="president@tanaka-shoji.test", display="田中商事 代表", subject="至急のお願い",
              body="お世話になっております。\n取引先への支払いを急ぎで行いたいのですが、振込先の変更手続きを教えてください。\n",
              charset="ISO-2022-JP", cte="7bit", extra=["X-Mailer: SquirrelMail/1.4.23"])
    m = (b"Received: from 198.51.100.9 (SquirrelMail authenticated user tk)\r\n\tby webmail.hosting.test with HTTP;\r\n"
         b"\tTue, 24 Nov 2026 10:14:40 +0900\r\n") + m
    case("c44-webmail-origin-unrelated-from", m, ip="198.51.100.120", helo="webmail.hosting.test",
         mail_from="www-data@webmail.hosting.test",
         expect=ex("Written in a hosting provider's SquirrelMail (Received ... by webmail.hosting.test with HTTP) but "
                   "From claims tanaka-shoji.test, unrelated to the webmail, and nothing vouches for it -> anonymous "
                   "with webmail-origin and from-mismatch.",
                   "none", "pass", "none", "anonymous", ["webmail-origin", "from-mismatch"], "question",
                   notes="sender_class not asserted: the From domain is not the real sender's."))

    # --- academic / government / isp ----------------------------------------------------------
    domain("example.ac.jp", mx_ip="192.0.2.60", spf="v=spf1 ip4:192.0.2.60/30 -all", dmarc="v=DMARC1; p=none")
    publish_key("example.ac.jp", "ac", "example-ac-jp")
    m = sign(build("c45", from_="kyomu@example.ac.jp", display="教務課", subject="納品書の再送について",
                   body="いつもお世話になっております。\n先月分の納品書が見当たらないため、再送をお願いできますでしょうか。\n",
                   charset="ISO-2022-JP", cte="7bit"), "example.ac.jp", "ac")
    case("c45-academic-acjp-identified", m, ip="192.0.2.61", helo="mx.example.ac.jp", mail_from="kyomu@example.ac.jp",
         expect=ex(".ac.jp university office, DKIM + SPF pass, DMARC p=none pass -> identified academic.",
                   "pass", "pass", "pass", "identified", [], "question", "academic"))

    domain("example.edu", mx_ip="192.0.2.70", dmarc="v=DMARC1; p=quarantine")
    domain("cs.example.edu", mx_ip="192.0.2.71")
    publish_key("example.edu", "edu1", "example-edu")
    m = sign(build("c46", from_="prof.miller@cs.example.edu", display="Prof. Anna Miller", subject="Question about licences",
                   body="Dear support team,\n\nCould you tell me whether the site licence covers student laptops?\n"
                        "We would like to install it for a course next term.\n\nBest regards,\nAnna Miller\n",
                   charset="us-ascii", cte="7bit"), "example.edu", "edu1")
    case("c46-academic-edu-subdomain-signer", m, ip="192.0.2.71", helo="mx.cs.example.edu",
         mail_from="prof.miller@cs.example.edu",
         expect=ex(".edu department (cs.example.edu) signed d=example.edu: relaxed alignment, DMARC from the org "
                   "domain passes -> identified academic. SPF none (no record).",
                   "pass", "none", "pass", "identified", [], "question", "academic"))

    domain("example.go.jp", mx_ip="192.0.2.80", spf="v=spf1 ip4:192.0.2.80/29 -all", dmarc="v=DMARC1; p=reject")
    m = build("c47", from_="info@example.go.jp", subject="年末年始の業務について", body=JA_NOTICE,
              charset="ISO-2022-JP", cte="7bit")
    case("c47-government-gojp-spf-notice", m, ip="192.0.2.82", helo="mx.example.go.jp", mail_from="info@example.go.jp",
         expect=ex("go.jp ministry, unsigned, SPF pass aligned -> DMARC pass -> identified government. Notice -> other.",
                   "none", "pass", "pass", "identified", [], "other", "government"))

    domain("city.example.lg.jp", mx_ip="192.0.2.90", spf="v=spf1 ip4:192.0.2.88/29 -all")
    publish_key("city.example.lg.jp", "lg", "city-lg")
    m = sign(build("c48", from_="kikaku@city.example.lg.jp", display="企画課", subject="見積書の件",
                   body=JA_Q_INVOICE, charset="UTF-8", cte="base64"), "city.example.lg.jp", "lg")
    case("c48-government-lgjp-dkim", m, ip="192.0.2.90", helo="mx.city.example.lg.jp", mail_from="kikaku@city.example.lg.jp",
         expect=ex("lg.jp local government, DKIM + SPF pass aligned, no DMARC record -> dmarc=none; identified government.",
                   "pass", "pass", "none", "identified", [], "question", "government"))

    domain("ocn.ne.jp", mx_ip="203.0.113.150", spf="v=spf1 ip4:203.0.113.144/28 -all", dmarc="v=DMARC1; p=none")
    m = build("c49", from_="kobayashi-h@ocn.ne.jp", subject="返金してください", body=JA_C_BROKEN,
              charset="ISO-2022-JP", cte="7bit")
    case("c49-isp-ocn-spf-complaint", m, ip="203.0.113.150", helo="mx.ocn.ne.jp", mail_from="kobayashi-h@ocn.ne.jp",
         expect=ex("ocn.ne.jp ISP mailbox, SPF pass aligned -> DMARC pass -> identified isp. Complaint.",
                   "none", "pass", "pass", "identified", [], "complaint", "isp"))

    domain("nifty.com", mx_ip="203.0.113.160", spf="v=spf1 ip4:203.0.113.160/29 -all", dmarc="v=DMARC1; p=none")
    publish_key("nifty.com", "nifty2026", "nifty")
    m = sign(build("c50", from_="hiroshi.m@nifty.com", subject="How do I change my delivery address?",
                   body=EN_Q_HOWTO.replace("Emily", "Hiroshi"), charset="us-ascii", cte="7bit"), "nifty.com", "nifty2026")
    case("c50-isp-nifty-dkim-question", m, ip="203.0.113.161", helo="mx.nifty.com", mail_from="hiroshi.m@nifty.com",
         expect=ex("nifty.com ISP mailbox, DKIM + SPF pass -> identified isp.",
                   "pass", "pass", "pass", "identified", [], "question", "isp"))

    domain("biglobe.ne.jp", mx_ip="203.0.113.170", spf="v=spf1 ip4:203.0.113.168/29 -all")
    publish_key("biglobe.ne.jp", "ed2026", "biglobe", ed=True)
    m = sign(build("c51", from_="yoko-s@biglobe.ne.jp", subject="ありがとうございました", body=JA_THANKS,
                   charset="ISO-2022-JP", cte="7bit"), "biglobe.ne.jp", "ed2026")
    case("c51-isp-biglobe-ed25519", m, ip="198.51.100.199", helo="relay.example.net", mail_from="yoko-s@biglobe.ne.jp",
         expect=ex("biglobe.ne.jp ISP mailbox signed with an ed25519 key (RFC 8463) -> dkim=pass aligned; sent via an "
                   "outside relay (SPF fail); no DMARC record -> dmarc=none; identified isp (DKIM passes aligned).",
                   "pass", "fail", "none", "identified", [], "other", "isp"))

    # --- forged copies of our headers ----------------------------------------------------------
    d = "mitsuboshi.test"
    m = sign(build("c52", from_="t.sato@mitsuboshi.test", display="佐藤 太郎", subject="至急返金してください",
                   body=JA_C_BROKEN, charset="ISO-2022-JP", cte="7bit"), d, "sel2026")
    m = (b"Authentication-Results: authserv-id.replyguard.invalid; dkim=fail header.d=mitsuboshi.test;\r\n"
         b"\tspf=fail smtp.mailfrom=mitsuboshi.test; dmarc=fail header.from=mitsuboshi.test\r\n"
         b"Authentication-Results: mx.upstream.example; spf=pass smtp.mailfrom=mitsuboshi.test\r\n"
         b"X-Sender-Class: disposable\r\nX-Sender-Anonymity: anonymous; reasons=dmarc-fail\r\n"
         b"X-Support-Category: other; score=0.99\r\n") + m
    case("c52-forged-downgrade-stripped", m, ip="192.0.2.21", helo="mx.mitsuboshi.test", mail_from="t.sato@mitsuboshi.test",
         expect=ex("An upstream added an A-R with our authserv-id (downgrade) and copies of all three X- headers: "
                   "removed and replaced by ours. Genuine corporate sender -> identified. Complaint.",
                   "pass", "pass", "pass", "identified", [], "complaint", "corporate", stripped=True))

    m = build("c53", from_="billing@kurogane-steel.test", subject="Invoice overdue",
              body=EN_ORDER, charset="us-ascii", cte="7bit")
    m = (b"Authentication-Results: authserv-id.replyguard.invalid;\r\n\tdkim=pass header.d=kurogane-steel.test;"
         b" spf=pass smtp.mailfrom=kurogane-steel.test;\r\n\tdmarc=pass header.from=kurogane-steel.test\r\n"
         b"X-Sender-Anonymity: identified; reasons=none\r\nX-Sender-Class: government\r\n") + m
    case("c53-forged-upgrade-spoof-stripped", m, ip="203.0.113.53", helo="vps53.example.net",
         mail_from="billing@kurogane-steel.test",
         expect=ex("A spoofed p=reject From carrying a forged all-pass A-R with our authserv-id and a forged "
                   "'identified': stripped; our own checks say spf=fail, dmarc=fail -> anonymous.",
                   "none", "fail", "fail", "anonymous", ["dmarc-fail"], "other", "corporate", stripped=True))


    # --- more shapes seen in real Japanese mail ------------------------------------------------
    # null reverse-path: SPF checks the HELO identity, DMARC uses it (RFC 7489 §3.1.2 / RFC 7208 §2.3)
    rr("mx.mitsuboshi.test", {"TXT": "v=spf1 a -all"})
    m = build("c54", from_="mailer-daemon@mitsuboshi.test", subject="自動返信: お問い合わせありがとうございます",
              body="このメールは自動返信です。\nお問い合わせを受け付けました。担当者より2営業日以内にご連絡いたします。\n",
              charset="ISO-2022-JP", cte="7bit", extra=["Auto-Submitted: auto-replied"])
    case("c54-null-sender-helo-spf-auto-reply", m, ip="192.0.2.20", helo="mx.mitsuboshi.test", mail_from="",
         expect=ex("Auto-reply with the null reverse-path: SPF is the HELO identity (mx.mitsuboshi.test 'a -all' "
                   "-> pass), relaxed-aligned with From mitsuboshi.test -> DMARC pass -> identified. Auto-reply -> other.",
                   "none", "pass", "pass", "identified", [], "other", "corporate"))

    # DKIM key published through a CNAME to the ESP (the usual ESP setup)
    d = "kotobuki-ya.test"
    domain(d, mx_ip="192.0.2.100", spf="v=spf1 ip4:192.0.2.100 -all", dmarc="v=DMARC1; p=quarantine")
    publish_key("esp.mailcast.test", "kotobuki", "kotobuki-esp")
    rr("kb1._domainkey.kotobuki-ya.test", {"CNAME": "kotobuki._domainkey.esp.mailcast.test."})
    SIGNERS[(d, "kb1")] = SIGNERS[("esp.mailcast.test", "kotobuki")]
    m = sign(build("c55", from_="shop@kotobuki-ya.test", subject="発送のお知らせ",
                   body="ご注文の商品を本日発送いたしました。\nお問い合わせ番号: 1234-5678-9012\n配送状況は https://track.example.net/1234 でご確認いただけます。\n",
                   charset="ISO-2022-JP", cte="7bit"), d, "kb1")
    case("c55-dkim-key-via-cname", m, ip="198.51.100.13", helo="out13.mailcast.test",
         mail_from="bounce-77@bounces.mailcast.test",
         expect=ex("Key kb1._domainkey.kotobuki-ya.test is a CNAME to the ESP's key: dkim=pass aligned -> DMARC pass. "
                   "Shipping notification -> other.",
                   "pass", "pass", "pass", "identified", [], "other", "corporate"))

    # SPF redirect= (common: v=spf1 redirect=_spf.<domain>)
    d = "wakaba-jimusho.test"
    domain(d, mx_ip="192.0.2.112", spf="v=spf1 redirect=_spf.wakaba-jimusho.test", dmarc="v=DMARC1; p=reject")
    rr("_spf.wakaba-jimusho.test", {"TXT": "v=spf1 ip4:192.0.2.112/30 -all"})
    m = build("c56", from_="jimu@wakaba-jimusho.test", subject="請求書の宛名について", body=JA_Q_INVOICE,
              charset="ISO-2022-JP", cte="7bit")
    case("c56-spf-pass-via-redirect", m, ip="192.0.2.113", helo="mx.wakaba-jimusho.test", mail_from="jimu@wakaba-jimusho.test",
         expect=ex("SPF 'redirect=_spf.wakaba-jimusho.test' -> pass aligned -> DMARC pass -> identified.",
                   "none", "pass", "pass", "identified", [], "question", "corporate"))

    # IPv6 client
    d = "nagisa-tech.test"
    rr(d, {"MX": "10 mx.nagisa-tech.test."}, {"TXT": "v=spf1 ip6:2001:db8:25::/48 -all"})
    rr("mx.nagisa-tech.test", {"AAAA": "2001:db8:25::10"})
    rr("_dmarc.nagisa-tech.test", {"TXT": "v=DMARC1; p=reject"})
    m = build("c57", from_="cto@nagisa-tech.test", subject="How do I reset our team password?",
              body=EN_Q_API.replace("Tom", "Nagisa CTO"), charset="us-ascii", cte="7bit")
    case("c57-spf-pass-ipv6-client", m, ip="2001:db8:25::10", helo="mx.nagisa-tech.test", mail_from="cto@nagisa-tech.test",
         expect=ex("IPv6 client inside the SPF ip6: range -> pass aligned -> DMARC pass. MX host with AAAA only.",
                   "none", "pass", "pass", "identified", [], "question", "corporate"))

    # pct=0 still fails
    d = "hinode-mart.test"
    domain(d, mx_ip="192.0.2.116", spf="v=spf1 ip4:192.0.2.116 -all", dmarc="v=DMARC1; p=reject; pct=0")
    m = build("c58", from_="sale@hinode-mart.test", subject="Our November newsletter", body=EN_NEWSLETTER,
              charset="us-ascii", cte="7bit")
    case("c58-dmarc-fail-pct-0", m, ip="203.0.113.58", helo="bulk58.example.net", mail_from="sale@hinode-mart.test",
         expect=ex("p=reject; pct=0, spoofed (SPF fail, unsigned): pct only softens the disposition, the result is "
                   "still dmarc=fail -> anonymous.",
                   "none", "fail", "fail", "anonymous", ["dmarc-fail"], "other", "corporate"))

    # guerrillamail under another TLD
    domain("guerrillamail.org", mx_ip="198.51.100.161")
    m = build("c59", from_="zz9k@guerrillamail.org", subject="question",
              body="Hello, do you ship to Osaka? How long does it take?\n", charset="us-ascii", cte="7bit")
    case("c59-disposable-guerrillamail-org", m, ip="198.51.100.161", helo="mx.guerrillamail.org",
         mail_from="zz9k@guerrillamail.org",
         expect=ex("guerrillamail.org (same throwaway service, other TLD) -> anonymous, disposable.",
                   "none", "none", "none", "anonymous", ["disposable"], "question", "disposable"))

    # forged A-R folded, with a comment and a version before the results
    d = "mitsuboshi.test"
    m = sign(build("c60", from_="t.sato@mitsuboshi.test", display="佐藤 太郎", subject="サイズについて",
                   body=JA_Q_SIZE, charset="ISO-2022-JP", cte="7bit"), d, "sel2026")
    m = (b"Authentication-Results:\r\n\tauthserv-id.replyguard.invalid 1 (checked upstream);\r\n"
         b"\tdmarc=fail (p=reject) header.from=mitsuboshi.test\r\n"
         b"X-Support-Category: complaint; score=1.00\r\n") + m
    case("c60-forged-folded-with-version-stripped", m, ip="192.0.2.22", helo="mx.mitsuboshi.test",
         mail_from="t.sato@mitsuboshi.test",
         expect=ex("Forged A-R with our authserv-id on a continuation line, followed by a version and a comment: "
                   "still ours, removed. Genuine sender -> identified.",
                   "pass", "pass", "pass", "identified", [], "question", "corporate", stripped=True))

    # upper-case From domain
    d = "hanamizuki.test"
    m = sign(build("c61", from_="Kimura@HanaMizuki.TEST", subject="Thank you",
                   body=EN_THANKS.replace("Peter", "Aiko"), charset="us-ascii", cte="7bit"), d, "mail")
    case("c61-uppercase-from-domain", m, ip="192.0.2.51", helo="mx.hanamizuki.test", mail_from="Kimura@HanaMizuki.TEST",
         expect=ex("From and MAIL FROM domain in mixed case (domains are case-insensitive): DKIM d=hanamizuki.test and "
                   "SPF pass aligned -> identified corporate.",
                   "pass", "pass", "pass", "identified", [], "other", "corporate"))

    # --- SPF record shapes -----------------------------------------------------------------------
    d = "ookawa-seiki.test"
    long_spf = "v=spf1 " + " ".join(f"ip4:198.18.{i}.0/24" for i in range(1, 20)) + " ip4:192.0.2.120/30 -all"
    domain(d, mx_ip="192.0.2.121", spf=long_spf, dmarc="v=DMARC1; p=reject")
    m = build("c62", from_="hinshitsu@ookawa-seiki.test", subject="納期について", body=JA_Q_DELIVERY,
              charset="ISO-2022-JP", cte="7bit")
    case("c62-spf-long-record-split-strings", m, ip="192.0.2.121", helo="mx.ookawa-seiki.test",
         mail_from="hinshitsu@ookawa-seiki.test",
         expect=ex("SPF record longer than 255 octets, served as two character-strings that must be concatenated "
                   "(the split falls inside a term); the client matches the last ip4: -> pass -> DMARC pass.",
                   "none", "pass", "pass", "identified", [], "question", "corporate"))

    d = "futatsu-boshi.test"
    rr(d, {"MX": "10 mx.futatsu-boshi.test."}, {"TXT": "v=spf1 ip4:192.0.2.124/30 -all"},
       {"TXT": "v=spf1 include:_spf.mailcast.test -all"})
    host("mx.futatsu-boshi.test", "192.0.2.124")
    publish_key(d, "fb", "futatsu")
    rr("_dmarc.futatsu-boshi.test", {"TXT": "v=DMARC1; p=none"})
    m = sign(build("c63", from_="info@futatsu-boshi.test", subject="Thank you", body=EN_THANKS,
                   charset="us-ascii", cte="7bit"), d, "fb")
    case("c63-spf-permerror-two-records", m, ip="192.0.2.124", helo="mx.futatsu-boshi.test",
         mail_from="info@futatsu-boshi.test",
         expect=ex("Two v=spf1 TXT records at the MAIL FROM domain -> permerror (RFC 7208 §4.5). DKIM pass aligned -> "
                   "DMARC pass.",
                   "pass", "permerror", "pass", "identified", [], "other", "corporate"))

    d = "mimosa-kikaku.test"
    domain(d, mx_ip="192.0.2.126", spf="v=spf1 include:_spf.gone-esp.test ip4:192.0.2.126 -all", dmarc="v=DMARC1; p=none")
    publish_key(d, "mk", "mimosa")
    m = sign(build("c64", from_="contact@mimosa-kikaku.test", subject="配送日の変更について", body=JA_Q_DELIVERY,
                   charset="ISO-2022-JP", cte="7bit"), d, "mk")
    case("c64-spf-include-without-record-permerror", m, ip="192.0.2.126", helo="mx.mimosa-kikaku.test",
         mail_from="contact@mimosa-kikaku.test",
         expect=ex("The first term include:_spf.gone-esp.test names a domain with no SPF record -> permerror "
                   "(RFC 7208 §5.2), before the matching ip4:. DKIM pass aligned -> DMARC pass.",
                   "pass", "permerror", "pass", "identified", [], "question", "corporate"))

    # --- message shapes ----------------------------------------------------------------------
    d = "mitsuboshi.test"
    html = ("<html><body><p>昨日届いた商品が壊れていました。</p><p>箱を開けたら本体が割れていて、電源も入りません。</p>"
            "<p>信じられません。すぐに返金してください。</p></body></html>\n")
    alt = ("--ALT-7f3a\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + encode_body(JA_C_BROKEN, "utf-8", "base64").decode() +
           "--ALT-7f3a\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + encode_body(html, "utf-8", "base64").decode() + "--ALT-7f3a--\r\n")
    head = ("Date: Tue, 24 Nov 2026 10:15:00 +0900\r\nFrom: =?UTF-8?B?5L2Q6JekIOWkqumDjg==?= <t.sato@mitsuboshi.test>\r\n"
            f"To: {TO}\r\nSubject: =?UTF-8?B?5ZWG5ZOB44GM5aOK44KM44Gm44GE44G+44GX44Gf?=\r\n"
            f"Message-ID: <c65.{SIGN_TIME}@mitsuboshi.test>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/alternative; boundary=\"ALT-7f3a\"\r\n\r\n")
    m = sign((head + alt).encode("ascii"), d, "sel2026")
    case("c65-multipart-alternative-complaint", m, ip="192.0.2.20", helo="mx.mitsuboshi.test",
         mail_from="t.sato@mitsuboshi.test",
         expect=ex("multipart/alternative (UTF-8 base64 text + HTML) complaint from an identified corporate sender.",
                   "pass", "pass", "pass", "identified", [], "complaint", "corporate"))

    quoted = ("ありがとうございます。週末に試してみます。\n\n"
              "2026年11月20日(金) 15:02 サポート窓口 <support@shop.example>:\n"
              "> お問い合わせいただいた件について、大変ご迷惑をおかけしております。\n"
              "> 商品の不具合により、返金または交換にて対応させていただきます。\n"
              "> ご不便をおかけし、誠に申し訳ございません。\n")
    m = sign(build("c66", from_="emily.hart.1987@gmail.com", subject="Re: 商品の不具合について",
                   body=quoted, charset="UTF-8", cte="quoted-printable"), "gmail.com", "20230601")
    case("c66-reply-thanks-over-quoted-apology", m, ip="198.51.100.72", helo="mail-ej1-f72.google.example",
         mail_from="emily.hart.1987@gmail.com",
         expect=ex("A one-line thank-you above our quoted apology (which talks about defects and refunds): only the "
                   "customer's own words count -> other. gmail -> pseudonymous freemail.",
                   "pass", "pass", "pass", "pseudonymous", ["freemail"], "other", "freemail"))

    # webmail origin, From at a freemail the webmail is not (gmail From written in a hosting webmail)
    m = build("c67", from_="emily.hart.1987@gmail.com", display="Emily Hart", subject="Refund NOW",
              body=EN_C_REFUND, charset="us-ascii", cte="7bit", extra=["X-Originating-IP: [203.0.113.67]"])
    m = (b"Received: from [203.0.113.67] by webmail.hosting.test with HTTP; Tue, 24 Nov 2026 10:14:40 +0900\r\n") + m
    case("c67-webmail-origin-freemail-from-elsewhere", m, ip="198.51.100.120", helo="webmail.hosting.test",
         mail_from="www-data@webmail.hosting.test",
         expect=ex("Written in webmail.hosting.test but From claims gmail.com: unrelated to the webmail and unaligned "
                   "(gmail p=none -> dmarc=fail) -> anonymous with webmail-origin, from-mismatch and dmarc-fail.",
                   "none", "pass", "fail", "anonymous", ["webmail-origin", "from-mismatch", "dmarc-fail"], "complaint",
                   "freemail"))

    # raw 8-bit Shift_JIS header fields (old handsets / mailers), unsigned, SPF pass
    head = ("Date: Tue, 24 Nov 2026 10:15:00 +0900\r\n").encode() + \
        "From: 山田 花子 <haru-0512.xx@docomo.ne.jp>\r\nSubject: 商品が壊れていました\r\n".encode("shift_jis") + \
        (f"To: support@shop.example\r\nMessage-ID: <c68.{SIGN_TIME}@docomo.ne.jp>\r\nMIME-Version: 1.0\r\n"
         "Content-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").encode()
    m = head + encode_body("届いた商品が壊れていました。\nすぐに交換してください。\n", "shift_jis", "8bit")
    case("c68-raw-8bit-shiftjis-headers-mobile", m, ip="203.0.113.106", helo="mfsmax.docomo.example",
         mail_from="haru-0512.xx@docomo.ne.jp",
         expect=ex("From display name and Subject as raw 8-bit Shift_JIS (no encoded-words), as some handsets send: "
                   "must still parse. docomo SPF pass aligned -> DMARC pass -> pseudonymous mobile; complaint.",
                   "none", "pass", "pass", "pseudonymous", ["mobile"], "complaint", "mobile"))

    # every lookup that matters times out
    d = "kumo-kanri.test"
    domain(d, mx_ip="192.0.2.128")
    rr(d, {"TIMEOUT": "TXT"})
    rr("_dmarc.kumo-kanri.test", "TIMEOUT")
    unpublished_key(d, "km", "kumo")
    rr("km._domainkey.kumo-kanri.test", "TIMEOUT")
    m = sign(build("c69", from_="kanri@kumo-kanri.test", subject="ポイントの有効期限について",
                   body="ポイントの有効期限を教えてください。\n", charset="ISO-2022-JP", cte="7bit"), d, "km")
    case("c69-all-lookups-timeout-temperror", m, ip="192.0.2.128", helo="mx.kumo-kanri.test", mail_from="kanri@kumo-kanri.test",
         expect=ex("DKIM key, SPF TXT and _dmarc TXT all never answer: dkim, spf and dmarc are temperror (within the "
                   "harness's 60 s). Anonymity not asserted (README has no rule for DNS trouble).",
                   "temperror", "temperror", "temperror", None, [], "question"))

    # null reverse-path and an address-literal HELO: no SPF identity to check -> spf=none
    m = build("c70", from_="billing@kurogane-steel.test", subject="Delivery Status Notification",
              body="This is an automatically generated Delivery Status Notification.\nDelivery to the following recipient failed permanently.\n",
              charset="us-ascii", cte="7bit", extra=["Auto-Submitted: auto-replied"])
    case("c70-null-sender-ip-literal-helo", m, ip="203.0.113.70", helo="[203.0.113.70]", mail_from="",
         expect=ex("Null reverse-path and HELO an address literal: neither identity is a domain -> spf=none; From "
                   "kurogane-steel.test (p=reject) unsigned -> dmarc=fail -> anonymous. Bounce notice -> other.",
                   "none", "none", "fail", "anonymous", ["dmarc-fail"], "other", "corporate"))

    # corporate From, Reply-To at a throwaway service
    d = "asahi-kikaku.test"
    domain("mailinator.com", mx_ip="198.51.100.150")
    m = sign(build("c71", from_="pr@asahi-kikaku.test", subject="キャンペーン応募について", body=JA_Q_SIZE,
                   charset="ISO-2022-JP", cte="7bit", reply_to="asahi-campaign@mailinator.com"), d, "ak")
    case("c71-reply-to-disposable", m, ip="192.0.2.30", helo="mx.asahi-kikaku.test", mail_from="pr@asahi-kikaku.test",
         expect=ex("Authenticated corporate From but Reply-To at mailinator.com: the reply path is a throwaway box "
                   "-> anonymous with reply-to-differs and disposable; class corporate (From domain).",
                   "pass", "pass", "pass", "anonymous", ["reply-to-differs", "disposable"], "question", "corporate"))

    # From with an RFC 822 comment instead of a display name; forged X- headers in lower case
    d = "hanamizuki.test"
    m = sign(build("c72", from_="kimura@hanamizuki.test", subject="How do I change my delivery address?",
                   body=EN_Q_HOWTO.replace("Emily", "Aiko"), charset="us-ascii", cte="7bit"), d, "mail")
    m = m.replace(b"From: kimura@hanamizuki.test", b"From: kimura@hanamizuki.test (Aiko Kimura)", 1)
    m = b"x-sender-anonymity: identified\r\nx-support-category: complaint; score=0.99\r\n" + m
    case("c72-from-comment-lowercase-forged-x-headers", m, ip="192.0.2.50", helo="mx.hanamizuki.test",
         mail_from="kimura@hanamizuki.test",
         expect=ex("'From: addr (Comment)' (changed after signing -> dkim=fail; SPF aligned keeps DMARC pass) and "
                   "lower-case forged x-sender-anonymity / x-support-category (header names are case-insensitive): "
                   "exactly one of each must remain.",
                   "fail", "pass", "pass", "identified", [], "question", "corporate", stripped=True))

TODO: dict[str, str] = {}  # case -> why (filled in after running the harness)


def write() -> None:
    for child in HERE.iterdir():
        if child.is_dir() and child.name[:1] == "c" and (child / "expect.yaml").exists():
            shutil.rmtree(child)
    zone = {k: ZONE[k] for k in sorted(ZONE)}
    with open(HERE / "zone.yaml", "w", encoding="utf-8") as f:
        f.write("# Generated by make_corpus.py: every DNS record the cases need (served by shared/tools/dnsfixture.py).\n")
        f.write("# DKIM keys are TEST-ONLY keys from keys/.\n")
        yaml.safe_dump(zone, f, allow_unicode=True, sort_keys=False, width=100000)
    for name, msg, env, expect in CASES:
        out = HERE / name
        out.mkdir()
        assert b"\n" not in msg.replace(b"\r\n", b""), name
        (out / "message.eml").write_bytes(msg)
        (out / "envelope.yaml").write_text(yaml.safe_dump(env, allow_unicode=True, sort_keys=False), encoding="utf-8")
        if name in TODO:
            expect = dict(expect, todo=True, todo_reason=TODO[name])
        (out / "expect.yaml").write_text(yaml.safe_dump(expect, allow_unicode=True, sort_keys=False, width=110),
                                         encoding="utf-8")


if __name__ == "__main__":
    make()
    write()
    print("%d cases" % len(CASES))
