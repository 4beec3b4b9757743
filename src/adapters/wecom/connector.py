"""`WecomConnector` over wechatpy's WeCom client (`WecomClient`): every corp's client
reads its access_token from one token store that all processes share (the
`wechat_access_tokens` table of `adapters.wechat.access_tokens`, keyed by the corp's
token key), so a token is fetched once for everyone and refreshed under the store's
lock."""

from __future__ import annotations

from uuid import UUID

from adapters.wecom.client import DEFAULT_BASE_URL, TokenStore, WecomClient
from application.wecom.ports import WecomApi


class WecomClientConnector:
    def __init__(self, tokens: TokenStore, *, base_url: str = DEFAULT_BASE_URL) -> None:
        self.tokens = tokens
        self.base_url = base_url

    def connect(self, corp_id: str, secret: str, token_key: UUID) -> WecomApi:
        return WecomClient(
            corp_id, secret, tokens=self.tokens, token_key=token_key, base_url=self.base_url
        )
