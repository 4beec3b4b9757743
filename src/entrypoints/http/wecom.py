"""Routes of the WeCom SCRM core (WECOM-1…5): the bound corp and its keys, its contacts
(members, linked to employees), customers, churn and churn alerts, customer groups and
stats."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response
from litestar.params import Parameter

from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT, Page
from application.wecom.commands import (
    BindCorp,
    ChurnAlert,
    ContactsSyncReport,
    CorpDetails,
    CustomerDetails,
    CustomerGroupDetails,
    CustomerStats,
    GroupSyncReport,
    LinkMember,
    MemberDetails,
    RelationDetails,
    ReviseCorp,
)
from application.wecom.contacts import ContactsSync, MemberLinks
from application.wecom.corps import WecomCorps
from application.wecom.customers import WecomCustomers
from application.wecom.groups import GroupSync
from application.wecom.member_directory import MemberQueries
from domain.shared.access import Action
from entrypoints.http.conventions import (
    ListOf,
    get,
    if_match,
    page_of,
    post,
    tenant_may,
    with_etag,
)
from entrypoints.http.conventions import patch as patch_route
from entrypoints.http.tenant import Cursor, Limit

UserId = Annotated[str, Parameter(min_length=1, max_length=64, description="a WeCom userid")]
ExternalUserId = Annotated[
    str, Parameter(min_length=1, max_length=128, description="a customer's external_userid")
]


class WecomCorpController(Controller):
    path = "/api/v1/wecom/corps"
    tags = ["wecom"]
    guards = [tenant_may("wecom_corp")]

    @get("/", operation_id="listWecomCorps")
    def list_corps(
        self, wecom_corps: WecomCorps, caller: TenantCaller, include_unbound: bool = False
    ) -> ListOf[CorpDetails]:
        """The tenant's WeCom corp: a list of none or one (never its keys)."""
        corps = wecom_corps.corps(caller.tenant_id, include_unbound=include_unbound)
        return page_of(Page(corps, None))

    @post("/", operation_id="bindWecomCorp", may=Action.CREATE)
    def bind(
        self, data: BindCorp, wecom_corps: WecomCorps, caller: TenantCaller
    ) -> Response[CorpDetails]:
        """Bind the tenant's WeCom corp with its self-built app's keys.

        In the WeCom admin console set the app's callback (接收事件服务器) to
        `callback_path` on huoke's public URL with the same Token and EncodingAESKey,
        and give the app the customer-contact permission. The keys are never shown
        again. A second corp is 409 while one is bound."""
        return with_etag(wecom_corps.bind(caller.tenant_id, data), status_code=201)

    @get("/{corp_id:uuid}", operation_id="getWecomCorp")
    def get_corp(
        self, corp_id: UUID, wecom_corps: WecomCorps, caller: TenantCaller
    ) -> Response[CorpDetails]:
        """The corp with its departments as the last contacts sync found them."""
        return with_etag(wecom_corps.corp(caller.tenant_id, corp_id))

    @patch_route("/{corp_id:uuid}", operation_id="reviseWecomCorp")
    def revise(
        self,
        request: Request[Any, Any, Any],
        corp_id: UUID,
        data: ReviseCorp,
        wecom_corps: WecomCorps,
        caller: TenantCaller,
    ) -> Response[CorpDetails]:
        """Rename, or set new keys after a reset in WeCom (the callback URL stays)."""
        version = if_match(request)
        return with_etag(
            wecom_corps.revise(caller.tenant_id, corp_id, data, expected_version=version)
        )

    @post("/{corp_id:uuid}/unbind", operation_id="unbindWecomCorp", status_code=200,
          may=Action.DELETE)  # fmt: skip
    def unbind(
        self,
        request: Request[Any, Any, Any],
        corp_id: UUID,
        wecom_corps: WecomCorps,
        caller: TenantCaller,
    ) -> Response[CorpDetails]:
        """Stop serving the corp; its customers and history stay.

        Its callbacks answer 404 and nothing is asked of WeCom from now on; binding again
        gives a new callback URL."""
        version = if_match(request)
        return with_etag(wecom_corps.unbind(caller.tenant_id, corp_id, expected_version=version))

    @post("/{corp_id:uuid}/contacts/sync", operation_id="syncWecomContacts", status_code=200)
    def sync_contacts(
        self,
        corp_id: UUID,
        wecom_corps: WecomCorps,
        wecom_contacts_sync: ContactsSync,
        caller: TenantCaller,
    ) -> ContactsSyncReport:
        """Pull the departments and members in the app's visible range from WeCom.

        Changes only are recorded; members no longer found leave the range. Needs an
        SCRM plan in service (403 `subscription_inactive`)."""
        wecom_corps.corp(caller.tenant_id, corp_id)  # 404 for another tenant's
        return wecom_contacts_sync.sync(caller.tenant_id)

    @post("/{corp_id:uuid}/groups/sync", operation_id="syncWecomGroups", status_code=200)
    def sync_groups(
        self,
        corp_id: UUID,
        wecom_corps: WecomCorps,
        wecom_group_sync: GroupSync,
        caller: TenantCaller,
    ) -> GroupSyncReport:
        """Pull the customer groups of the employees in the visible range from WeCom."""
        wecom_corps.corp(caller.tenant_id, corp_id)
        return wecom_group_sync.sync(caller.tenant_id)


