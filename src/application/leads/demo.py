"""Demo data: many realistic leads for one tenant, made through the real intake path
(identity index, Lead aggregates, group-commit writer, then the read model), for
trying the product and measuring it at size.

Lead `n` of a tenant always gets the same id, mobile and e-mail, so running the seed
again (after a stop, or asking for more) skips what exists instead of duplicating it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from uuid import NAMESPACE_URL, UUID, uuid5

from application.leads.commands import LeadInput
from application.leads.intake import IntakeBatch, Offer, OnMatch, offer_from
from application.leads.leads import Leads
from application.leads.queries import LeadQueries
from application.shared.errors import VersionConflict
from domain.leads.identity import LeadIdentity

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉宇浩凯婷雪琳晨欣怡博文"
CITIES = ("上海", "北京", "深圳", "广州", "杭州", "成都", "南京", "武汉", "苏州", "西安", "重庆")
COMPANY_WORDS = ("华信", "中科", "博远", "恒泰", "新锐", "东方", "金桥", "天成", "联创", "嘉和")
COMPANY_KINDS = ("科技", "贸易", "制造", "医疗", "教育", "物流", "咨询", "餐饮")
TITLES = ("市场经理", "采购主管", "总经理", "IT 负责人", "销售总监", "运营专员", "HR")
INDUSTRIES = ("制造业", "互联网", "医疗健康", "教育培训", "零售", "金融", "物流")
SOURCES = (
    ("wechat", "menu"),
    ("wechat", "qrcode"),
    ("form", "landing"),
    ("form", "expo"),
    ("sms", "campaign"),
    ("import", "crm"),
    ("api", "website"),
)
STATUSES = ("new",) * 5 + ("contacted",) * 3 + ("qualified", "unqualified")
TAGS = ("vip", "b2b", "expo2025", "webinar", "price", "trial", "newsletter", "partner", "hot")
# Mobile prefixes of the three carriers; lead n's number is unique by construction.
MOBILE_PREFIXES = ("138", "139", "150", "151", "158", "186", "187", "135", "136", "189")
DEFAULT_BATCH = 1000


def demo_lead_id(tenant_id: UUID, index: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/demo-leads/{index}")


def demo_lead(index: int) -> LeadInput:
    """Lead `index` of the demo set: always the same person."""
    pick = random.Random(index)
    prefix = MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]
    # 7919 is prime to 10^8, so distinct indexes give distinct numbers.
    number = (index // len(MOBILE_PREFIXES)) * 7919 % 100_000_000
    city = pick.choice(CITIES)
    level1, level2 = pick.choice(SOURCES)
    return LeadInput(
        mobile=f"{prefix}{number:08d}",
        email=f"demo{index}@example.com" if index % 3 == 0 else None,
        name=pick.choice(SURNAMES) + "".join(pick.choices(GIVEN, k=pick.choice((1, 2)))),
        city=city,
        company=f"{city}{pick.choice(COMPANY_WORDS)}{pick.choice(COMPANY_KINDS)}有限公司",
        title=pick.choice(TITLES),
        industry=pick.choice(INDUSTRIES),
        source={"level1": level1, "level2": level2, "utm_campaign": f"c{index % 40}"},
        status=pick.choice(STATUSES),
    )


def demo_tags(index: int) -> list[str]:
    """Two leads in five carry one or two tags."""
    pick = random.Random(-index - 1)
    if pick.random() >= 0.4:
        return []
    return sorted(set(pick.sample(TAGS, k=pick.choice((1, 2)))))


class DemoLeads:
    """Seeds demo leads in batches, one commit per batch."""

    def __init__(self, leads: Leads, queries: LeadQueries) -> None:
        self.leads = leads
        self.queries = queries

    def seed(
        self,
        tenant_id: UUID,
        total: int,
        *,
        batch_size: int = DEFAULT_BATCH,
        progress: Callable[[int, int], None] = lambda done, created: None,
    ) -> tuple[int, int | None]:
        """Make sure leads 0…total-1 exist; `progress(done, created)` after each batch.
        Answers how many were created now and the last event position written."""
        created_total, position = 0, None
        for start in range(0, total, batch_size):
            indexes = range(start, min(start + batch_size, total))
            created, written = self._batch(tenant_id, indexes)
            created_total += created
            position = written or position
            progress(indexes.stop, created_total)
        return created_total, position

    def _batch(self, tenant_id: UUID, indexes: range) -> tuple[int, int | None]:
        offers = {index: offer_from(demo_lead(index)) for index in indexes}
        claims = {
            index: [
                LeadIdentity.create_id(tenant_id, found["kind"], found["value"])
                for found in offer.identities
            ]
            for index, offer in offers.items()
        }
        known = self.queries.claimed(tenant_id, [c for ids in claims.values() for c in ids])
        if all(set(ids) <= known for ids in claims.values()):
            return 0, None  # seeded by an earlier run
        try:
            return self._commit(tenant_id, offers, known)
        except VersionConflict:
            # The read model had not caught up with an earlier run: ask the store itself.
            return self._commit(tenant_id, offers, None)

    def _commit(
        self, tenant_id: UUID, offers: dict[int, Offer], known: set[UUID] | None
    ) -> tuple[int, int | None]:
        next_id: list[UUID] = []  # the id of the lead being offered, for a new one
        rules = self.leads.rules.for_tenant(tenant_id)  # statuses, sources, tags, owners
        batch = IntakeBatch(
            tenant_id,
            self.leads.repository,
            lambda: next_id[0],
            on_match=OnMatch.REPORT,  # already seeded: leave it as it is
            known_claims=known,
            rules=rules,
        )
        created = 0
        for index, offer in offers.items():
            next_id[:] = [demo_lead_id(tenant_id, index)]
            outcome, lead = batch.offer(offer)
            if outcome == "created":
                created += 1
                if tags := demo_tags(index):
                    lead.tag(rules.check_tags(tags, may_add=True))  # the system's own seed
        return created, self.leads.commit(*batch.aggregates())
