"""Graphs the flow tests share, as the API takes them."""

from __future__ import annotations

from typing import Any

WELCOME: dict[str, Any] = {
    "start": "mail",
    "nodes": [
        {"id": "mail", "kind": "send_email", "template_id": "t-1", "subject": "欢迎",
         "sender_name": "获客", "sender_address": "news@mail.acme.cn", "next": "wait"},
        {"id": "wait", "kind": "wait", "amount": 3, "unit": "days", "next": "opened"},
        {"id": "opened", "kind": "branch",
         "filter": {"behaviour": {"kind": "email_opened"}, "did": True},
         "yes": "vip", "no": "sms"},
        {"id": "vip", "kind": "add_tag", "tag": "engaged", "next": "end"},
        {"id": "sms", "kind": "send_sms", "signature_id": "s-1", "text": "欢迎回来，回T退订",
         "next": "end"},
        {"id": "end", "kind": "end"},
    ],
}  # fmt: skip
