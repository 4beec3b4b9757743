"""Live codes (渠道活码, WECOM-1): made, changed and archived at WeCom through the
tenant's bound corp, then recorded; their rotation kept within caps (`rotate`, called
by the `LiveCodeRotation` policy after each customer added through a code).

The WeCom side comes first and the record second, like a WeChat parameter QR code: a
failure at WeCom changes nothing here. A code's user list (its `serving`) is what
huoke sets at WeCom: WeCom rotates customers within it; huoke takes an employee out
at their daily cap (or when they are offline in WeCom), puts the backup in when
nobody is left, and for "load" rotation holds only the employee with the fewest
customers today (ADR 0022).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from application.shared.clock import Clock
from application.shared.errors import NotFound, VersionConflict
from application.wecom.corps import SCRM_FEATURE, CorpNotBound, PlanGate, WecomCorps
from application.wecom.live_code_commands import (
    LiveCodeDetails,
    LiveCodeStats,
    MakeLiveCode,
    ReviseLiveCode,
)
from application.wecom.live_code_directory import LiveCodeQueries, details_of
from application.wecom.ports import WecomApi, WecomRateLimited, WecomRefused
from application.wecom.wecom import Wecom
from domain.wecom.live_code import (
    EmployeeSetup,
    GroupSetup,
    LiveCode,
    LiveCodeKind,
    Way,
    WayType,
    state_of,
)

log = logging.getLogger("huoke.wecom.live_codes")
MAX_REMARK = 30  # WeCom: remark 不超过30个字符
ROTATION_RETRIES = 3


class MemberAvailability(Protocol):
    """Which of the corp's members can take customers (the member directory)."""

    def unavailable(self, tenant_id: UUID, userids: Sequence[str]) -> frozenset[str]:
        """Those of `userids` who cannot take a customer now: disabled, not activated or
        gone in WeCom, or outside the app's visible range. Unknown userids are not
        unavailable (the directory may not have synced them yet)."""
        ...


