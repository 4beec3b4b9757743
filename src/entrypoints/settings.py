"""Configuration from HUOKE_* environment variables (see the README's table)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "y", "yes", "true", "on")


@dataclass(frozen=True)
class WeChatPaySettings:
    """WeChat Pay v3 merchant settings (HUOKE_WECHATPAY_*); keys are read from files."""

    mchid: str
    appid: str
    private_key_file: Path
    cert_serial_no: str
    apiv3_key: str
    public_key_file: Path
    public_key_id: str
    base_url: str | None = None

    @classmethod
    def from_environment(cls) -> WeChatPaySettings | None:
        if not os.environ.get("HUOKE_WECHATPAY_MCHID"):
            return None
        env = _required(
            "HUOKE_WECHATPAY_",
            [
                "MCHID",
                "APPID",
                "PRIVATE_KEY_FILE",
                "CERT_SERIAL_NO",
                "APIV3_KEY",
                "PUBLIC_KEY_FILE",
                "PUBLIC_KEY_ID",
            ],
        )
        return cls(
            mchid=env["MCHID"],
            appid=env["APPID"],
            private_key_file=Path(env["PRIVATE_KEY_FILE"]),
            cert_serial_no=env["CERT_SERIAL_NO"],
            apiv3_key=env["APIV3_KEY"],
            public_key_file=Path(env["PUBLIC_KEY_FILE"]),
            public_key_id=env["PUBLIC_KEY_ID"],
            base_url=os.environ.get("HUOKE_WECHATPAY_BASE_URL") or None,
        )


@dataclass(frozen=True)
class AlipaySettings:
    """Alipay open platform settings (HUOKE_ALIPAY_*); keys are read from files."""

    app_id: str
    app_private_key_file: Path
    alipay_public_key_file: Path
    gateway_url: str | None = None

    @classmethod
    def from_environment(cls) -> AlipaySettings | None:
        if not os.environ.get("HUOKE_ALIPAY_APP_ID"):
            return None
        env = _required(
            "HUOKE_ALIPAY_", ["APP_ID", "APP_PRIVATE_KEY_FILE", "ALIPAY_PUBLIC_KEY_FILE"]
        )
        return cls(
            app_id=env["APP_ID"],
            app_private_key_file=Path(env["APP_PRIVATE_KEY_FILE"]),
            alipay_public_key_file=Path(env["ALIPAY_PUBLIC_KEY_FILE"]),
            gateway_url=os.environ.get("HUOKE_ALIPAY_GATEWAY_URL") or None,
        )


def _required(prefix: str, names: list[str]) -> dict[str, str]:
    missing = [prefix + name for name in names if not os.environ.get(prefix + name)]
    if missing:
        raise ValueError(f"set {', '.join(missing)} (or unset {prefix}* entirely)")
    return {name: os.environ[prefix + name] for name in names}


@dataclass(frozen=True)
class MessagingSettings:
    """Relays, providers and the send pipeline (MAIL, SMS; ADR 0015). Unset: the
    embedded sandboxes (.eml files under var/outbox, SMS as JSON lines)."""

    smtp_url: str | None = None  # smtp://user:password@host:587 (STARTTLS) or smtps://…:465
    smtp_connections: int = 4  # connections a batch is spread over, reused between batches
    bounce_listen: str | None = None  # host:port of the inbound SMTP server for bounces
    spf_include: str = "spf.huoke.local"  # the SPF include tenants publish
    mx_host: str = "mx.huoke.local"  # where their return-path MX points (our bounce server)
    tracking_host: str = "track.huoke.local"  # where their tracking CNAME points
    dns_nameserver: str | None = None  # host[:port] to ask instead of the system resolver
    sms_provider: str = "sandbox"  # sandbox, aliyun or tencent
    sms_access_key_id: str | None = None  # Aliyun AccessKeyId / Tencent SecretId
    sms_access_key_secret: str | None = None  # Aliyun AccessKeySecret / Tencent SecretKey
    sms_app_id: str | None = None  # Tencent SmsSdkAppId
    sms_endpoint: str | None = None  # the provider's API host (tests: a local server)
    sms_callback_token: str | None = None  # ?token= the provider's receipt callbacks carry
    send_batch: int = 200  # messages claimed per round
    send_daily_cap: int | None = None  # messages a lead may get per channel in 24 h
    send_interval_seconds: float = 0.5  # the worker's pause when the queue is empty
    send_rate_per_second: float | None = None  # the most messages a worker hands over a second

    @classmethod
    def from_environment(cls) -> MessagingSettings:
        env = os.environ.get
        cap = env("HUOKE_SEND_DAILY_CAP")
        rate = env("HUOKE_SEND_RATE_PER_SECOND")
        return cls(
            smtp_url=env("HUOKE_SMTP_URL") or None,
            smtp_connections=int(env("HUOKE_SMTP_CONNECTIONS", "4")),
            bounce_listen=env("HUOKE_BOUNCE_LISTEN") or None,
            spf_include=env("HUOKE_MAIL_SPF_INCLUDE", "spf.huoke.local"),
            mx_host=env("HUOKE_MAIL_MX_HOST", "mx.huoke.local"),
            tracking_host=env("HUOKE_MAIL_TRACKING_HOST", "track.huoke.local"),
            dns_nameserver=env("HUOKE_DNS_NAMESERVER") or None,
            sms_provider=env("HUOKE_SMS_PROVIDER", "sandbox"),
            sms_access_key_id=env("HUOKE_SMS_ACCESS_KEY_ID") or None,
            sms_access_key_secret=env("HUOKE_SMS_ACCESS_KEY_SECRET") or None,
            sms_app_id=env("HUOKE_SMS_APP_ID") or None,
            sms_endpoint=env("HUOKE_SMS_ENDPOINT") or None,
            sms_callback_token=env("HUOKE_SMS_CALLBACK_TOKEN") or None,
            send_batch=int(env("HUOKE_SEND_BATCH", "200")),
            send_daily_cap=int(cap) if cap else None,
            send_interval_seconds=float(env("HUOKE_SEND_INTERVAL_SECONDS", "0.5")),
            send_rate_per_second=float(rate) if rate else None,
        )


@dataclass(frozen=True)
class WechatSettings:
    """The WeChat Official Account API (WX): the sandbox records what would be sent
    (var/outbox/wechat.jsonl) until HUOKE_WECHAT_API=wechat."""

    api: str = "sandbox"  # sandbox | wechat
    api_base: str = "https://api.weixin.qq.com/cgi-bin/"
    refusals_per_minute: int = 30  # refused callbacks per client address

    @classmethod
    def from_environment(cls) -> WechatSettings:
        return cls(
            api=os.environ.get("HUOKE_WECHAT_API", "sandbox"),
            api_base=os.environ.get("HUOKE_WECHAT_API_BASE", cls.api_base),
            refusals_per_minute=int(os.environ.get("HUOKE_WECHAT_REFUSALS_PER_MINUTE", "30")),
        )


@dataclass(frozen=True)
class WecomSettings:
    """The WeCom (企业微信) API (WECOM): the sandbox records every call
    (var/outbox/wecom.jsonl) and answers from a small corp until HUOKE_WECOM_API=wecom."""

    api: str = "sandbox"  # sandbox | wecom
    api_base: str = "https://qyapi.weixin.qq.com/cgi-bin/"
    refusals_per_minute: int = 30  # refused callbacks per client address

    @classmethod
    def from_environment(cls) -> WecomSettings:
        return cls(
            api=os.environ.get("HUOKE_WECOM_API", "sandbox"),
            api_base=os.environ.get("HUOKE_WECOM_API_BASE", cls.api_base),
            refusals_per_minute=int(os.environ.get("HUOKE_WECOM_REFUSALS_PER_MINUTE", "30")),
        )


@dataclass(frozen=True)
class ArchiveSourceSettings:
    """Where archived chats are pulled from (ARCH-1, ADR 0020): the sandbox replays a
    bundled fixture until HUOKE_ARCHIVE_SOURCE=gateway (an archive gateway in front of
    WeCom's finance SDK, at HUOKE_ARCHIVE_GATEWAY_URL)."""

    source: str = "sandbox"  # sandbox | gateway
    gateway_url: str | None = None
    pull_interval_seconds: float = 10.0  # how often enabled tenants are pulled
    batch: int = 1000  # messages asked for a call (GetChatData's limit: 1 to 1,000)

    @classmethod
    def from_environment(cls) -> ArchiveSourceSettings:
        source = os.environ.get("HUOKE_ARCHIVE_SOURCE", "sandbox")
        url = os.environ.get("HUOKE_ARCHIVE_GATEWAY_URL") or None
        if source not in ("sandbox", "gateway"):
            raise ValueError("HUOKE_ARCHIVE_SOURCE must be sandbox or gateway")
        if source == "gateway" and url is None:
            raise ValueError("set HUOKE_ARCHIVE_GATEWAY_URL (or HUOKE_ARCHIVE_SOURCE=sandbox)")
        return cls(
            source=source,
            gateway_url=url,
            batch=int(os.environ.get("HUOKE_ARCHIVE_BATCH", "1000")),
            pull_interval_seconds=float(
                os.environ.get("HUOKE_ARCHIVE_PULL_INTERVAL_SECONDS", "10")
            ),
        )


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    # Embedded store, cipher key file, view locks, sandbox payments, outbox. Relative to
    # the working directory, so the CLI prints where it resolved before it opens it.
    var_dir: Path = Path("var")
    cipher_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    in_process_projections: bool = True
    auto_migrate: bool = True
    rate_limit_per_minute: int = 600
    tracking_rate_limit_per_minute: int = 60_000  # /v1/*: per write key and per address
    sign_in_limit: int = 10  # console sign-in attempts per client address in 5 minutes
    max_body_bytes: int = 1_048_576
    fast_hashing: bool = False
    bootstrap_email: str = "admin@huoke.local"
    pool_size: int = 10  # the most PostgreSQL connections the process opens (one pool)
    public_url: str = "http://127.0.0.1:8000"
    sandbox_payments: bool = True
    wechatpay: WeChatPaySettings | None = None
    alipay: AlipaySettings | None = None
    scheduler_interval_seconds: float = 60.0
    messaging: MessagingSettings = MessagingSettings()
    wechat: WechatSettings = WechatSettings()
    archive: ArchiveSourceSettings = ArchiveSourceSettings()
    wecom: WecomSettings = WecomSettings()

    @property
    def store_location(self) -> str:
        """Where this process keeps its data, as an operator should see it (no password)."""
        files = f"{self.var_dir.resolve()} (HUOKE_VAR_DIR)"
        if self.database_url is None:
            return files
        parts = urlsplit(self.database_url)
        user = f"{parts.username}@" if parts.username else ""
        server = f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"
        return f"postgresql://{user}{server} (HUOKE_DATABASE_URL), files in {files}"

    @classmethod
    def from_environment(cls) -> Settings:
        url = os.environ.get("HUOKE_DATABASE_URL") or None
        return cls(
            database_url=url,
            var_dir=Path(os.environ.get("HUOKE_VAR_DIR") or "var").expanduser(),
            cipher_key=os.environ.get("HUOKE_CIPHER_KEY") or None,
            host=os.environ.get("HUOKE_HOST", "127.0.0.1"),
            port=int(os.environ.get("HUOKE_PORT", "8000")),
            # Embedded: runners live in the server. PostgreSQL: `huoke worker projections`.
            in_process_projections=_flag("HUOKE_INPROCESS_PROJECTIONS", url is None),
            # Embedded: tables appear on first run. PostgreSQL: `huoke db migrate`.
            auto_migrate=_flag("HUOKE_AUTO_MIGRATE", url is None),
            rate_limit_per_minute=int(os.environ.get("HUOKE_RATE_LIMIT_PER_MINUTE", "600")),
            tracking_rate_limit_per_minute=int(
                os.environ.get("HUOKE_TRACKING_RATE_LIMIT", "60000")
            ),
            sign_in_limit=int(os.environ.get("HUOKE_SIGN_IN_LIMIT", "10")),
            max_body_bytes=int(os.environ.get("HUOKE_MAX_BODY_BYTES", "1048576")),
            fast_hashing=_flag("HUOKE_FAST_HASHING", False),
            bootstrap_email=os.environ.get("HUOKE_BOOTSTRAP_EMAIL", "admin@huoke.local"),
            pool_size=int(os.environ.get("HUOKE_POOL_SIZE", "10")),
            public_url=os.environ.get("HUOKE_PUBLIC_URL", "http://127.0.0.1:8000"),
            sandbox_payments=_flag("HUOKE_SANDBOX_PAYMENTS", True),
            wechatpay=WeChatPaySettings.from_environment(),
            alipay=AlipaySettings.from_environment(),
            scheduler_interval_seconds=float(
                os.environ.get("HUOKE_SCHEDULER_INTERVAL_SECONDS", "60")
            ),
            messaging=MessagingSettings.from_environment(),
            wechat=WechatSettings.from_environment(),
            archive=ArchiveSourceSettings.from_environment(),
            wecom=WecomSettings.from_environment(),
        )
