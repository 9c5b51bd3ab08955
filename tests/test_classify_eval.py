"""The labelled evaluation set (tests/fixtures/classify/eval.yaml) against proxy.inbound.classify.

The file header holds the labelling guideline. The split is fixed by the item id (sha1 % 10 < 3 is
"test", ~30 %): cues are tuned on "train"; "test" is the held-out generalisation number and has
its own, lower, honest floors. Run this module with `-s` to see the per-class table.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
import yaml

from proxy.inbound.classify import classify, classify_text
from proxy.message import parse

EVAL = Path(__file__).parent / "fixtures" / "classify" / "eval.yaml"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "examples"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/examples")
KINDS = ("complaint", "question", "other")

# floors: (overall accuracy, complaint recall, question precision, complaint precision)
FLOORS = {
    "train": (0.97, 0.97, 0.95, 0.97),  # measured 0.99 / 0.98 / 0.99 / 1.00 (252 items)
    # held out (72 items): measured 1.00 / 1.00 / 1.00 / 1.00. Before the event-family cues it was
    # 0.83 / 0.59 / 0.78 / 1.00 on the then 52 held-out items; the third and fourth batches were
    # written alongside those cues, so this split is no longer a clean generalisation number —
    # tests/test_classify_blind.py is. With the 120 neutral false-positive-audit items (nj*/ne*:
    # 19 of them fired as complaints before the cues were tightened) the split holds 104 items at
    # 1.00 / 1.00 / 1.00 / 1.00.
    "test": (0.93, 0.93, 0.93, 0.95),
}


def _split(item: dict) -> str:
    return "test" if int(hashlib.sha1(item["id"].encode()).hexdigest(), 16) % 10 < 3 else "train"


ITEMS = yaml.safe_load(EVAL.read_text(encoding="utf-8"))["items"]


def _measure(split: str) -> dict[str, float]:
    rows = [(i["label"], classify_text(i["text"], i.get("subject", "")).category)
            for i in ITEMS if _split(i) == split]
    out = {"n": len(rows), "accuracy": sum(g == p for g, p in rows) / len(rows)}
    for k in KINDS:
        tp = sum(g == p == k for g, p in rows)
        out[f"{k}_recall"] = tp / max(1, sum(g == k for g, _ in rows))
        out[f"{k}_precision"] = tp / max(1, sum(p == k for _, p in rows))
    return out


def test_eval_set_is_well_formed() -> None:
    ids = [i["id"] for i in ITEMS]
    assert len(ids) == len(set(ids)) and len(ids) >= 150
    assert all(i["label"] in KINDS and i["text"].strip() and i.get("why") for i in ITEMS)
    assert all(set(i) <= {"id", "label", "why", "text", "subject"} for i in ITEMS)
    held_out = sum(_split(i) == "test" for i in ITEMS) / len(ITEMS)
    assert 0.25 <= held_out <= 0.40
    for k in KINDS:
        assert {_split(i) for i in ITEMS if i["label"] == k} == {"train", "test"}


@pytest.mark.parametrize("split", ["train", "test"])
def test_accuracy_floors(split: str) -> None:
    m = _measure(split)
    print(f"\n{split} n={m['n']} accuracy={m['accuracy']:.3f} " + " ".join(
        f"{k}: R={m[k + '_recall']:.2f} P={m[k + '_precision']:.2f}" for k in KINDS))
    accuracy, complaint_recall, question_precision, complaint_precision = FLOORS[split]
    assert m["accuracy"] >= accuracy, m
    assert m["complaint_recall"] >= complaint_recall, m
    assert m["question_precision"] >= question_precision, m
    assert m["complaint_precision"] >= complaint_precision, m


REPLY_COMPLAINTS = {"02", "05", "10", "12"}


@pytest.mark.parametrize("thread", sorted(p.name for p in (SHARED / "replies").iterdir() if p.is_dir()))
def test_shared_reply_originals(thread: str) -> None:
    message = parse((SHARED / "replies" / thread / "original.eml").read_bytes())
    expected = "complaint" if thread[:2] in REPLY_COMPLAINTS else "question"
    assert classify(message).category == expected, classify(message).explain()


@pytest.mark.parametrize("case", sorted(p.name for p in (SHARED / "inbound").iterdir() if p.is_dir()))
def test_shared_inbound_examples(case: str) -> None:
    expected = yaml.safe_load((SHARED / "inbound" / case / "expect.yaml").read_text())["category"]
    message = parse((SHARED / "inbound" / case / "message.eml").read_bytes())
    assert classify(message).category == expected, classify(message).explain()


def test_typical_mail_is_fast() -> None:
    """classify is on the per-message path: a typical mail takes well under 0.5 ms."""
    texts = [(i["text"], i.get("subject", "")) for i in ITEMS]
    for text, subject in texts:          # warm the cue cache and the RE2 set
        classify_text(text, subject)
    start = time.perf_counter()
    rounds = 5
    for _ in range(rounds):
        for text, subject in texts:
            classify_text(text, subject)
    per_mail = (time.perf_counter() - start) / (rounds * len(texts))
    assert per_mail < 0.0005, f"{per_mail * 1e3:.3f} ms per mail"
