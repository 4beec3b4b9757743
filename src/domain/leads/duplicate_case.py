"""Data cleaning (LEAD-4): a queue of duplicate cases and the tenant's automatic merge
rules.

A `DuplicateCase` is one suspicion that two leads are one person, or that a record an
import left alone (it matched a lead and "update existing" was off) belongs to a lead.
Its id is derived from what it is about, so the same pair or the same record is never
queued twice, not even after it was dismissed. `MergeRules` is the tenant's list of
"when these fields agree, merge without asking" rules, checked when a case opens.
"""

from __future__ import annotations

import json
import re
import unicodedata
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text

Value = str | int | float | bool | None


class DuplicateReason(StrEnum):
    """Why a case was opened."""

    SAME_MOBILE = "same_mobile"  # an incoming record's mobile is a lead's
    SAME_EMAIL = "same_email"  # an incoming record's e-mail is a lead's
    SIMILAR_NAME_COMPANY = "similar_name_company"  # two leads, see `similarity_key`
    IMPORT_DUPLICATE = "import_duplicate"  # an incoming record matched by another identity


class CaseState(StrEnum):
    OPEN = "open"
    MERGED = "merged"
    DISMISSED = "dismissed"
    DELETED = "deleted"  # resolved by deleting one of the leads


# --- what "similar" means ------------------------------------------------------------------

# Legal forms and generic trade words that people leave out or add at will; removed from
# the end of a company name, repeatedly ("火客科技有限公司" → "火客"). Longest first. Latin
# ones only as whole words ("Acme Co., Ltd." → "acme", but "Tesco" stays "tesco").
COMPANY_SUFFIXES = tuple(
    sorted(
        (
            "股份有限公司", "有限责任公司", "有限公司", "分公司", "集团", "公司", "科技",
            "技术", "网络", "信息", "ltd", "limited", "inc", "co", "corporation", "corp",
            "company", "llc", "gmbh", "group", "technology", "technologies", "tech",
        ),
        key=len,
        reverse=True,
    )
)  # fmt: skip
_NOT_WORD = re.compile(r"[\s\W_]+", re.UNICODE)
_TRAILING = re.compile(r"[\s\W_]+$", re.UNICODE)


def plain_text(value: str | None) -> str:
    """Text as a person would compare it: full-width folded to half-width (NFKC),
    case ignored, spaces and punctuation dropped (`" 张　三 "` == `"张三"`)."""
    if not value:
        return ""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", value).casefold())


def company_key(company: str | None) -> str:
    """A company name as `plain_text`, without legal forms or generic trade words at
    its end."""
    text = unicodedata.normalize("NFKC", company or "").casefold()
    stripped = True
    while stripped:
        stripped = False
        text = _TRAILING.sub("", text)
        for suffix in COMPANY_SUFFIXES:
            head = text[: -len(suffix)]
            if not text.endswith(suffix) or not _NOT_WORD.sub("", head):
                continue
            if suffix.isascii() and head[-1].isalnum():
                continue  # part of a longer word
            text, stripped = head, True
            break
    return _NOT_WORD.sub("", text)


def similarity_key(name: str | None, company: str | None) -> str | None:
    """Two leads are similar when this key is equal: the same person's name at the same
    company after `plain_text` / `company_key`. None when either is missing — a name
    alone is far too common to suspect anyone. Deliberately exact after normalising (no
    edit distance): a tenant can predict and explain every case it is shown."""
    person, firm = plain_text(name), company_key(company)
    if not person or not firm:
        return None
    return f"{person}\x1f{firm}"


# --- the case ------------------------------------------------------------------------------

MAX_RECORD_FIELDS = 150


