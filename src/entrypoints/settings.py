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
        )
