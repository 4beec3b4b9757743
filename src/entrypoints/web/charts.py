"""Server-rendered SVG charts (no script library): a horizontal bar chart whose
<title> and <desc> say what it shows and every value, for screen readers."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

ROW_HEIGHT = 28
BAR_HEIGHT = 18
LABEL_WIDTH = 150
VALUE_WIDTH = 80
WIDTH = 560
_ids = itertools.count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def bar_chart(title: str, bars: Sequence[Bar], *, unit: str = "") -> Markup:
    """Bars of `bars` scaled to the largest value, labels on the left, values on the
    right. The chart is an image with a name and a description that lists the values;
    links to the figures belong in a table beside it (an image's parts are not focusable)."""
    number = next(_ids)
    title_id, desc_id = f"chart-{number}-title", f"chart-{number}-desc"
    height = max(len(bars), 1) * ROW_HEIGHT + 8
    largest = max((bar.value for bar in bars), default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    description = "; ".join(f"{bar.label}: {bar.value}{unit}" for bar in bars) or "—"
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'style="max-width: 100%; height: auto" '
        f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{title_id} {desc_id}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(description)}</desc>',
    ]
    for row, bar in enumerate(bars):
        top = 4 + row * ROW_HEIGHT
        middle = top + ROW_HEIGHT / 2
        length = max(round(room * bar.value / largest), 1 if bar.value else 0)
        shape = (
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" '
            f'dominant-baseline="middle" font-size="13" fill="#1f2328">'
            f"{escape(_short(bar.label))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{top + (ROW_HEIGHT - BAR_HEIGHT) / 2}" '
            f'width="{length}" height="{BAR_HEIGHT}" rx="3" fill="#2f6feb"></rect>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{middle}" dominant-baseline="middle" '
            f'font-size="13" fill="#1f2328">{bar.value:,}{escape(unit)}</text>'
        )
        parts.append(f"<g>{shape}</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(label: str, longest: int = 12) -> str:
    return label if len(label) <= longest else label[: longest - 1] + "…"