def _record(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """An incoming record as the case keeps it: identities, profile and custom fields."""
    if record is None:
        return None
    unknown = sorted(set(record) - {"identities", "profile", "custom"})
    if unknown:
        raise InvalidValue(f"unknown record part {unknown[0]!r}", field="record")
    identities = [dict(i) for i in record.get("identities", [])]
    if not identities or any(set(i) != {"kind", "value"} for i in identities):
        raise InvalidValue("an incoming record needs its identities", field="record")
    profile, custom = dict(record.get("profile", {})), dict(record.get("custom", {}))
    if len(profile) + len(custom) > MAX_RECORD_FIELDS:
        raise InvalidValue("the incoming record has too many fields", field="record")
    return {"identities": identities, "profile": profile, "custom": custom}


class DuplicateCase(Aggregate):
    """One suspected duplicate, open until someone (or a merge rule) merges, dismisses
    or deletes."""

    TOPIC = "leads.DuplicateCase"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Opened: ClassVar[type[AggregateEvent]]
        Merged: ClassVar[type[AggregateEvent]]
        Dismissed: ClassVar[type[AggregateEvent]]
        DuplicateDeleted: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(
        tenant_id: UUID, lead_ids: list[UUID], record: dict[str, Any] | None = None
    ) -> UUID:
        """The same leads (in any order), with the same incoming record if any, give the
        same id: a case is never queued twice."""
        leads = ",".join(sorted(str(lead_id) for lead_id in lead_ids))
        about = json.dumps(_record(record), sort_keys=True, ensure_ascii=False) if record else ""
        return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/duplicates/{leads}/{about}")

    @classmethod
    def open(
        cls,
        *,
        tenant_id: UUID,
        lead_ids: list[UUID],
        reason: str,
        record: dict[str, Any] | None = None,
    ) -> DuplicateCase:
        """Two distinct leads, or one or two leads and the incoming record they matched."""
        if reason not in DuplicateReason.__members__.values():
            raise InvalidValue(f"unknown duplicate reason {reason!r}", field="reason")
        distinct = list(dict.fromkeys(lead_ids))
        if len(distinct) != len(lead_ids) or not 1 <= len(distinct) <= 2:
            raise InvalidValue("a case is about one or two distinct leads", field="lead_ids")
        checked = _record(record)
        if len(distinct) == 1 and checked is None:
            raise InvalidValue("one lead is a duplicate only of an incoming record", field="record")
        return cls(
            id=cls.create_id(tenant_id, distinct, checked),
            tenant_id=tenant_id,
            lead_ids=distinct,
            reason=reason,
            record=checked,
        )

    @event("Opened", topic="leads.DuplicateCase.Opened")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        lead_ids: list[UUID],
        reason: str,
        record: dict[str, Any] | None,
    ) -> None:
        self.tenant_id = tenant_id
        self.lead_ids = [UUID(str(lead_id)) for lead_id in lead_ids]
        self.reason = reason
        self.record = record
        self.state = CaseState.OPEN.value
        self.survivor_id: UUID | None = None
        self.rule: str | None = None
        self.note: str | None = None  # why it was dismissed or deleted

    def _require_open(self) -> None:
        if self.state != CaseState.OPEN:
            raise StateConflict(f"the case is already {self.state}")

    def _require_lead(self, lead_id: UUID, *, field: str) -> None:
        if lead_id not in self.lead_ids:
            raise InvalidValue(f"lead {lead_id} is not part of this case", field=field)

    def merge(
        self, survivor_id: UUID, chosen: dict[str, Value], *, rule: str | None = None
    ) -> None:
        """The leads become `survivor_id` (the others merge into it; an incoming record
        fills it), with the field values `chosen`; `rule` names an automatic merge rule."""
        self._require_open()
        self._require_lead(survivor_id, field="survivor_id")
        self._merged(
            survivor_id=survivor_id,
            merged_ids=[lead_id for lead_id in self.lead_ids if lead_id != survivor_id],
            chosen=dict(chosen),
            rule=rule,
        )

    @event("Merged", topic="leads.DuplicateCase.Merged")
    def _merged(
        self, survivor_id: UUID, merged_ids: list[UUID], chosen: dict[str, Value], rule: str | None
    ) -> None:
        self.state = CaseState.MERGED.value
        self.survivor_id = survivor_id
        self.rule = rule

    def dismiss(self, reason: str) -> None:
        """Not duplicates after all; the same leads are never queued again."""
        self._require_open()
        self._dismissed(reason=required_text(reason, field="reason", max_length=500))

    @event("Dismissed", topic="leads.DuplicateCase.Dismissed")
    def _dismissed(self, reason: str) -> None:
        self.state = CaseState.DISMISSED.value
        self.note = reason

    def delete_duplicate(self, lead_id: UUID, reason: str) -> None:
        """Resolved by deleting one of the case's leads."""
        self._require_open()
        self._require_lead(lead_id, field="lead_id")
        reason = required_text(reason, field="reason", max_length=500)
        self._duplicate_deleted(lead_id=lead_id, reason=reason)

    @event("DuplicateDeleted", topic="leads.DuplicateCase.DuplicateDeleted")
    def _duplicate_deleted(self, lead_id: UUID, reason: str) -> None:
        self.state = CaseState.DELETED.value
        self.note = reason


