"""Frame templates (seed 003 §4.2 框架模板): responsive e-mail layouts a new template can
start from — one column 600 px wide at most, inline styles (mail clients drop style
sheets), tables for the layout (Outlook), personalisation fields in place. The HTML of
each is `templates/messaging/frames/<key>.html` (an e-mail, not a console page)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from entrypoints.web.i18n import N_

FOLDER = Path(__file__).parent.parent / "templates" / "messaging" / "frames"


@dataclass(frozen=True)
class Frame:
    key: str
    label: str  # Chinese msgid
    subject: str

    @property
    def html(self) -> str:
        return (FOLDER / f"{self.key}.html").read_text(encoding="utf-8")


FRAMES = (
    Frame("notice", N_("通知（单栏）"), "{{ name }}，您好：重要通知"),
    Frame("invitation", N_("活动邀请（大图 + 按钮）"), "{{ name }}，诚邀您参加我们的活动"),
    Frame("newsletter", N_("资讯简报（多条内容）"), "本期资讯：{{ company|default('行业') }}动态"),
)
BY_KEY = {frame.key: frame for frame in FRAMES}
