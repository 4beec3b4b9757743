"""What SMS needs of a provider beyond sending (SMS-2, SMS-4): its own review of
signatures and of texts as templates, and texts sent through an approved template.

Aliyun and Tencent Cloud review every signature and every template themselves; a text
goes out only through an approved template whose variables the send fills. So the
tenant admin's review of a task is paired with the provider's: the application submits
the task's text as a template (its personalisation fields and long links become the
template's variables, `domain.messaging.sms_content.template_pieces`) and approves only
once the provider has. The sandbox approves at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from application.messaging.ports import OutgoingSms
from domain.messaging.sms_content import Piece

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"


@dataclass(frozen=True)
class TemplatedSms(OutgoingSms):
    """A text sent through the provider's template of its approved content: `template`
    (Aliyun TemplateCode, Tencent TemplateId) and the values of its variables, in the
    order they first appear. Without a template the adapter sends `text` through its
    configured catch-all template, where it has one."""

    template: str = ""
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ProviderReview:
    """Where the provider's review of a signature or template stands. `ref` is the
    provider's id of it (Tencent SignId / TemplateId, Aliyun TemplateCode)."""

    status: str  # pending, approved or rejected
    ref: str = ""
    reason: str = ""


class SmsReviews(Protocol):
    """A provider's review of signatures and templates."""

    name: str

    def submit_signature(self, text: str, purpose: str) -> ProviderReview:
        """Ask the provider to review a signature (`text` without brackets)."""
        ...

    def signature_review(self, ref: str, text: str) -> ProviderReview:
        """Where the provider's review of a submitted signature stands."""
        ...

    def submit_template(self, name: str, pieces: Sequence[Piece], purpose: str) -> ProviderReview:
        """Ask the provider to review a text as a marketing template."""
        ...

    def template_review(self, ref: str) -> ProviderReview:
        """Where the provider's review of a submitted template stands."""
        ...
