"""Tenancy (TEN, BIL): tenants, API keys, staff, plans, orders, refunds, quotas."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers
from litestar.openapi.spec import Tag

from adapters.persistence.storage import Storage
from adapters.security.argon2_hasher import Argon2SecretHasher
from adapters.tenancy.alipay import AlipayGateway
from adapters.tenancy.catalogue import load_catalogue
from adapters.tenancy.sandbox_payments import SandboxPayments
from adapters.tenancy.wechat_pay import WeChatPayGateway
from application.tenancy.billing import Billing
from application.tenancy.billing_directory import BillingDirectory, BillingQueries
from application.tenancy.directory import TenancyDirectory, TenancyQueries
from application.tenancy.ports import PaymentGateway
from application.tenancy.tenancy import Tenancy
from domain.tenancy.permissions import TENANCY_GRANTS
from entrypoints.http.admin import AdminStaffController, AdminTenantController
from entrypoints.http.admin_billing import (
    AdminIncidentController,
    AdminOrderController,
    AdminRefundController,
    AdminSubscriptionController,
)
from entrypoints.http.billing import (
    BranchController,
    OrderController,
    PlanController,
    RefundController,
)
from entrypoints.http.callbacks import PaymentCallbackController
from entrypoints.http.tenant import ApiKeyController, TenantController
from entrypoints.manifest import Manifest
from entrypoints.settings import Settings
from entrypoints.web.tenancy import back_office, company


def build_gateways(settings: Settings, storage: Storage) -> dict[str, PaymentGateway]:
    """The payment providers that are set up: the sandbox (unless switched off), and
    WeChat Pay and Alipay when their HUOKE_WECHATPAY_* / HUOKE_ALIPAY_* are given."""
    gateways: dict[str, PaymentGateway] = {}
    notify = settings.public_url.rstrip("/") + "/callbacks/payments/"
    if settings.sandbox_payments:
        secret = hmac.new(base64.b64decode(storage.cipher_key), b"sandbox-payments", "sha256")
        gateways["sandbox"] = SandboxPayments(
            settings.var_dir / "sandbox-payments.jsonl", secret.digest()
        )
    if settings.wechatpay is not None:
        wechat = settings.wechatpay
        gateways["wechatpay"] = WeChatPayGateway(
            mchid=wechat.mchid,
            appid=wechat.appid,
            private_key=wechat.private_key_file.read_text(),
            cert_serial_no=wechat.cert_serial_no,
            apiv3_key=wechat.apiv3_key,
            notify_url=notify + "wechatpay",
            public_key=wechat.public_key_file.read_text(),
            public_key_id=wechat.public_key_id,
            **({"base_url": wechat.base_url} if wechat.base_url else {}),
        )
    if settings.alipay is not None:
        alipay = settings.alipay
        gateways["alipay"] = AlipayGateway(
            app_id=alipay.app_id,
            app_private_key=alipay.app_private_key_file.read_text(),
            alipay_public_key=alipay.alipay_public_key_file.read_text(),
            notify_url=notify + "alipay",
            **({"gateway_url": alipay.gateway_url} if alipay.gateway_url else {}),
        )
    return gateways


def wire(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    hasher = providers.Singleton(Argon2SecretHasher, fast=c.settings.provided.fast_hashing)
    tenancy = providers.Singleton(
        Tenancy, c.infrastructure, hasher=hasher, roster=c.org, permissions=c.tenant_permissions
    )
    catalogue = providers.Singleton(load_catalogue)
    gateways = providers.Singleton(build_gateways, c.settings, c.storage)
    billing = providers.Singleton(
        Billing,
        c.infrastructure,
        catalogue=catalogue,
        clock=c.clock,
        calendar=tenancy,
        gateways=gateways,
        public_url=c.settings.provided.public_url,
    )
    return {
        "hasher": hasher,
        "tenancy": tenancy,
        "catalogue": catalogue,
        "gateways": gateways,
        "billing": billing,
        "tenancy_queries": providers.Singleton(TenancyQueries, c.tenancy_view),
        "billing_queries": providers.Singleton(BillingQueries, c.billing_view),
    }


MANIFEST = Manifest(
    name="tenancy",
    providers=wire,
    applications=("tenancy", "billing"),
    followers=(TenancyDirectory, BillingDirectory),
    views={"tenancy_view": TenancyDirectory, "billing_view": BillingDirectory},
    grants=(TENANCY_GRANTS,),
    controllers=(
        TenantController,
        ApiKeyController,
        AdminTenantController,
        AdminStaffController,
        PlanController,
        OrderController,
        RefundController,
        BranchController,
        AdminSubscriptionController,
        AdminOrderController,
        AdminRefundController,
        AdminIncidentController,
        PaymentCallbackController,
    ),
    dependencies=("tenancy", "tenancy_queries", "billing", "billing_queries"),
    tags=(
        Tag(name="tenant", description="本企业 · the tenant, its settings and timezone"),
        Tag(name="access", description="API 密钥 · the tenant's API keys and their roles"),
        Tag(name="billing", description="套餐、订单、退款与配额 · plans, orders, refunds, quotas"),
        Tag(name="admin", description="平台后台 · the platform back office (staff tokens)"),
        Tag(name="callbacks", description="支付回调 · payment provider notifications (signed)"),
    ),
    configuration_events={
        "tenancy.Tenant.Registered": "企业开通 · tenant registered",
        "tenancy.Tenant.Renamed": "企业更名 · tenant renamed",
        "tenancy.Tenant.SettingsUpdated": "企业设置变更 · tenant settings changed",
        "tenancy.Tenant.TimezoneChanged": "时区变更 · timezone changed",
        "tenancy.Tenant.OwnerChanged": "负责人变更 · owner changed",
        "tenancy.Tenant.Suspended": "企业停用 · tenant suspended",
        "tenancy.Tenant.Reactivated": "企业恢复 · tenant reactivated",
        "tenancy.Tenant.HeadOfficeAssigned": "归属总部 · head office assigned",
        "tenancy.ApiKey.Issued": "API 密钥签发 · API key issued",
        "tenancy.ApiKey.Revoked": "API 密钥吊销 · API key revoked",
        "tenancy.StaffAccount.Enrolled": "平台员工加入 · staff enrolled",
        "tenancy.StaffAccount.Disabled": "平台员工停用 · staff disabled",
        "tenancy.Subscription.Started": "开通套餐 · plan started",
        "tenancy.Subscription.Upgraded": "套餐升级 · plan upgraded",
        "tenancy.Subscription.Renewed": "套餐续费 · plan renewed",
        "tenancy.Subscription.AddOnPurchased": "购买增值包 · add-on purchased",
        "tenancy.Subscription.Extended": "套餐延期 · plan extended",
        "tenancy.Subscription.Cancelled": "套餐取消 · plan cancelled",
        "tenancy.Subscription.Restarted": "套餐重新开通 · plan restarted",
    },
    console=(*back_office.PAGES, *company.PAGES),
    console_nav=(*back_office.NAV, *company.NAV),
)
