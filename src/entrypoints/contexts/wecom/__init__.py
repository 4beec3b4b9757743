"""WeCom SCRM (企业微信, WECOM-1…5): the bound corp, its contacts and callbacks, customers
and churn (`core`), live codes and welcome messages (`live_codes`), mass sends and
follow-up tasks (`tasks`), customer inheritance (`transfers`), each with its pages."""

from __future__ import annotations

from litestar.openapi.spec import Tag

from application.wecom.wecom import Wecom
from domain.wecom.permissions import WECOM_GRANTS
from entrypoints.contexts.parts import Part, manifest_of_parts
from entrypoints.contexts.wecom import core, live_codes, tasks, transfers

PARTS: tuple[Part, ...] = (core.PART, live_codes.PART, tasks.PART, transfers.PART)

MANIFEST = manifest_of_parts(
    name="wecom",
    application=Wecom,
    parts=PARTS,
    grants=(WECOM_GRANTS,),
    tags=(
        Tag(
            name="wecom",
            description="企业微信 SCRM：客户、活码、群发、继承 · WeCom SCRM (WECOM)",
        ),
    ),
)
