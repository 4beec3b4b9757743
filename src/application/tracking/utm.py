"""UTM parameters of a landing URL (TRK-4): which ad, medium and campaign brought a visit."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
MAX_UTM_LENGTH = 200


def utm_of(url: str) -> dict[str, str]:
    """The UTM parameters in `url`'s query, by Segment's `context.campaign` names
    (`source`, `medium`, `name` for the campaign, `term`, `content`); empty values and
    unknown parameters left out, each value cut to 200 characters."""
    try:
        query = urlsplit(url).query
    except ValueError:  # not a URL at all
        return {}
    found: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=False):
        if key in UTM_KEYS and value.strip() and key not in found:
            found[key] = value.strip()[:MAX_UTM_LENGTH]
    return {_CAMPAIGN_NAMES[key]: value for key, value in found.items()}


_CAMPAIGN_NAMES = {
    "utm_source": "source",
    "utm_medium": "medium",
    "utm_campaign": "name",
    "utm_term": "term",
    "utm_content": "content",
}