class WecomMemberController(Controller):
    path = "/api/v1/wecom/members"
    tags = ["wecom"]
    guards = [tenant_may("wecom_corp")]

    @get("/", operation_id="listWecomMembers")
    def list_members(
        self,
        wecom_members: MemberQueries,
        caller: TenantCaller,
        department_id: int | None = None,
        linked: bool | None = None,
        in_visible_range: bool | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[MemberDetails]:
        """The corp's members by userid.

        Filters: a department's direct members, linked to an employee or not, in the
        app's visible range or not."""
        return page_of(
            wecom_members.members(
                caller.tenant_id,
                department_id=department_id,
                linked=linked,
                in_visible_range=in_visible_range,
                cursor=cursor,
                limit=limit,
            )
        )

    @get("/{userid:str}", operation_id="getWecomMember")
    def get_member(
        self, userid: UserId, wecom_members: MemberQueries, caller: TenantCaller
    ) -> MemberDetails:
        """One member and the huoke employee they are."""
        return wecom_members.member(caller.tenant_id, userid)

    @post("/{userid:str}/link", operation_id="linkWecomMember", status_code=200)
    def link(
        self,
        userid: UserId,
        data: LinkMember,
        wecom_member_links: MemberLinks,
        caller: TenantCaller,
    ) -> MemberDetails:
        """Say which huoke employee the member is (null: nobody).

        It wins over the match by mobile or e-mail. Send `Prefer: read-your-writes` to
        see it in the answer."""
        return wecom_member_links.link(caller.tenant_id, userid, data)


class WecomCustomerController(Controller):
    path = "/api/v1/wecom"
    tags = ["wecom"]
    guards = [tenant_may("wecom_customers")]

    @get("/customers", operation_id="listWecomCustomers")
    def list_customers(
        self,
        wecom_customers: WecomCustomers,
        caller: TenantCaller,
        userid: str | None = None,
        status: Literal["active", "lost", "removed"] | None = None,
        channel: Annotated[
            str | None, Parameter(query="state", max_length=30, description="a live code's state")
        ] = None,
        q: Annotated[str | None, Parameter(max_length=50)] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[RelationDetails]:
        """The customer list (客户列表): a row per customer and employee, newest first.

        Filters: employee, status, live-code channel (`state`), name or remark. A sales
        key sees its own WeCom customers, a sales manager their team's."""
        return page_of(
            wecom_customers.relations(
                caller,
                userid=userid,
                status=status,
                state=channel,
                query=q,
                cursor=cursor,
                limit=limit,
            )
        )

    @get("/customers/{external_userid:str}", operation_id="getWecomCustomer")
    def get_customer(
        self, external_userid: ExternalUserId, wecom_customers: WecomCustomers,
        caller: TenantCaller,
    ) -> CustomerDetails:  # fmt: skip
        """One customer, their lead and every employee relation."""
        return wecom_customers.customer(caller, external_userid)

    @get("/churn", operation_id="listWecomChurn")
    def churn(
        self,
        wecom_customers: WecomCustomers,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[RelationDetails]:
        """Churn (流失客户): customers who deleted their employee, latest first."""
        return page_of(wecom_customers.churn(caller, cursor=cursor, limit=limit))

    @get("/churn-alerts", operation_id="listWecomChurnAlerts")
    def churn_alerts(
        self,
        wecom_customers: WecomCustomers,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[ChurnAlert]:
        """Churn alerts (流失提醒), newest first; the linked employee is also notified."""
        return page_of(wecom_customers.alerts(caller, cursor=cursor, limit=limit))

    @get("/customer-stats", operation_id="getWecomCustomerStats")
    def stats(
        self,
        wecom_customers: WecomCustomers,
        caller: TenantCaller,
        days: Annotated[int, Parameter(ge=1, le=90)] = 30,
    ) -> CustomerStats:
        """Customers per employee, and added and lost per day (the tenant's days)."""
        return wecom_customers.stats(caller, days=days)

    @get("/groups", operation_id="listWecomCustomerGroups")
    def groups(
        self,
        wecom_customers: WecomCustomers,
        caller: TenantCaller,
        include_dismissed: bool = False,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[CustomerGroupDetails]:
        """Customer groups (客户群) from callbacks and syncs, latest change first."""
        return page_of(
            wecom_customers.groups(
                caller, include_dismissed=include_dismissed, cursor=cursor, limit=limit
            )
        )
