"""QR codes drawn with segno (PNG and SVG), for promotion links' short URLs."""

from __future__ import annotations

import io

import segno


class SegnoQrCodes:
    """The `QrCodes` port: medium error correction (a poster may be scuffed), a quiet zone
    of four modules as the standard asks."""

    def png(self, url: str, *, scale: int = 8) -> bytes:
        out = io.BytesIO()
        segno.make(url, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
        return out.getvalue()

    def svg(self, url: str) -> bytes:
        out = io.BytesIO()
        segno.make(url, error="m", micro=False).save(
            out, kind="svg", scale=4, border=4, xmldecl=True, svgns=True
        )
        return out.getvalue()
