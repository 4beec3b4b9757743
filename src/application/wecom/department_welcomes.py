"""Department welcome messages (部门员工欢迎语, WECOM-1): a tenant admin sets a message
per department of the bound corp; a live code that says "use the department's" sends
the message of the adding employee's most specific department that has one."""

from __future__ import annotations

from uuid import UUID

from application.shared.errors import NotFound, VersionConflict
from application.wecom.corps import CorpNotBound, WecomCorps
from application.wecom.live_code_commands import (
    DepartmentWelcomeDetails,
    DepartmentWelcomesDetails,
    SetDepartmentWelcome,
    WelcomeAttachmentInput,
    WelcomeInput,
)
from application.wecom.wecom import Wecom
from domain.wecom.welcome import DepartmentWelcomes, WelcomeMessage, ancestry, welcomes_id


class DepartmentWelcomeMessages:
    """Sets and reads the tenant's department welcome messages."""

    def __init__(self, wecom: Wecom, corps: WecomCorps) -> None:
        self.wecom = wecom
        self.corps = corps

    def welcomes(self, tenant_id: UUID) -> DepartmentWelcomesDetails:
        """Every department of the bound corp (as the last contacts sync found them) with
        its own message, or the department whose message it inherits; none before a corp
        is bound."""
        try:
            departments = self.corps.bound_corp(tenant_id).departments
        except CorpNotBound:
            departments = []
        record = self._record(tenant_id)
        messages = record.by_department() if record else {}
        parents = {d.id: d.parent_id for d in departments}
        shown = []
        for department in departments:
            own = messages.get(department.id)
            inherited = next(
                (d for d in ancestry(department.id, parents)[1:] if d in messages), None
            )
            shown.append(
                DepartmentWelcomeDetails(
                    department_id=department.id,
                    name=department.name,
                    parent_id=department.parent_id,
                    welcome=_input(own) if own else None,
                    inherited_from=None if own else inherited,
                )
            )
        return DepartmentWelcomesDetails(departments=shown, version=record.version if record else 0)

    def set_welcome(
        self,
        tenant_id: UUID,
        department_id: int,
        command: SetDepartmentWelcome,
        *,
        expected_version: int | None = None,
    ) -> DepartmentWelcomesDetails:
        """Set (or clear, with no message) one department's message. A department the
        corp does not have (as its last contacts sync found them) is `NotFound`."""
        departments = {d.id for d in self.corps.bound_corp(tenant_id).departments}
        if department_id not in departments:
            raise NotFound(f"the corp has no department {department_id} (sync the contacts)")
        record = self._record(tenant_id)
        if expected_version is not None and (record.version if record else 0) != expected_version:
            raise VersionConflict("the welcome messages changed meanwhile; reload and retry")
        if record is None:
            record = DepartmentWelcomes.start(tenant_id=tenant_id)
        if command.welcome is None:
            record.clear_message(department_id)
        else:
            attachment = command.welcome.attachment
            record.set_message(
                department_id,
                WelcomeMessage.checked(
                    command.welcome.text, attachment.model_dump() if attachment else None
                ),
            )
        self.wecom.commit(record)
        return self.welcomes(tenant_id)

    def messages(self, tenant_id: UUID) -> dict[int, WelcomeMessage]:
        """The tenant's department messages by department id (for the welcoming)."""
        record = self._record(tenant_id)
        return record.by_department() if record else {}

    def parents(self, tenant_id: UUID) -> dict[int, int]:
        """Each department's parent (the root's is 0)."""
        return {d.id: d.parent_id for d in self.corps.bound_corp(tenant_id).departments}

    def _record(self, tenant_id: UUID) -> DepartmentWelcomes | None:
        record_id = welcomes_id(tenant_id)
        if record_id not in self.wecom.repository:
            return None
        return self.wecom.load(record_id, DepartmentWelcomes, tenant_id=tenant_id)


def _input(message: WelcomeMessage) -> WelcomeInput:
    attachment = message.attachment
    return WelcomeInput(
        text=message.text,
        attachment=WelcomeAttachmentInput.model_validate(attachment.as_dict())
        if attachment
        else None,
    )
