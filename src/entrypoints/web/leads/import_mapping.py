"""Which lead field each column of an uploaded file fills, from its heading: the console
asks for no mapping by hand, it recognises the headings people write (手机号, 邮箱, 姓名,
Company…) and the tenant's custom fields by name or key. The API takes the mapping
from its caller instead; both hand it to the same use case."""

from __future__ import annotations

from collections.abc import Iterable

from application.leads.settings import CustomFieldDetails

# Headings compared after folding case and dropping spaces, '*', ':' and '：'.
HEADINGS: dict[str, tuple[str, ...]] = {
    "mobile": ("mobile", "手机", "手机号", "手机号码", "电话", "联系电话", "phone", "tel"),
    "email": ("email", "e-mail", "邮箱", "电子邮箱", "邮件", "电子邮件", "mail"),
    "name": ("name", "姓名", "名字", "联系人", "客户姓名"),
    "gender": ("gender", "性别", "sex"),
    "birthday": ("birthday", "生日", "出生日期"),
    "city": ("city", "城市", "所在城市"),
    "company": ("company", "公司", "公司名称", "单位", "企业"),
    "title": ("title", "职位", "职务", "job title"),
    "industry": ("industry", "行业"),
    "source.level1": ("source.level1", "来源", "一级来源"),
    "source.level2": ("source.level2", "二级来源", "渠道"),
}


def _folded(text: str) -> str:
    return "".join(text.split()).strip("*:：").lower()


def mapping_for(
    columns: Iterable[str], custom_fields: Iterable[CustomFieldDetails]
) -> dict[str, str]:
    """Column heading → lead field for every heading recognised; each field is filled by
    the first column that names it, unknown headings are left out."""
    known = {
        _folded(heading): target for target, headings in HEADINGS.items() for heading in headings
    }
    for custom in custom_fields:
        known.setdefault(_folded(custom.name), f"custom:{custom.key}")
        known.setdefault(_folded(custom.key), f"custom:{custom.key}")
    mapping: dict[str, str] = {}
    for column in columns:
        target = known.get(_folded(column))
        if target is not None and target not in mapping.values():
            mapping[column] = target
    return mapping