class LiveCodes:
    """Makes, changes, archives and rotates the tenant's live codes."""

    def __init__(
        self,
        wecom: Wecom,
        corps: WecomCorps,
        queries: LiveCodeQueries,
        members: MemberAvailability,
        clock: Clock,
        plans: PlanGate,
    ) -> None:
        self.wecom = wecom
        self.corps = corps
        self.queries = queries
        self.members = members
        self.clock = clock
        self.plans = plans

    # --- use cases ------------------------------------------------------------------------

    def make(self, tenant_id: UUID, command: MakeLiveCode) -> LiveCodeDetails:
        """Make the code at WeCom ("contact me" or a join way, with the code's state) and
        record it. 403 `subscription_inactive` without an SCRM plan in service (asked
        first: a code is made in WeCom), 404 `corp` without a bound corp (or when
        `corp_id` names another); WeCom's refusal is 502/503."""
        code_id = self.wecom.new_id("wecom_live_code")
        if code_id in self.wecom.repository:  # a repeated Idempotency-Key: asked already
            return self.code(tenant_id, code_id)
        self.plans.require_feature(tenant_id, SCRM_FEATURE)
        setup = _setup(command.model_dump())
        corp = self.corps.bound_corp(tenant_id)
        if command.corp_id is not None and command.corp_id != corp.id:
            raise CorpNotBound(f"no bound WeCom corp {command.corp_id}")
        api = self.corps.api_of(tenant_id)
        way = self._new_way(api, tenant_id, setup, state_of(code_id), command.name)
        code = LiveCode.make(
            code_id=code_id,
            tenant_id=tenant_id,
            corp_id=corp.corpid,
            name=command.name,
            setup=setup,
            way=way,
        )
        return live_code_details(self.wecom.create(code))

    def code(self, tenant_id: UUID, code_id: UUID) -> LiveCodeDetails:
        return live_code_details(self._load(tenant_id, code_id))

    def revise(
        self, tenant_id: UUID, code_id: UUID, command: ReviseLiveCode, *, expected_version: int
    ) -> LiveCodeDetails:
        """New settings (omitted ones stay), carried to WeCom first: a new user list or
        groups on the same QR code; a one-employee code given several employees gets a
        new contact way (a new QR image) and the old one is deleted."""
        code = self._load(tenant_id, code_id, expected_version)
        code.require_live()
        current = live_code_details(code).model_dump()
        sent = command.model_dump(exclude_unset=True)
        if sent.get("backup") == "":
            sent["backup"] = None
        setup = _setup({**current, **sent, "kind": code.kind.value})
        name = str(sent.get("name") or code.name)
        api = self.corps.api_of(tenant_id)
        old_config = code.config_id
        if code.needs_new_way(setup):
            way = self._new_way(api, tenant_id, setup, code.state, name)
        else:
            way = self._updated_way(api, tenant_id, code, setup, name)
        code.revise(name=name, setup=setup, way=way)
        self.wecom.commit(code)
        if way.config_id != old_config:
            self._delete_way(api, code.way_type, old_config, quiet=True)
        return live_code_details(code)

    def archive(self, tenant_id: UUID, code_id: UUID, *, expected_version: int) -> LiveCodeDetails:
        """Delete the code at WeCom (scanning it adds nobody any more) and stop acting on
        it; its counts stay."""
        code = self._load(tenant_id, code_id, expected_version)
        code.require_live()
        api = self.corps.api_of(tenant_id)
        self._delete_way(api, code.way_type, code.config_id, quiet=False)
        code.archive()
        self.wecom.commit(code)
        return live_code_details(code)

    def stats(self, tenant_id: UUID, code_id: UUID, *, days: int = 30) -> LiveCodeStats:
        """Customers added per day and per employee (today against their caps), welcome
        messages sent and failed, over the last `days` days in the tenant's calendar."""
        details = self.code(tenant_id, code_id)
        return self.queries.stats(tenant_id, details, self.clock.now(), days=days)

    def rotate(self, tenant_id: UUID, code_id: UUID) -> bool:
        """Set the code's user list at WeCom to what today's counts call for (caps,
        backup, load); True when it changed. The counts are the activity read model's:
        its caller makes sure the model has seen the customer that prompted this."""
        for attempt in range(ROTATION_RETRIES):
            try:
                code = self._load(tenant_id, code_id)
            except NotFound:
                return False
            if code.archived or code.kind != LiveCodeKind.EMPLOYEE:
                return False
            setup = code.employee_setup
            users, full = self._users_now(tenant_id, code, setup)
            if list(users) == code.serving:
                return False
            api = self.corps.api_of(tenant_id)
            api.update_contact_way(code.config_id, users, code.state, remark=code.name[:MAX_REMARK])
            code.change_serving(users, full=full)
            try:
                self.wecom.commit(code)
                return True
            except VersionConflict:  # edited meanwhile: WeCom got the edit's list or ours
                if attempt == ROTATION_RETRIES - 1:
                    raise
        return False

    # --- WeCom's side ---------------------------------------------------------------------

    def _users_now(
        self, tenant_id: UUID, code: LiveCode, setup: EmployeeSetup
    ) -> tuple[tuple[str, ...], bool]:
        counts = self.queries.counts_today(tenant_id, code.id, self.clock.now())
        offline = self.members.unavailable(tenant_id, setup.userids)
        return setup.users_now(counts, offline), setup.full(counts, offline)

    def _new_way(
        self,
        api: WecomApi,
        tenant_id: UUID,
        setup: EmployeeSetup | GroupSetup,
        state: str,
        name: str,
    ) -> Way:
        remark = name[:MAX_REMARK]
        if isinstance(setup, GroupSetup):
            made = api.add_join_way(
                setup.chat_ids,
                state,
                remark=remark,
                auto_create_room=setup.auto_create_room,
                room_base_name=setup.room_base_name,
                room_base_id=setup.room_base_id,
            )
            return Way(made.config_id, made.qr_code, WayType.JOIN, setup.chat_ids)
        # Made for every employee, so that WeCom gives a code of several the right type;
        # then narrowed to who may take customers now (caps, backup, load).
        made = api.add_contact_way(setup.userids, state, remark=remark)
        users = setup.users_now({}, self.members.unavailable(tenant_id, setup.userids))
        if users != setup.userids:
            api.update_contact_way(made.config_id, users, state, remark=remark)
        return Way(made.config_id, made.qr_code, setup.way_type, users)

    def _updated_way(
        self,
        api: WecomApi,
        tenant_id: UUID,
        code: LiveCode,
        setup: EmployeeSetup | GroupSetup,
        name: str,
    ) -> Way:
        remark = name[:MAX_REMARK]
        if isinstance(setup, GroupSetup):
            api.update_join_way(
                code.config_id,
                setup.chat_ids,
                code.state,
                remark=remark,
                auto_create_room=setup.auto_create_room,
                room_base_name=setup.room_base_name,
                room_base_id=setup.room_base_id,
            )
            return Way(code.config_id, code.qr_code, WayType.JOIN, setup.chat_ids)
        users, _ = self._users_now(tenant_id, code, setup)
        api.update_contact_way(code.config_id, users, code.state, remark=remark)
        return Way(code.config_id, code.qr_code, code.way_type, users)

    def _delete_way(self, api: WecomApi, way_type: WayType, config_id: str, *, quiet: bool) -> None:
        try:
            if way_type == WayType.JOIN:
                api.delete_join_way(config_id)
            else:
                api.delete_contact_way(config_id)
        except WecomRateLimited:
            if not quiet:
                raise  # nothing was done: the caller tries again later
            log.warning("WeCom was busy: config %s of a replaced code is left", config_id)
        except WecomRefused as refused:
            # Deleted in WeCom's admin already (WeCom refuses an unknown config_id):
            # the code stops all the same.
            log.warning("WeCom did not delete config %s: %s", config_id, refused)

    def _load(
        self, tenant_id: UUID, code_id: UUID, expected_version: int | None = None
    ) -> LiveCode:
        return self.wecom.load(
            code_id, LiveCode, tenant_id=tenant_id, expected_version=expected_version
        )


def _setup(fields: dict[str, Any]) -> EmployeeSetup | GroupSetup:
    """The domain's checked setup from a command's (or a merged) fields."""
    if fields.get("kind") == LiveCodeKind.GROUP.value:
        return GroupSetup.checked(
            chat_ids=list(fields.get("chat_ids") or ()),
            auto_create_room=bool(fields.get("auto_create_room")),
            room_base_name=str(fields.get("room_base_name") or ""),
            room_base_id=int(fields.get("room_base_id") or 1),
        )
    welcome = fields.get("welcome")
    return EmployeeSetup.checked(
        employees=list(fields.get("employees") or ()),
        rotation=str(fields.get("rotation") or "order"),
        backup=fields.get("backup"),
        tags=list(fields.get("tags") or ()),
        welcome_mode=str(fields.get("welcome_mode") or "none"),
        welcome=welcome if welcome else None,
    )


def live_code_details(code: LiveCode) -> LiveCodeDetails:
    return details_of(
        code_id=code.id,
        kind=code.kind.value,
        name=code.name,
        state=code.state,
        config_id=code.config_id,
        qr_code=code.qr_code,
        setup=code.setup_primitives,
        serving=code.serving,
        archived=code.archived,
        version=code.version,
        created_at=code.created_on,
    )