# --- automatic merge rules -----------------------------------------------------------------


class MatchField(StrEnum):
    """What must agree between the two sides of a case for a rule to apply."""

    MOBILE = "mobile"  # a mobile number in common
    EMAIL = "email"  # an e-mail address in common
    NAME = "name"  # equal after `plain_text`
    COMPANY = "company"  # equal after `company_key`


class SurvivorChoice(StrEnum):
    OLDEST = "oldest"  # the lead created first keeps its id
    NEWEST = "newest"


class FieldChoice(StrEnum):
    KEEP_NON_EMPTY = "keep_non_empty"  # the survivor's values; its empty fields filled
    PREFER_NEWEST = "prefer_newest"  # the newest non-empty value of each field


MAX_RULES = 20
# A rule must name something that singles a person out: "same company" alone would
# merge a whole company's staff into one lead.
_PERSONAL = {MatchField.MOBILE, MatchField.EMAIL, MatchField.NAME}


def merge_rule(rule: dict[str, Any], position: int) -> dict[str, Any]:
    """One rule checked: {"match": [...], "survivor": ..., "fields": ...}."""
    field = f"rules.{position}"
    unknown = sorted(set(rule) - {"match", "survivor", "fields"})
    if unknown:
        raise InvalidValue(f"unknown rule part {unknown[0]!r}", field=f"{field}.{unknown[0]}")
    match = rule.get("match")
    if not isinstance(match, list) or not match:
        raise InvalidValue("a rule matches on at least one field", field=f"{field}.match")
    if len(set(match)) != len(match) or not set(match) <= set(MatchField):
        raise InvalidValue(
            "match fields are distinct and among mobile, email, name, company",
            field=f"{field}.match",
        )
    if not set(match) & _PERSONAL:
        raise InvalidValue(
            "a rule needs a mobile, e-mail or name: a company alone is many people",
            field=f"{field}.match",
        )
    survivor = rule.get("survivor", SurvivorChoice.OLDEST.value)
    if survivor not in SurvivorChoice.__members__.values():
        raise InvalidValue("survivor is oldest or newest", field=f"{field}.survivor")
    fields = rule.get("fields", FieldChoice.KEEP_NON_EMPTY.value)
    if fields not in FieldChoice.__members__.values():
        raise InvalidValue("fields is keep_non_empty or prefer_newest", field=f"{field}.fields")
    order = list(MatchField)
    return {
        "match": sorted(match, key=lambda name: order.index(MatchField(name))),
        "survivor": survivor,
        "fields": fields,
    }


def _rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(rules) > MAX_RULES:
        raise InvalidValue(f"at most {MAX_RULES} merge rules", field="rules")
    return [merge_rule(rule, position) for position, rule in enumerate(rules)]


class MergeRules(Aggregate):
    """A tenant's automatic merge rules, first match wins. One per tenant (its id is
    derived from the tenant); an empty list merges nothing automatically."""

    TOPIC = "leads.MergeRules"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Configured: ClassVar[type[AggregateEvent]]
        Changed: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(tenant_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/lead-merge-rules")

    @classmethod
    def configure(cls, *, tenant_id: UUID, rules: list[dict[str, Any]]) -> MergeRules:
        return cls(id=cls.create_id(tenant_id), tenant_id=tenant_id, rules=_rules(rules))

    @event("Configured", topic="leads.MergeRules.Configured")
    def __init__(self, id: UUID, tenant_id: UUID, rules: list[dict[str, Any]]) -> None:
        self.tenant_id = tenant_id
        self.rules = [dict(rule) for rule in rules]

    def change(self, rules: list[dict[str, Any]]) -> None:
        """Replace the whole list (the order is the order they are tried in)."""
        checked = _rules(rules)
        if checked != self.rules:
            self._changed(rules=checked)

    @event("Changed", topic="leads.MergeRules.Changed")
    def _changed(self, rules: list[dict[str, Any]]) -> None:
        self.rules = [dict(rule) for rule in rules]

    def rule_for(self, agreeing: set[str]) -> tuple[int, dict[str, Any]] | None:
        """The first rule (with its position) all of whose fields are among `agreeing`."""
        for position, rule in enumerate(self.rules):
            if set(rule["match"]) <= agreeing:
                return position, dict(rule)
        return None
