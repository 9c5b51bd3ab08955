"""Benchmark: how long one reply check takes with 100,000 customers loaded, and what the index costs.

Why: the check runs before-queue, inside the agent's SMTP transaction; it must be invisible
(targets: p99 <= 2 ms for a 4 KB reply, <= 15 ms for 100 KB) and the customer index must fit
a small gateway (<= 300 MB RSS for 100k customers).

Usage: .venv/bin/python bench/check.py [--customers 100000] [--runs 500] [--seed 7]

Prints, per reply size: p50/p99 (wall clock, and CPU time of the checking thread) of the in-process check (the engine's `evaluate` under
policies/default.yaml with every rule on; the message already parsed, as the gateway has it
after DATA) and, separately, of parse + check; plus the index build time and the RSS the
index adds. Customers are synthetic (ja and en names, e-mail addresses, phones, ids); the
replies are Japanese/English text that mentions the recipient, quotes the original and signs.
"""
from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from proxy.customers import CustomerIndex, fold  # noqa: E402
from proxy.message import ParsedMessage, parse  # noqa: E402
from proxy.policy.model import Context  # noqa: E402

JA_SURNAMES = ("佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水 "
               "山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本 "
               "斉藤 福田 太田 西村 藤井 金子 岡本 藤原 中野 三浦 原田 中川 松田 竹内 小野 田村 中山 和田 石田 森田").split()
JA_GIVEN = ("翔太 大輔 健太 拓也 直樹 康介 浩二 俊介 美咲 彩花 香織 千尋 奈々 里美 陽子 恵 愛 優子 裕子 真由美 "
            "智子 聡 誠 学 剛 亮 健 翼 結衣 葵").split()
EN_GIVEN = ("Emma Olivia Ava Sophia Mia Amelia Harper Evelyn Liam Noah Oliver Elijah James William Henry Lucas "
            "Benjamin Theodore Jack Levi Hannah Grace Chloe Zoe Ella Ruby Leo Max Adam Ryan").split()
EN_SURNAMES = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Wilson Anderson Taylor Thomas Moore Martin "
               "Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Green Baker "
               "Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner Grant Parker Collins").split()


def synthetic_rows(n: int, rng: random.Random) -> list[dict[str, str]]:
    rows = []
    for i in range(n):
        if i % 2:
            name = f"{rng.choice(JA_SURNAMES)} {rng.choice(JA_GIVEN)}"
        else:
            name = f"{rng.choice(EN_GIVEN)} {rng.choice(EN_SURNAMES)}"
        phone = f"0{rng.choice('3456789')}0-{rng.randrange(10000):04d}-{i % 10000:04d}{i // 10000}"
        rows.append({"name": name, "email": f"user{i}.{rng.randrange(1000)}@example{i % 97}.jp",
                     "phone": phone, "customer_id": f"C-{300000 + i}", "segment": "retail"})
    return rows


ORIGINAL_BODY = (
    "ミナト家電 お客様相談室 御中\n\n"
    "昨日届いたトースター「カリッと TS-2」ですが、箱の中にパンくずトレイが入っていませんでした。\n"
    "説明書には付属品として載っているのに、どういうことでしょうか。すぐに送ってください。\n\n"
    "The toaster I received yesterday came without its crumb tray. Please send it at once.\n\n"
    "村上 奈々\n"
)

PARAGRAPHS = (
    "このたびはご不便をおかけし、誠に申し訳ございません。パンくずトレイを本日お送りいたしました。"
    "12月2日（水）にご自宅のポストへお届けの予定です。お届けまで今しばらくお待ちください。\n",
    "We are sorry for the trouble. The crumb tray was sent today by post and should arrive on "
    "Wednesday, December 2; the tracking number is in the shipping notice we e-mailed you.\n",
    "ご不明な点がございましたら、フリーダイヤル 0120-987-650（10:00〜17:00 土日祝休）までお問い合わせください。"
    "受付番号 R-20261120-117 をお伝えいただくとスムーズです。\n",
    "If anything else is missing, reply to this mail or call us on +81-45-555-0123 on weekdays, "
    "quoting your order number 4471-2291.\n",
)


def long_original(size: int) -> str:
    """A long customer mail (for the mostly-quoted reply): the original's text repeated."""
    out, i = [ORIGINAL_BODY], 0
    while sum(len(p.encode()) for p in out) < size:
        out.append(f"{i + 1}. " + ORIGINAL_BODY.split("\n")[2 + i % 3] + "\n")
        i += 1
    return "".join(out)


