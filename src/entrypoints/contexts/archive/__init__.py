"""The session archive (会话内容存档, ARCH-1…6): ingestion from the WeCom archive port
(`ingestion`), sensitive words, behaviours and reply timeouts (`screening`), and search,
statistics and the record of reads (`reading`), each a part with its console pages."""

from __future__ import annotations

from litestar.openapi.spec import Tag

from application.archive.archive import Archive
from domain.archive.permissions import ARCHIVE_GRANTS
from entrypoints.contexts.archive import ingestion, reading, screening
from entrypoints.contexts.parts import Part, manifest_of_parts

PARTS: tuple[Part, ...] = (ingestion.PART, reading.PART, screening.PART)

MANIFEST = manifest_of_parts(
    name="archive",
    application=Archive,
    parts=PARTS,
    grants=(ARCHIVE_GRANTS,),
    tags=(
        Tag(
            name="archive",
            description="会话内容存档：存档、检索、敏感词、回复超时 · chat session archive (ARCH)",
        ),
    ),
)
