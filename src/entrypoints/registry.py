"""Every bounded context huoke runs, in wiring order (a context may use the providers of
those before it). Adding a context: its own files, and one line here."""

from __future__ import annotations

from entrypoints.contexts import (
    archive,
    audit,
    flows,
    leads,
    logins,
    messaging,
    org,
    scoring,
    segments,
    tenancy,
    tracking,
    wechat,
    wecom,
)
from entrypoints.manifest import Manifest

CONTEXTS: tuple[Manifest, ...] = (
    org.MANIFEST,
    tenancy.MANIFEST,
    logins.MANIFEST,
    leads.MANIFEST,
    tracking.MANIFEST,
    scoring.MANIFEST,
    segments.MANIFEST,
    messaging.MANIFEST,
    wechat.MANIFEST,
    wecom.MANIFEST,
    archive.MANIFEST,
    flows.MANIFEST,
    audit.MANIFEST,
)