def reply_bytes(size: int, to_name: str, to_addr: str, quote_all: str | None = None) -> bytes:
    """A reply of about `size` bytes: own text (ja/en paragraphs) and a short quote — or, with
    `quote_all`, a short answer above that whole text quoted."""
    body = [f"{to_name} 様\n\nミナト家電株式会社 お客様相談室の西村でございます。\n\n"]
    i = 0
    while quote_all is None and sum(len(p.encode()) for p in body) < size - 900:
        body.append(PARAGRAPHS[i % len(PARAGRAPHS)] + "\n")
        i += 1
    body.append("よろしくお願いいたします。\n\n――――――――――――――――――――\nミナト家電株式会社 お客様相談室\n"
                "西村 光（にしむら ひかる）\nフリーダイヤル 0120-987-650\n――――――――――――――――――――\n\n"
                f"2026年11月30日(月) 19:05 {to_name} <{to_addr}>:\n\n")
    quoted = ORIGINAL_BODY.split("\n")[2:5] if quote_all is None else quote_all.split("\n")
    body.append("".join("> " + line + "\n" for line in quoted))
    text = "".join(body)
    head = (f"From: 西村 光 <nishimura@minato.example.jp>\nTo: {to_name} <{to_addr}>\n"
            "Subject: Re: 付属品が入っていませんでした\nMessage-ID: <r1@minato.example.jp>\n"
            "In-Reply-To: <o1@example.co.jp>\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n")
    from email.header import Header
    head = head.replace(f"From: 西村 光", "From: " + Header("西村 光", "utf-8").encode())
    head = head.replace(f"To: {to_name}", "To: " + Header(to_name, "utf-8").encode())
    head = head.replace("Subject: Re: 付属品が入っていませんでした",
                        "Subject: " + Header("Re: 付属品が入っていませんでした", "utf-8").encode())
    return head.encode() + text.encode()


def original_bytes(from_name: str, from_addr: str, body: str = ORIGINAL_BODY) -> bytes:
    from email.header import Header
    return (f"From: {Header(from_name, 'utf-8').encode()} <{from_addr}>\nTo: support@minato.example.jp\n"
            f"Subject: {Header('付属品が入っていませんでした', 'utf-8').encode()}\nMessage-ID: <o1@example.co.jp>\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
            + body).encode()


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return statistics.median(ordered), p99


def make_checker(index: CustomerIndex, original: ParsedMessage) -> tuple[str, Callable[[ParsedMessage], object]]:
    """The engine under the shipped default policy when it loads; else the five rules directly."""
    context = Context(original=original, customers=index,
                      complaint=SimpleNamespace(category="complaint"))
    try:
        from proxy.policy.engine import evaluate
        from proxy.policy.loader import load_policy
        policy = load_policy(Path(__file__).resolve().parent.parent / "policies" / "default.yaml")
        return "engine.evaluate (policies/default.yaml)", lambda m: evaluate(m, context, policy)
    except Exception as exc:  # noqa: BLE001 - the bench must still measure the rules
        from proxy.policy.rules import RULES

        def run(m: ParsedMessage) -> object:
            return [rule.check(m, context, {}) for rule in RULES]
        return f"rules called directly (engine unavailable: {exc.__class__.__name__})", run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)

    rows = synthetic_rows(args.customers, rng)
    recipient = rows[1]
    gc.collect()
    before = rss_kb()
    t0 = time.perf_counter()
    index = CustomerIndex.from_rows(rows)
    build = time.perf_counter() - t0
    del rows
    gc.collect()
    index_mb = (rss_kb() - before) / 1024
    print(f"customers: {len(index):,}  index build: {build:.2f} s  index RSS: {index_mb:.0f} MB  "
          f"(process RSS {rss_kb() / 1024:.0f} MB)")

    original = parse(original_bytes(recipient["name"], recipient["email"]))
    big_text = long_original(95 * 1024)
    big_original = parse(original_bytes(recipient["name"], recipient["email"], big_text))
    label, check = make_checker(index, original)
    _, check_big = make_checker(index, big_original)
    print(f"check = {label}")
    cases = [("", 4 * 1024, None, check), ("", 100 * 1024, None, check),
             (" (mostly quoting a 95 KB original)", 100 * 1024, big_text, check_big)]
    for note, size, quote_all, check in cases:
        raw = reply_bytes(size, recipient["name"], recipient["email"], quote_all)
        message = parse(raw)
        findings = check(message)
        runs = args.runs if size < 50_000 else max(50, args.runs // 5)
        for _ in range(5):
            check(message)
        check_t: list[float] = []
        cpu_t: list[float] = []
        full_t: list[float] = []
        for _ in range(runs):
            fold.cache_clear()   # every run pays the folding, as a new mail would
            c = time.thread_time()
            t = time.perf_counter()
            check(message)
            check_t.append((time.perf_counter() - t) * 1000)
            cpu_t.append((time.thread_time() - c) * 1000)
            fold.cache_clear()
            t = time.perf_counter()
            check(parse(raw))
            full_t.append((time.perf_counter() - t) * 1000)
        p50, p99 = percentiles(check_t)
        c50, c99 = percentiles(cpu_t)
        f50, f99 = percentiles(full_t)
        print(f"{len(raw) / 1024:6.1f} KB reply{note}  check p50 {p50:6.2f} ms  p99 {p99:6.2f} ms "
              f"(CPU p50 {c50:6.2f}  p99 {c99:6.2f})   parse+check p50 {f50:6.2f} ms  p99 {f99:6.2f} ms   "
              f"({runs} runs; findings: "
              f"{[f.rule for f in getattr(findings, 'findings', ())] if hasattr(findings, 'findings') else findings})")
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(f"load average during the run: {' '.join(load)} (wall-clock p99 suffers on a busy machine; "
          f"CPU time does not)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
