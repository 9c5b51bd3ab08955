"""The demo webmail's content: one customer mail and the reply form that answers it.

Kept apart from the server so the page can be read (and changed) as a page. The prefilled
reply follows the default policy (subject kept, quote unchanged, signed with the agent's
name), so Send goes through; change the subject or the quote and replyguard refuses it,
with its explanation shown under the form.
"""
from __future__ import annotations

import html
import json

AGENT = {"name": "大野 里美", "email": "ono@minato.example.jp"}
CUSTOMER = {"name": "前田 彩花", "email": "ayaka.maeda@example.com"}
ORIGINAL_ID = "demo-original-1@example.com"
SUBJECT = "食洗機の洗剤について"
QUESTION = "食洗機 DW-5 にはどの洗剤を使えばよいでしょうか。\n手洗い用の洗剤でも大丈夫ですか。"

ORIGINAL = (
    "From: =?UTF-8?B?5YmN55SwIOW9qeiKsQ==?= <ayaka.maeda@example.com>\r\n"
    "To: support@minato.example.jp\r\n"
    "Subject: =?UTF-8?B?6aOf5rSX5qmf44Gu5rSX5Ymk44Gr44Gk44GE44Gm?=\r\n"
    "Date: Fri, 27 Nov 2026 12:00:00 +0900\r\n"
    f"Message-ID: <{ORIGINAL_ID}>\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    f"ミナト家電 お客様相談室 御中\r\n\r\n{QUESTION.replace(chr(10), chr(13) + chr(10))}\r\n\r\n前田 彩花\r\n"
).encode("utf-8")

REPLY_BODY = (
    "前田 彩花 様\n\nミナト家電 お客様相談室の大野でございます。\n\n"
    + "\n".join("> " + line for line in QUESTION.split("\n"))
    + "\n\n食洗機専用の洗剤をお使いください。手洗い用の洗剤は泡があふれる原因となります。\n\n"
    "-- \n大野 里美\nミナト家電 お客様相談室\n"
)

SCRIPT = """
const form = document.getElementById("reply");
const status = document.getElementById("status");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  status.className = "sending"; status.textContent = "送信中… / sending…";
  const email = {
    from: [AGENT], to: [CUSTOMER], subject: form.subject.value,
    inReplyTo: [ORIGINAL_ID], references: [ORIGINAL_ID],
    mailboxIds: {sent: true}, keywords: {"$seen": true},
    bodyValues: {b: {value: form.body.value}}, textBody: [{partId: "b", type: "text/plain"}],
  };
  const request = {
    using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail", "urn:ietf:params:jmap:submission"],
    methodCalls: [
      ["Email/set", {accountId: "demo", create: {draft: email}}, "0"],
      ["EmailSubmission/set", {accountId: "demo", create: {send: {emailId: "#draft", identityId: "agent"}}}, "1"],
    ],
  };
  try {
    const answer = await (await fetch("/jmap/api/", {method: "POST", headers: {"Content-Type": "application/json"},
                                                     body: JSON.stringify(request)})).json();
    const sub = answer.methodResponses.find((r) => r[0] === "EmailSubmission/set");
    const refused = sub && sub[1].notCreated && sub[1].notCreated.send;
    status.className = refused ? "refused" : "sent";
    status.textContent = refused ? refused.description : "送信しました / sent";
  } catch (error) {
    status.className = "refused"; status.textContent = "送信できませんでした / failed: " + error;
  }
});
"""


def _page() -> str:
    consts = "".join(f"const {k} = {json.dumps(v, ensure_ascii=False)};\n" for k, v in
                     (("AGENT", AGENT), ("CUSTOMER", CUSTOMER), ("ORIGINAL_ID", ORIGINAL_ID)))
    esc = html.escape
    return f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>replyguard demo webmail</title>
<style>body{{font-family:sans-serif;max-width:46em;margin:2em auto}} textarea,input{{width:100%}}
textarea{{height:16em}} #status{{white-space:pre-wrap;margin-top:1em;padding:.5em}}
.refused{{background:#fdd}} .sent{{background:#dfd}}</style></head>
<body><h1>サポート受信箱 / support inbox</h1>
<section id="original"><h2>{esc(SUBJECT)}</h2><p>From: {esc(CUSTOMER["name"])} &lt;{esc(CUSTOMER["email"])}&gt;</p>
<pre>{esc(QUESTION)}</pre></section>
<form id="reply"><h2>返信 / reply</h2>
<label>To <input name="to" value="{esc(CUSTOMER["email"])}" readonly></label>
<label>Subject <input name="subject" value="Re: {esc(SUBJECT)}"></label>
<label>Body <textarea name="body">{esc(REPLY_BODY)}</textarea></label>
<button id="send" type="submit">送信 / Send</button></form>
<div id="status" role="status"></div>
<script>{consts}{SCRIPT}</script></body></html>
"""


PAGE = _page()
