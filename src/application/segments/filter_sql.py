"""A filter (domain.shared.filters) as a parameterised SQL WHERE fragment over the segments'
profile tables, on SQLite and PostgreSQL, with exactly the semantics of `Filter.matches`.

The fragment reads `segments_leads l` and reaches the other tables by EXISTS; it always
begins `l.tenant_id = ? AND l.live = 1`. Nothing from the tree enters the SQL text: field
names map through the fixed `COLUMNS` table, every value, custom key, tag, channel and
behaviour property name travels as a parameter (property paths as `'$."key"'` for
SQLite's JSON functions, the bare key for PostgreSQL's `->`). `?` placeholders; the View
translates them.

How the corners agree with the in-memory evaluation:
- every leaf is two-valued (nullable columns guarded by IS NOT NULL, the rest EXISTS), so
  `not` is plain NOT and missing values behave as in `matches`;
- `contains`/`prefix` fold ASCII letters only on both sides: SQLite's LOWER does just
  that; on PostgreSQL (whose LOWER folds per locale) `translate(x, 'A…Z', 'a…z')` does;
  the needle is folded in Python. So every string agrees, not only ASCII ones;
- text ranges compare by code point (PostgreSQL: COLLATE "C"; SQLite's BINARY already);
- custom number bounds read `number_value`, text bounds `text_value`;
- behaviour properties are typed: SQLite `json_type`, PostgreSQL `jsonb_typeof`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from application.segments.profile_tables import PREFIX
from domain.shared.filters import (
    ANY_KIND,
    CONSENT_PREFIX,
    CONSENT_STATES,
    CUSTOM_PREFIX,
    KNOWN_CONSENT,
    UNKNOWN,
    All,
    AnyOf,
    BehaviourCondition,
    FieldCondition,
    Filter,
    Node,
    Not,
    PropertyCondition,
    Range,
    Scalar,
    fold,
    iso_text,
)

Dialect = Literal["sqlite", "postgres"]

# Field name -> column of segments_leads (the only way a field name reaches the SQL).
COLUMNS: dict[str, str] = {
    name: name
    for name in (
        "name",
        "mobile",
        "email",
        "company",
        "city",
        "title",
        "user_type",
        "status",
        "pool_state",
        "owner_id",
        "source_level1",
        "source_level2",
        "stage",
        "temperature",
        "behaviour_band",
        "profile_band",
        "score",
        "behaviour_score",
        "profile_score",
        "created_at",
        "last_seen_at",
    )
}
_PREFIX = re.compile(r"[a-z][a-z0-9_]{0,30}")
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def compile_filter(
    filter: Filter,
    *,
    tenant_id: UUID,
    now: datetime,
    dialect: Dialect | str,
    prefix: str = PREFIX,
) -> tuple[str, list[Any]]:
    """The WHERE fragment selecting the tenant's live leads that `filter` matches at `now`,
    and its parameters. `prefix` names another copy of the tables (tests)."""
    if dialect not in ("sqlite", "postgres"):
        raise ValueError(f"unknown SQL dialect {dialect!r}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not _PREFIX.fullmatch(prefix):
        raise ValueError("prefix must be a plain table-name prefix")
    compiler = _Compiler(dialect == "postgres", now, prefix)
    where = compiler.node(filter.root)
    return f"l.tenant_id = ? AND l.live = 1 AND {where}", [str(tenant_id), *compiler.params]


class _Compiler:
    def __init__(self, postgres: bool, now: datetime, prefix: str) -> None:
        self.postgres = postgres
        self.now = now
        self.prefix = prefix
        self.params: list[Any] = []

    def p(self, value: Any) -> str:
        self.params.append(value)
        return "?"

    def fold(self, expression: str) -> str:
        if self.postgres:
            return f"translate({expression}, '{_UPPER}', '{_UPPER.lower()}')"
        return f"LOWER({expression})"

    def binary(self, expression: str) -> str:
        """Code-point order for text comparisons."""
        return f'({expression} COLLATE "C")' if self.postgres else expression

    # --- groups

    def node(self, node: Node) -> str:
        if isinstance(node, All):
            return f"({' AND '.join(self.node(n) for n in node.nodes)})" if node.nodes else "1 = 1"
        if isinstance(node, AnyOf):
            return f"({' OR '.join(self.node(n) for n in node.nodes)})" if node.nodes else "1 = 0"
        if isinstance(node, Not):
            return f"NOT {self.node(node.node)}"
        if isinstance(node, FieldCondition):
            return self.field(node)
        if isinstance(node, BehaviourCondition):
            return self.behaviour(node)
        raise TypeError(f"not a filter node: {node!r}")  # pragma: no cover

    # --- fields

    def field(self, node: FieldCondition) -> str:
        kind = node.type
        if kind == "tags":
            return self.tags(node)
        if kind == "consent":
            return self.consent(node)
        if kind == "custom":
            return self.custom(node)
        column = f"l.{COLUMNS[node.field]}"
        if node.op == "within_days":
            assert isinstance(node.value, int)
            start = iso_text(self.now - timedelta(days=node.value))
            return f"({column} IS NOT NULL AND {self.binary(column)} >= {self.p(start)})"
        numeric = kind == "number"
        return self.scalar(node.op, node.value, column, None if not numeric else column)

    def scalar(self, op: str, value: Any, text: str, number: str | None) -> str:
        """A text/number op on a column (`text`), reading numbers from `number` (custom
        fields keep both; a number column passes itself as both)."""
        present = (
            f"{text} IS NOT NULL" if number == text else f"({text} IS NOT NULL AND {text} <> '')"
        )
        if op == "empty":
            return f"NOT {present}" if value else present
        if op == "not_equals":
            return f"NOT {self.scalar('equals', value, text, number)}"
        if op == "equals":
            return f"({present} AND {self.equals(value, text, number)})"
        if op == "in":
            tests = " OR ".join(self.equals(item, text, number) for item in value)
            return f"({present} AND ({tests}))"
        if op == "contains":
            needle = self.p(f"%{_like(fold(value))}%")
            return f"({present} AND {self.fold(text)} LIKE {needle} ESCAPE '\\')"
        if op == "prefix":
            needle = self.p(f"{_like(fold(value))}%")
            return f"({present} AND {self.fold(text)} LIKE {needle} ESCAPE '\\')"
        if op == "range":
            assert isinstance(value, Range)
            if value.numeric:
                if number is None:
                    return "1 = 0"
                return f"({number} IS NOT NULL{self.bounds(number, value)})"
            return f"({present}{self.bounds(self.binary(text), value)})"
        raise AssertionError(op)  # pragma: no cover

    def equals(self, value: Scalar, text: str, number: str | None) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if number is None:
                return "1 = 0"
            return f"({number} IS NOT NULL AND {number} = {self.p(value)})"
        return f"{text} = {self.p(value)}"

    def bounds(self, expression: str | Callable[[], str], value: Range) -> str:
        """` AND x >= from AND x <= to`; a callable `expression` is spelt anew for each
        bound (it takes parameters of its own)."""
        spell = expression if callable(expression) else (lambda: expression)
        sql = ""
        if value.lower is not None:
            sql += f" AND {spell()} >= {self.p(value.lower)}"
        if value.upper is not None:
            sql += f" AND {spell()} <= {self.p(value.upper)}"
        return sql

    def custom(self, node: FieldCondition) -> str:
        key = node.field[len(CUSTOM_PREFIX) :]
        table = f"{self.prefix}_fields"
        negated = node.op == "not_equals" or (node.op == "empty" and node.value is True)
        op = "equals" if node.op == "not_equals" else node.op
        value = False if node.op == "empty" else node.value
        head = (  # the key's parameter comes before the test's
            f"EXISTS (SELECT 1 FROM {table} f WHERE f.tenant_id = l.tenant_id "
            f"AND f.lead_id = l.lead_id AND f.key = {self.p(key)} AND "
        )
        exists = f"{head}{self.scalar(op, value, 'f.text_value', 'f.number_value')})"
        return f"NOT {exists}" if negated else exists

    def tags(self, node: FieldCondition) -> str:
        table = f"{self.prefix}_tags"

        def exists(test: str) -> str:
            return (
                f"EXISTS (SELECT 1 FROM {table} t WHERE t.tenant_id = l.tenant_id "
                f"AND t.lead_id = l.lead_id{test})"
            )

        if node.op == "empty":
            return f"NOT {exists('')}" if node.value else exists("")
        if node.op == "equals":
            return exists(f" AND t.tag = {self.p(node.value)}")
        assert isinstance(node.value, tuple)
        if node.op == "in":
            return exists(f" AND t.tag IN ({', '.join(self.p(tag) for tag in node.value)})")
        return "(" + " AND ".join(exists(f" AND t.tag = {self.p(tag)}") for tag in node.value) + ")"

    def consent(self, node: FieldCondition) -> str:
        table = f"{self.prefix}_consent"
        channel = node.field[len(CONSENT_PREFIX) :]

        def equals(value: Scalar) -> str:
            states = sorted(KNOWN_CONSENT if value == UNKNOWN else CONSENT_STATES[str(value)])
            exists = (
                f"EXISTS (SELECT 1 FROM {table} c WHERE c.tenant_id = l.tenant_id "
                f"AND c.lead_id = l.lead_id AND c.channel = {self.p(channel)} "
                f"AND c.state IN ({', '.join(self.p(s) for s in states)}))"
            )
            return f"NOT {exists}" if value == UNKNOWN else exists

        if node.op == "equals":
            return equals(node.value)  # type: ignore[arg-type]
        if node.op == "not_equals":
            return f"NOT {equals(node.value)}"  # type: ignore[arg-type]
        assert isinstance(node.value, tuple)
        return "(" + " OR ".join(equals(item) for item in node.value) + ")"

    # --- behaviours

    def behaviour(self, node: BehaviourCondition) -> str:
        table = f"{self.prefix}_behaviours"
        where = "b.tenant_id = l.tenant_id AND b.lead_id = l.lead_id"
        if node.kind != ANY_KIND:
            where += f" AND b.kind = {self.p(node.kind)}"
        if node.name is not None:
            where += f" AND b.name = {self.p(node.name)}"
        if node.channel is not None:
            where += f" AND b.channel = {self.p(node.channel)}"
        start = node.start(self.now)
        if start is not None:
            where += f" AND b.at >= {self.p(start)}"
        for prop in node.where:
            where += f" AND {self.prop(prop)}"
        if node.at_least == 1:
            test = f"EXISTS (SELECT 1 FROM {table} b WHERE {where})"
        else:
            limit, least = self.p(node.at_least), self.p(node.at_least)
            test = (
                f"(SELECT COUNT(*) FROM (SELECT 1 AS one FROM {table} b WHERE {where} "
                f"LIMIT {limit}) AS counted) >= {least}"
            )
        return test if node.did else f"NOT ({test})"

    def prop(self, prop: PropertyCondition) -> str:
        j = _Json(self, prop.property)
        value = prop.value
        if prop.op == "empty":
            empty = (
                f"(COALESCE({j.type()}, 'null') = 'null' OR ({j.is_text()} AND {j.text()} = ''))"
            )
            return empty if value else f"NOT {empty}"
        if prop.op == "equals":
            return j.equals(value)  # type: ignore[arg-type]
        if prop.op == "in":
            assert isinstance(value, tuple)
            return "(" + " OR ".join(j.equals(item) for item in value) + ")"
        if prop.op in ("contains", "prefix"):
            assert isinstance(value, str)
            pattern = _like(fold(value)) + "%"
            if prop.op == "contains":
                pattern = "%" + pattern
            return f"({j.is_text()} AND {self.fold(j.text())} LIKE {self.p(pattern)} ESCAPE '\\')"
        assert isinstance(value, Range)
        if value.numeric:
            return f"({j.is_number()}{self.bounds(j.number, value)})"
        return f"({j.is_text()}{self.bounds(lambda: self.binary(j.text()), value)})"


class _Json:
    """Typed access to one property of `b.properties` (its key always a parameter)."""

    def __init__(self, compiler: _Compiler, key: str) -> None:
        self.c = compiler
        self.key = key

    def _path(self) -> str:
        if self.c.postgres:
            return self.c.p(self.key)
        return self.c.p(f'$."{self.key}"')

    def type(self) -> str:
        if self.c.postgres:
            return f"jsonb_typeof(b.properties::jsonb -> CAST({self._path()} AS TEXT))"
        return f"json_type(b.properties, {self._path()})"

    def is_text(self) -> str:
        return f"{self.type()} = '{'string' if self.c.postgres else 'text'}'"

    def is_number(self) -> str:
        if self.c.postgres:
            return f"{self.type()} = 'number'"
        return f"{self.type()} IN ('integer', 'real')"

    def text(self) -> str:
        if self.c.postgres:
            return f"(b.properties::jsonb ->> CAST({self._path()} AS TEXT))"
        return f"json_extract(b.properties, {self._path()})"

    def number(self) -> str:
        if self.c.postgres:
            # CASE first: a cast of a non-number property must never be attempted
            return (
                f"(CASE WHEN {self.is_number()} THEN CAST({self.text()} AS DOUBLE PRECISION) END)"
            )
        return f"json_extract(b.properties, {self._path()})"

    def equals(self, value: Scalar) -> str:
        if isinstance(value, bool):
            if self.c.postgres:
                word = "true" if value else "false"
                return f"({self.type()} = 'boolean' AND {self.text()} = '{word}')"
            return f"{self.type()} = '{'true' if value else 'false'}'"
        if isinstance(value, int | float):
            return f"({self.is_number()} AND {self.number()} = {self.c.p(value)})"
        return f"({self.is_text()} AND {self.text()} = {self.c.p(value)})"


def _like(text: str) -> str:
    """`text` matched literally by LIKE … ESCAPE '\\'."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
