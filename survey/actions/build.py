"""Building a planned action from whatever it answers (a gap row, a blind spot, a finding, a priority-matrix row): pure, no storage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from survey.actions.schema import KINDS

DEFAULT_PAIR = ("level=board", "level=shop_floor")


def _group(value: object) -> str | None:
    """'level=board', ('level', 'board') or {'attribute': 'level', 'option': 'board'} as 'level=board'."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return f"{value['attribute']}={value['option']}"
    attribute, option = value  # type: ignore[misc]
    return f"{attribute}={option}"


def target_of(target: Mapping[str, object]) -> dict[str, object]:
    """The target fields of an action from a target dict: `kind` (dimension|item|blind_spot|loss), `id`, optional `a`/`b`.

    Also accepts the shapes other views produce: a gap row (`unit_type`, `unit`, `a`, `b`), a blind
    spot (`dimension`, `predictor`/`a`, `predicted`/`b`), a loss row (`loss`). A blind spot without a
    pair is about the board's view of the shop floor, the seed's "clear in the boardroom, not on the line".
    """
    kind = target.get("kind") or target.get("unit_type") or ("loss" if "loss" in target and "id" not in target else None)
    ident = target.get("id") or target.get("unit") or target.get("loss") or target.get("dimension")
    if kind not in KINDS:
        raise ValueError(f"a target's kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not isinstance(ident, str) or not ident:
        raise ValueError("a target names what it is about: 'id' (a dimension, item or loss id)")
    a = _group(target.get("a") or target.get("predictor"))
    b = _group(target.get("b") or target.get("predicted"))
    if kind == "blind_spot" and a is None and b is None:
        a, b = DEFAULT_PAIR
    return {"target_kind": kind, "target_id": ident, "group_a": a, "group_b": b}


def finding_target(finding: Mapping[str, object]) -> dict[str, object] | None:
    """What a written finding (`analysis.insights.findings`: kind, text, refs) is about, as a target for `action_from`.

    Gap, coherence and trend findings are about a dimension (a gap keeps its pair, so gap closure can
    measure it); a blind spot keeps who predicts (a) and who was predicted (b); a split is about its
    statement; a value finding about its loss and pair; a reliability finding about the dimension with
    the lowest alpha (the action there is usually rewording it). None when the refs name nothing.
    """
    kind, refs = finding.get("kind"), finding.get("refs")
    if not isinstance(refs, Mapping):
        return None
    if kind == "gap" and refs.get("dimension"):
        return {"kind": "dimension", "id": refs["dimension"], "a": refs.get("a"), "b": refs.get("b")}
    if kind == "blind_spot" and refs.get("dimension"):
        return {"kind": "blind_spot", "id": refs["dimension"], "a": refs.get("by"), "b": refs.get("about")}
    if kind == "split" and refs.get("item"):
        return {"kind": "item", "id": refs["item"]}
    if kind in ("coherence", "trend") and refs.get("dimension"):
        return {"kind": "dimension", "id": refs["dimension"]}
    if kind == "value" and refs.get("loss"):
        return {"kind": "loss", "id": refs["loss"], "a": refs.get("a"), "b": refs.get("b")}
    alpha = refs.get("alpha")
    if kind == "reliability" and isinstance(alpha, Mapping) and alpha:
        return {"kind": "dimension", "id": min(alpha, key=lambda d: alpha[d])}
    return None


def action_from(
    target: Mapping[str, object],
    *,
    wave: int | None = None,
    title: str | None = None,
    owner: str = "",
    due_on: dt.date | None = None,
    loss: str | None = None,
    eur_per_year: float | None = None,
    kpi: str | None = None,
    kpi_baseline: str | None = None,
    notes: str | None = None,
) -> dict[str, object]:
    """A planned, unpublished action answering `target`, ready for `add_action` or a prefilled form.

    The title defaults to what the target is ("strategy: level=board vs level=shop_floor"), since
    a room naming the action in its own words is the point of a workshop; `label` in the target
    (e.g. the dimension's name in the reader's language) is used instead of the id when given.
    An owner is left for people to fill in: `add_action` refuses an action nobody owns.
    """
    fields = target_of(target)
    name = str(target.get("label") or fields["target_id"])
    pair = f": {fields['group_a']} vs {fields['group_b']}" if fields["group_a"] else ""
    return {
        **fields,
        "answers_wave": wave if wave is not None else target.get("wave"),
        "title": title or f"{name}{pair}",
        "owner": owner,
        "due_on": due_on,
        "status": "planned",
        "loss": loss if loss is not None else (fields["target_id"] if fields["target_kind"] == "loss" else None),
        "eur_per_year": eur_per_year,
        "kpi": kpi,
        "kpi_baseline": kpi_baseline,
        "notes": notes,
        "published": False,
    }
