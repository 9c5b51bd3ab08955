"""JMAP (RFC 8620/8621): find the mails an `EmailSubmission/set` sends, shape JMAP's refusals.

A JMAP client creates the mail with `Email/set` and submits it with `EmailSubmission/set`,
usually in one request: the submission names the email by creation id, `"emailId": "#k1"`,
or by a result reference (`"#emailId": {"resultOf": …, "path": "/created/k1/id"}`). A mail
created in an earlier request is named by its server id; the addon remembers what it saw
created (`known`), and an email it never saw is refused — replyguard never lets unchecked
mail through. The refusal is a normal JMAP response: every `create` gets a `SetError` of type
`forbidden` with the explanation (RFC 8621 §7.5), other calls a method-level error.
"""
from __future__ import annotations

import json
import re
from typing import Any, Mapping

from addons.shapes import Outgoing, ShapeError
from addons.shapes.mime import Draft, Mailbox, build
from proxy.decision import EnvelopeInfo

SUBMIT = "EmailSubmission/set"
_CREATED = re.compile(r"^/created/(?P<key>[^/]+)/id$")


def parse_request(body: bytes) -> dict | None:
    """The JMAP Request object (RFC 8620 §3.3) in a body, or None when it is not one."""
    if not body.lstrip().startswith(b"{"):
        return None
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    calls = data.get("methodCalls") if isinstance(data, dict) else None
    if not isinstance(calls, list) or not all(
            isinstance(c, list) and len(c) == 3 and isinstance(c[0], str) and isinstance(c[1], dict) for c in calls):
        return None
    return data


def submits(data: dict) -> bool:
    """Whether the request creates an EmailSubmission (sends mail)."""
    return any(name == SUBMIT and args.get("create") for name, args, _ in data["methodCalls"])


def email_creates(data: dict) -> dict[str, dict]:
    """Creation id -> Email object, for every `Email/set` create in the request."""
    found: dict[str, dict] = {}
    for name, args, _ in data["methodCalls"]:
        if name == "Email/set" and isinstance(args, dict) and isinstance(args.get("create"), dict):
            found.update({k: v for k, v in args["create"].items() if isinstance(v, dict)})
    return found


def _email_for(create: dict, creates: Mapping[str, dict], known: Mapping[str, dict]) -> dict:
    ref = create.get("emailId")
    if isinstance(ref, str) and ref.startswith("#"):
        key = ref[1:]
    elif isinstance(create.get("#emailId"), dict):
        found = _CREATED.match(str(create["#emailId"].get("path", "")))
        key = found["key"] if found else ""
    elif isinstance(ref, str) and ref in known:
        return known[ref]
    else:
        raise ShapeError(f"email {ref!r} was not created through replyguard, so it cannot be checked; "
                         "create and submit it through the proxy")
    if key not in creates:
        raise ShapeError(f"submission names email #{key}, which this request does not create")
    return creates[key]


def _boxes(value: Any) -> tuple[Mailbox, ...]:
    if not value:
        return ()
    try:
        return tuple(Mailbox(str(v.get("name") or ""), str(v["email"])) for v in value)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ShapeError(f"bad address list {value!r}") from exc


def _ids(email: dict, prop: str, header: str) -> tuple[str, ...]:
    value = email.get(prop) or email.get(f"header:{header}:asMessageIds") or email.get(f"header:{header}")
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return tuple(str(v).strip("<>") for v in value or () if "@" in str(v))


def _body(email: dict, kind: str) -> str | None:
    values = email.get("bodyValues") or {}
    parts = email.get(f"{kind}Body")
    if parts is None and isinstance(email.get("bodyStructure"), dict):
        parts = list(_leaves(email["bodyStructure"]))
    wanted = "text/html" if kind == "html" else "text/plain"
    texts = []
    for part in parts or ():
        if str(part.get("type", "text/plain")).lower() != wanted:
            continue
        value = values.get(part.get("partId"), {}).get("value")
        if value is None:
            raise ShapeError(f"body part {part!r} has no bodyValues entry (uploaded blobs are not checked)")
        texts.append(str(value))
    return "\n".join(texts) if texts else None


def _leaves(part: dict):
    for sub in part.get("subParts") or ():
        yield from _leaves(sub)
    if not part.get("subParts"):
        yield part


def draft_of(email: dict, timestamp: float) -> Draft:
    subject = email.get("subject", email.get("header:Subject:asText"))
    return Draft(
        subject=None if subject is None else str(subject),
        from_=_boxes(email.get("from") or email.get("header:From:asAddresses")),
        to=_boxes(email.get("to") or email.get("header:To:asAddresses")),
        cc=_boxes(email.get("cc") or email.get("header:Cc:asAddresses")),
        bcc=_boxes(email.get("bcc") or email.get("header:Bcc:asAddresses")),
        text=_body(email, "text"),
        html=_body(email, "html"),
        in_reply_to=_ids(email, "inReplyTo", "In-Reply-To"),
        references=_ids(email, "references", "References"),
        message_id=(_ids(email, "messageId", "Message-ID") or (None,))[0],
        date=timestamp,
    )


def read(data: dict, timestamp: float, known: Mapping[str, dict]) -> list[Outgoing]:
    """One Outgoing per submission create (key = its creation id); ShapeError when unreadable."""
    creates = email_creates(data)
    out = []
    for name, args, _ in data["methodCalls"]:
        if name != SUBMIT:
            continue
        for key, create in (args.get("create") or {}).items():
            draft = draft_of(_email_for(create, creates, known), timestamp)
            out.append(Outgoing(key, build(draft), _envelope(create, draft, args)))
    return out


def _envelope(create: dict, draft: Draft, args: dict) -> EnvelopeInfo:
    given = create.get("envelope") if isinstance(create.get("envelope"), dict) else {}
    mail_from = str((given.get("mailFrom") or {}).get("email") or (draft.from_[0].email if draft.from_ else ""))
    rcpts = [str(r.get("email")) for r in given.get("rcptTo") or () if isinstance(r, dict)]
    if not rcpts:
        rcpts = [b.email for b in draft.to + draft.cc + draft.bcc]
    extra = {"api": "jmap", "accountId": str(args.get("accountId", "")), "identityId": str(create.get("identityId", ""))}
    return EnvelopeInfo(door="addon:jmap", mail_from=mail_from, rcpt_tos=tuple(rcpts), extra=extra)


def refusal(data: dict, texts: Mapping[str, str], other: str, set_error: str = "forbidden") -> dict:
    """A JMAP Response refusing the whole request: submissions in `texts` get their own text,
    every other create/update/destroy gets `other`; non-/set calls get a method-level error."""
    responses = []
    for name, args, call_id in data["methodCalls"]:
        args = args if isinstance(args, dict) else {}
        if not name.endswith("/set"):
            responses.append(["error", {"type": "forbidden", "description": other}, call_id])
            continue

        def errors(ids: Any, own: Mapping[str, str]) -> dict | None:
            items = list(ids.keys() if isinstance(ids, dict) else ids or ())
            return {i: {"type": set_error, "description": own.get(i, other)} for i in items} or None

        responses.append([name, {
            "accountId": args.get("accountId"),
            "oldState": None,
            "newState": None,
            "created": None, "updated": None, "destroyed": None,
            "notCreated": errors(args.get("create"), texts if name == SUBMIT else {}),
            "notUpdated": errors(args.get("update"), {}),
            "notDestroyed": errors(args.get("destroy"), {}),
        }, call_id])
    return {"methodResponses": responses, "sessionState": "replyguard"}
