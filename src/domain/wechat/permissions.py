"""What each tenant role may do with Official Accounts (WX): marketers bind and run the
accounts and their mass sends; sales read fans and answer their messages."""

from __future__ import annotations

from domain.shared.access import MANAGE, READ, Action, Grants, tenant_grants

_ANSWER = frozenset({Action.READ, Action.UPDATE})

WECHAT_GRANTS: Grants = {
    "wechat_accounts": tenant_grants(marketer=MANAGE, sales=READ, sales_manager=READ),
    # Fans and their messages: replying is an update of the conversation.
    "wechat_fans": tenant_grants(marketer=_ANSWER, sales=_ANSWER, sales_manager=_ANSWER),
    "wechat_mass_sends": tenant_grants(marketer=MANAGE, sales_manager=READ),
}
