"""Written findings: at most seven plain-language statements (English and Dutch) from the summary document's numbers alone.

Each finding cites its figures (kept in `refs`, with the page that shows them) and is worded from the
questionnaire's labels; no text model, no other data. What a finding may say is what the document
shows: gaps, blind spots, splits, value shares and trends of shown groups only, so nothing is said
about a group below the threshold and no finding holds a number the pages do not.

Ranking (most important first), one finding per kind, in this order:
1. gap — the largest significant gap between the gap pair (BH-adjusted p < 0.05), dimensions only:
   the core question of the scan, where the boardroom and the shop floor part ways;
2. blind_spot — the largest significant blind spot (a level misjudging another), when the document has them;
3. split — the most split group on a statement (van der Eijk's A < 0): it needs another conversation;
4. coherence — the least coherent dimension, with the overall index;
5. value — the loss the two sides of the pair disagree on most, when its 95% CI excludes zero;
6. trend — the largest significant change of a shown group's dimension score since the previous wave;
7. reliability — dimensions whose Cronbach's alpha is below 0.7: a caveat on reading their scores.
Kinds without anything to say are left out and the second-largest significant gap fills a free place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from analysis.labels import Labels
from survey.instrument import Instrument

MAX_FINDINGS = 7
SIGNIFICANT = 0.05
LANGUAGES = ("en", "nl")
KINDS = ("gap", "blind_spot", "split", "coherence", "value", "trend", "reliability")
# The page that shows each kind's numbers (a file under pages/, as Streamlit's page links take it).
PAGES = {
    "gap": "pages/3_gaps.py",
    "blind_spot": "pages/3_perception.py",
    "split": "pages/4_items.py",
    "coherence": "pages/2_overview.py",
    "value": "pages/5_value.py",
    "trend": "pages/7_trends.py",
    "reliability": "pages/2_overview.py",
}
TEXTS: dict[str, dict[str, str]] = {
    "gap": {
        "en": "{unit}: {a} scores it {size} points {direction} than {b} (95% CI {low} to {high}; effect size g = {g}, {effect}; p adjusted {p}).",
        "nl": "{unit}: {a} scoort dit {size} punten {direction} dan {b} (95%-BI {low} tot {high}; effectgrootte g = {g}, {effect}; "
        "p gecorrigeerd {p}).",
    },
    "higher": {"en": "higher", "nl": "hoger"},
    "lower": {"en": "lower", "nl": "lager"},
    "small": {"en": "small", "nl": "klein"},
    "medium": {"en": "medium", "nl": "middelgroot"},
    "large": {"en": "large", "nl": "groot"},
    "negligible": {"en": "negligible", "nl": "verwaarloosbaar"},
    "blind_spot": {
        "en": "Blind spot on {unit}: {by} expects {about} to score {predicted}; {about} actually scores {actual} "
        "({size} points {direction}, 95% CI {low} to {high}; p adjusted {p}).",
        "nl": "Blinde vlek bij {unit}: {by} verwacht dat {about} {predicted} scoort; {about} scoort werkelijk {actual} "
        "({size} punten {direction}, 95%-BI {low} tot {high}; p gecorrigeerd {p}).",
    },
    "over": {"en": "too high", "nl": "te hoog"},
    "under": {"en": "too low", "nl": "te laag"},
    "split": {
        "en": "Split opinion: {group} is divided on {item} “{text}” (agreement A = {a}, n = {n}): two camps rather than a lukewarm middle.{more}",
        "nl": "Verdeelde mening: {group} is verdeeld over {item} “{text}” (overeenstemming A = {a}, n = {n}): twee kampen, geen lauw "
        "midden.{more}",
    },
    "split_more": {
        "en": " {count} more split group(s) on the Item detail page.",
        "nl": " Nog {count} verdeelde groep(en) op de pagina Stellingen.",
    },
    "coherence": {
        "en": "Least coherent: {unit}, coherence {index} (between the levels {between}, within them {within}; overall {overall}). {why}",
        "nl": "Minst coherent: {unit}, coherentie {index} (tussen de niveaus {between}, binnen de niveaus {within}; totaal {overall}). {why}",
    },
    "coherence_between": {"en": "The levels see it differently.", "nl": "De niveaus zien het verschillend."},
    "coherence_within": {"en": "Each level is divided within itself.", "nl": "Binnen elk niveau lopen de antwoorden uiteen."},
    "value": {
        "en": "{loss}: named by {share_a} of {a} and {share_b} of {b} (difference {diff} points, 95% CI {low} to {high}){eur}.",
        "nl": "{loss}: genoemd door {share_a} van {a} en {share_b} van {b} (verschil {diff} punten, 95%-BI {low} tot {high}){eur}.",
    },
    "value_eur": {"en": "; estimated € {eur} a year", "nl": "; geschat € {eur} per jaar"},
    "trend": {
        "en": "Since wave {wave}, {group} {direction} on {unit} by {size} points ({before} → {after}; 95% CI {low} to {high}).",
        "nl": "Sinds ronde {wave} is de score van {group} op {unit} {size} punten {direction} ({before} → {after}; 95%-BI {low} tot {high}).",
    },
    "rose": {"en": "rose", "nl": "gestegen"},
    "fell": {"en": "fell", "nl": "gedaald"},
    "trend_group": {"en": "{group}'s score", "nl": "{group}"},
    "reliability": {
        "en": "Read with care: {list} — Cronbach's alpha below 0.7, so these statements do not measure one thing well.",
        "nl": "Voorzichtig lezen: {list} — Cronbachs alfa onder 0,7, dus deze stellingen meten niet goed één ding.",
    },
}


def _num(value: float, lang: str, digits: int = 2, sign: bool = False) -> str:
    """A number for reading: comma decimals and a true minus sign in Dutch, a true minus sign in English too."""
    text = f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"
    text = text.replace("-", "−")
    return text.replace(".", ",") if lang == "nl" else text


def _p(value: float | None, lang: str) -> str:
    if value is None:
        return "—"
    return ("< 0,001" if lang == "nl" else "< 0.001") if value < 0.001 else _num(value, lang, 3)


def _pct(value: float, lang: str) -> str:
    return f"{value * 100:.0f}%"


def _eur(value: float, lang: str) -> str:
    text = f"{value:,.0f}"
    return text.replace(",", ".") if lang == "nl" else text


def _effect(g: float) -> str:
    size = abs(g)
    return "large" if size >= 0.8 else "medium" if size >= 0.5 else "small" if size >= 0.2 else "negligible"


def _both(write: Callable[[str, Labels], str], labels: Mapping[str, Labels]) -> dict[str, str]:
    return {lang: write(lang, labels[lang]) for lang in LANGUAGES}


def _shown(entry: Mapping[str, Any], *keys: str) -> bool:
    return not entry.get("suppressed") and all(entry.get(key) is not None for key in keys)


def _gap(gap: Mapping[str, Any], labels: Mapping[str, Labels]) -> dict[str, Any]:
    diff, (low, high) = gap["diff"], gap["ci"]

    def write(lang: str, lab: Labels) -> str:
        return TEXTS["gap"][lang].format(
            unit=lab.dimension(gap["dimension"]),
            a=lab.group(gap["a"]),
            b=lab.group(gap["b"]),
            size=_num(abs(diff), lang),
            direction=TEXTS["higher" if diff > 0 else "lower"][lang],
            low=_num(low, lang, sign=True),
            high=_num(high, lang, sign=True),
            g=_num(gap["effect_size"], lang),
            effect=TEXTS[_effect(gap["effect_size"])][lang],
            p=_p(gap["p_adj"], lang),
        )

    refs = {k: gap[k] for k in ("a", "b", "dimension", "diff", "ci", "effect_size", "p_adj", "n_a", "n_b")}
    return {"kind": "gap", "text": _both(write, labels), "refs": {**refs, "page": PAGES["gap"]}}


def _gap_findings(doc: Mapping[str, Any], labels: Mapping[str, Labels]) -> list[dict[str, Any]]:
    shown = [
        g
        for g in doc.get("gaps", [])
        if "dimension" in g and _shown(g, "diff", "ci", "effect_size", "p_adj") and g["p_adj"] < SIGNIFICANT and None not in g["ci"]
    ]
    shown.sort(key=lambda g: -abs(g["diff"]))
    return [_gap(g, labels) for g in shown[:2]]


def _blind_spot(doc: Mapping[str, Any], labels: Mapping[str, Labels]) -> dict[str, Any] | None:
    spots = [
        s
        for s in doc.get("blind_spots") or []
        if _shown(s, "diff", "predicted", "actual", "p_adj", "ci") and s["p_adj"] < SIGNIFICANT and None not in s["ci"]
    ]
    if not spots:
        return None
    spot = max(spots, key=lambda s: abs(s["diff"]))

    def write(lang: str, lab: Labels) -> str:
        return TEXTS["blind_spot"][lang].format(
            unit=lab.dimension(spot["dimension"]),
            by=lab.group(spot["by"]),
            about=lab.group(spot["about"]),
            predicted=_num(spot["predicted"], lang),
            actual=_num(spot["actual"], lang),
            size=_num(abs(spot["diff"]), lang),
            direction=TEXTS["over" if spot["diff"] > 0 else "under"][lang],
            low=_num(spot["ci"][0], lang, sign=True),
            high=_num(spot["ci"][1], lang, sign=True),
            p=_p(spot["p_adj"], lang),
        )

    keys = ("by", "about", "dimension", "predicted", "actual", "diff", "ci", "p_adj", "n_by", "n_about")
    return {"kind": "blind_spot", "text": _both(write, labels), "refs": {**{k: spot.get(k) for k in keys}, "page": PAGES["blind_spot"]}}


def _split(doc: Mapping[str, Any], labels: Mapping[str, Labels]) -> dict[str, Any] | None:
    splits = [s for s in doc.get("splits") or [] if _shown(s, "agreement_a", "n")]
    if not splits:
        return None
    top = min(splits, key=lambda s: s["agreement_a"])
    more = len(splits) - 1

    def write(lang: str, lab: Labels) -> str:
        return TEXTS["split"][lang].format(
            group=lab.group(top["group"]),
            item=top["item"],
            text=lab.item(top["item"]),
            a=_num(top["agreement_a"], lang),
            n=top["n"],
            more=TEXTS["split_more"][lang].format(count=more) if more else "",
        )

    refs = {"group": top["group"], "item": top["item"], "agreement_a": top["agreement_a"], "n": top["n"], "more_splits": more}
    return {"kind": "split", "text": _both(write, labels), "refs": {**refs, "page": PAGES["split"]}}


def _coherence(doc: Mapping[str, Any], labels: Mapping[str, Labels]) -> dict[str, Any] | None:
    section = doc.get("coherence") or {}
    dims = {d: v for d, v in (section.get("dimensions") or {}).items() if v.get("index") is not None}
    if not dims or section.get("overall") is None:
        return None
    dim = min(dims, key=lambda d: dims[d]["index"])
    c = dims[dim]

    def write(lang: str, lab: Labels) -> str:
        return TEXTS["coherence"][lang].format(
            unit=lab.dimension(dim),
            index=_num(c["index"], lang),
            between=_num(c["between"], lang),
            within=_num(c["within"], lang),
            overall=_num(section["overall"], lang),
            why=TEXTS["coherence_between" if c["between"] <= c["within"] else "coherence_within"][lang],
        )

    refs = {"dimension": dim, **c, "overall": section["overall"]}
    return {"kind": "coherence", "text": _both(write, labels), "refs": {**refs, "page": PAGES["coherence"]}}


def _value(doc: Mapping[str, Any], labels: Mapping[str, Labels]) -> dict[str, Any] | None:
    rows = [
        r
        for r in doc.get("value_at_stake") or []
        if _shown(r, "diff", "share_a", "share_b") and None not in r["ci"] and (r["ci"][0] > 0 or r["ci"][1] < 0)
    ]
    if not rows:
        return None
    row = max(rows, key=lambda r: abs(r["diff"]))

    def write(lang: str, lab: Labels) -> str:
        eur = row.get("eur_per_year")
        return TEXTS["value"][lang].format(
            loss=lab.loss(row["loss"]),
            a=lab.group(row["a"]),
            b=lab.group(row["b"]),
            share_a=_pct(row["share_a"], lang),
            share_b=_pct(row["share_b"], lang),
            diff=_num(row["diff"] * 100, lang, 0, sign=True),
            low=_num(row["ci"][0] * 100, lang, 0, sign=True),
            high=_num(row["ci"][1] * 100, lang, 0, sign=True),
            eur=TEXTS["value_eur"][lang].format(eur=_eur(eur, lang)) if eur else "",
        )

    refs = {k: row.get(k) for k in ("loss", "a", "b", "share_a", "share_b", "diff", "ci", "eur_per_year")}
    return {"kind": "value", "text": _both(write, labels), "refs": {**refs, "page": PAGES["value"]}}


def _trend(doc: Mapping[str, Any], labels: Mapping[str, Labels]) -> dict[str, Any] | None:
    trend = doc.get("trend") or {}
    rows = [
        r
        for r in trend.get("dimensions") or []
        if _shown(r, "change", "p_adj", "mean_before", "mean_after") and r["p_adj"] < SIGNIFICANT and None not in r["ci"]
    ]
    if not rows:
        return None
    row = max(rows, key=lambda r: abs(r["change"]))

    def write(lang: str, lab: Labels) -> str:
        return TEXTS["trend"][lang].format(
            wave=trend["earlier_wave"],
            group=TEXTS["trend_group"][lang].format(group=lab.group(row["group"])) if lang == "en" else lab.group(row["group"]),
            direction=TEXTS["rose" if row["change"] > 0 else "fell"][lang],
            unit=lab.dimension(row["dimension"]),
            size=_num(abs(row["change"]), lang),
            before=_num(row["mean_before"], lang),
            after=_num(row["mean_after"], lang),
            low=_num(row["ci"][0], lang, sign=True),
            high=_num(row["ci"][1], lang, sign=True),
        )

    refs = {k: row.get(k) for k in ("dimension", "group", "change", "ci", "p_adj", "mean_before", "mean_after", "n_before", "n_after")}
    return {"kind": "trend", "text": _both(write, labels), "refs": {**refs, "earlier_wave": trend["earlier_wave"], "page": PAGES["trend"]}}


def _reliability(doc: Mapping[str, Any], labels: Mapping[str, Labels]) -> dict[str, Any] | None:
    low = {d: e["alpha"] for d, e in (doc.get("dimensions") or {}).items() if e.get("alpha") is not None and e["alpha"] < 0.7}
    if not low:
        return None

    def write(lang: str, lab: Labels) -> str:
        listed = ", ".join(f"{lab.dimension(d)} (α = {_num(a, lang)})" for d, a in low.items())
        return TEXTS["reliability"][lang].format(list=listed)

    return {"kind": "reliability", "text": _both(write, labels), "refs": {"alpha": low, "page": PAGES["reliability"]}}


def findings(doc: Mapping[str, Any], instrument: Instrument) -> list[dict[str, Any]]:
    """The findings of a summary document, most important first (see the module's ranking), at most MAX_FINDINGS."""
    labels = {lang: Labels(instrument, lang) for lang in LANGUAGES}
    gaps = _gap_findings(doc, labels)
    ordered = [
        gaps[0] if gaps else None,
        _blind_spot(doc, labels),
        _split(doc, labels),
        _coherence(doc, labels),
        _value(doc, labels),
        _trend(doc, labels),
        _reliability(doc, labels),
    ]
    chosen = [f for f in ordered if f is not None]
    if len(chosen) < MAX_FINDINGS and len(gaps) > 1:
        chosen.insert(1, gaps[1])
    return chosen[:MAX_FINDINGS]
