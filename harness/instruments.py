"""A questionnaire of any length, for measuring and testing how cost grows with the number of items."""

from __future__ import annotations

import yaml

from survey.instrument import DEFAULT_INSTRUMENT_PATH, Instrument, default_instrument, parse_instrument

DIMENSION_PREFIX = {"strategy": "STR", "operations": "OPS", "governance": "GOV", "leadership": "LEA", "it_ot": "ITO"}


def sized_instrument(items: int = 30) -> Instrument:
    """The default questionnaire, or a copy with `items` items spread over its dimensions (texts reused, ids new): for timing by questionnaire length."""
    if items == 30:
        return default_instrument()
    if items < 2 * 5:
        raise ValueError("at least 10 items (two per dimension)")
    raw = yaml.safe_load(DEFAULT_INSTRUMENT_PATH.read_text(encoding="utf-8"))
    dims = raw["dimensions"]
    per_dim = [items // len(dims) + (1 if i < items % len(dims) else 0) for i in range(len(dims))]
    for dim, count in zip(dims, per_dim, strict=True):
        template = dim["items"]
        prefix = DIMENSION_PREFIX.get(dim["id"], dim["id"][:3].upper())
        dim["items"] = [
            {**template[i % len(template)], "id": f"{prefix}{i + 1}", "reverse": bool(template[i % len(template)].get("reverse"))}
            for i in range(count)
        ]
    raw["id"] = f"bench-{items}-items"
    return parse_instrument(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), f"bench instrument ({items} items)")
