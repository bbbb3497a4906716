"""Realistic synthetic campaigns with known boardroom-vs-shop-floor gaps, for demos, tests and benchmarks."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping

import duckdb
import numpy as np
import pandas as pd

from survey.campaigns import Campaign, create_campaign, get_campaign, start_wave
from survey.instrument import Instrument, default_instrument
from survey.responses import insert_frames
from survey.schemas import ResponseFrames, empty_ratings
from survey.store import transaction

LEVEL_SHARES = {
    "board": 0.03,
    "senior_management": 0.06,
    "middle_management": 0.11,
    "supervisor": 0.12,
    "shop_floor": 0.52,
    "specialist": 0.16,
}
# How each level sees each dimension, on a 0..1 position within the scale. The board-vs-shop-floor
# gap is built in on purpose and differs by dimension: wide on strategy and governance, narrow on IT/OT.
LEVEL_VIEW = {
    "board": {"strategy": 0.80, "operations": 0.66, "governance": 0.78, "leadership": 0.76, "it_ot": 0.58},
    "senior_management": {"strategy": 0.72, "operations": 0.62, "governance": 0.68, "leadership": 0.70, "it_ot": 0.55},
    "middle_management": {"strategy": 0.60, "operations": 0.58, "governance": 0.55, "leadership": 0.60, "it_ot": 0.52},
    "supervisor": {"strategy": 0.50, "operations": 0.55, "governance": 0.45, "leadership": 0.52, "it_ot": 0.50},
    "shop_floor": {"strategy": 0.38, "operations": 0.50, "governance": 0.34, "leadership": 0.42, "it_ot": 0.48},
    "specialist": {"strategy": 0.52, "operations": 0.54, "governance": 0.48, "leadership": 0.55, "it_ot": 0.40},
}
# "I see this being acted on" in a pulse: the board sees its own actions more than the shop floor does.
FOLLOW_THROUGH_VIEW = {"board": 0.78, "senior_management": 0.72, "middle_management": 0.62, "supervisor": 0.55, "shop_floor": 0.48}
for _level, _view in FOLLOW_THROUGH_VIEW.items():
    LEVEL_VIEW[_level]["follow_through"] = _view
# The closing-the-loop demo (waves >= 3): actions on the two widest gaps after wave 1, a pulse of their items in
# wave 2, a full follow-up in wave 3. Built-in truth, in scale points: targeted board − shop-floor gaps shrink by
# TARGETED_SHRINK from wave 1 to wave 3 (half of it by the pulse), untargeted ones by UNTARGETED_SHRINK.
LOOP_TARGETS = ("strategy", "governance")
TARGETED_SHRINK = 0.5
UNTARGETED_SHRINK = 0.05
FUNCTION_BY_LEVEL = {
    "board": {"production": 0.3, "supply_chain": 0.15, "it": 0.15, "engineering": 0.15, "support": 0.25},
    "shop_floor": {"production": 0.7, "maintenance": 0.15, "quality": 0.08, "supply_chain": 0.07},
    "specialist": {"engineering": 0.3, "it": 0.2, "ot_automation": 0.2, "quality": 0.15, "maintenance": 0.15},
}
# Meta-perception built in: how far each level's prediction of another level's mean dimension score lies from that level's
# actual mean, in scale points (times the wave's gap scale). The board over-estimates the shop floor's strategy and
# governance by 1.2 (the seed's "clear in the boardroom, not on the line"); the shop floor predicts the board without bias.
PREDICTION_BIAS = {
    "shop_floor": {
        "board": {"strategy": 1.2, "operations": 0.2, "governance": 1.2, "leadership": 0.5, "it_ot": 0.0},
        "senior_management": {"strategy": 0.9, "operations": 0.2, "governance": 0.9, "leadership": 0.4, "it_ot": 0.0},
        "middle_management": {"strategy": 0.4, "operations": 0.1, "governance": 0.4, "leadership": 0.2, "it_ot": 0.0},
        "specialist": {"strategy": 0.3, "governance": 0.3},
    },
    "board": {"middle_management": {"strategy": -0.2, "governance": -0.2}},
}
PREDICTION_NOISE = 0.45
# Ambition built in: target minus the respondent's own current score, in scale points, by level and dimension.
AMBITION = {"board": 0.6, "senior_management": 0.8, "middle_management": 1.0, "supervisor": 1.0, "shop_floor": 1.2, "specialist": 1.1}
AMBITION_BY_DIMENSION = {"strategy": 0.2, "operations": 0.0, "governance": 0.1, "leadership": -0.1, "it_ot": 0.3}
SITE_SHARES = {"eindhoven": 0.5, "venlo": 0.35, "gent": 0.15}
SITE_SHIFT = {"eindhoven": 0.03, "venlo": -0.05, "gent": 0.0}
COMMENTS = {
    "strategy": {
        "en": ["Nobody told us which losses the new systems are meant to fix.", "The roadmap is clear in the boardroom, not on the line."],
        "nl": [
            "Niemand heeft uitgelegd welk verlies de nieuwe systemen moeten oplossen.",
            "De plannen zijn mooi, maar wij zien er weinig van.",
        ],
    },
    "operations": {
        "en": ["The dashboards are there but the morning meeting is still the same.", "Planning changes three times a shift."],
        "nl": ["De dashboards hangen er, maar het ochtendoverleg is hetzelfde gebleven.", "De planning verandert drie keer per dienst."],
    },
    "governance": {
        "en": ["Pilots start everywhere; nobody decides which one becomes the standard.", "Who owns the data from the machines?"],
        "nl": ["Overal starten pilots, niemand beslist welke de standaard wordt.", "Wie is eigenaar van de machinedata?"],
    },
    "leadership": {
        "en": ["Managers ask for data but do not come to the floor to see.", "Our plant manager really makes time for this."],
        "nl": ["Leidinggevenden vragen om cijfers maar komen niet kijken op de vloer.", "Onze plantmanager maakt hier echt tijd voor."],
    },
    "it_ot": {
        "en": ["IT and the automation team still work in separate worlds.", "Tickets for the MES take weeks."],
        "nl": ["IT en de automatiseerders werken nog steeds langs elkaar heen.", "Een melding over het MES duurt weken."],
    },
}


def _pick(rng: np.random.Generator, shares: dict[str, float], n: int, allowed: list[str]) -> np.ndarray:
    keys = [k for k in shares if k in allowed] or list(allowed)
    p = np.array([shares.get(k, 0.0) for k in keys], dtype=float)
    p = p / p.sum() if p.sum() > 0 else np.full(len(keys), 1 / len(keys))
    return rng.choice(keys, size=n, p=p)


# A split built in on purpose: on this statement the shop floor falls into two camps (van der Eijk's A < 0),
# not a lukewarm middle. The half with the more favourable view of the dimension answers at the favourable end,
# the other half at the other end, one in five a point inwards; drawn from a generator of its own, so every
# other answer stays as it was.
SPLITS = {"OPS4": "shop_floor"}
SPLIT_INWARD = 0.2


def _split_answers(value: np.ndarray, camp: np.ndarray, latent: np.ndarray, reverse: bool, lo: int, hi: int, seed: int) -> np.ndarray:
    """Answers of the split camp moved to the ends of the scale by their view (see SPLITS); others unchanged."""
    if not camp.any() or hi - lo < 4:
        return value
    favourable = latent > np.median(latent[camp])
    if reverse:
        favourable = ~favourable
    inward = np.where(favourable, -1, 1) * (np.random.default_rng(seed + 10_007).random(len(value)) < SPLIT_INWARD)
    return np.where(camp, np.where(favourable, hi, lo) + inward, value)


def synthetic_frames(
    instrument: Instrument, campaign_id: str, wave: int, n: int, seed: int = 7, gap_scale: float | Mapping[str, float] = 1.0
) -> ResponseFrames:
    """N respondents drawn from the model above, in storage's long form (vectorised, no per-respondent loop).

    `gap_scale` shrinks every level's view towards the middle, for all dimensions or per dimension id.
    """
    rng = np.random.default_rng(seed)
    attrs = instrument.attributes
    level_opts = list(attrs["level"].options) if "level" in attrs else []
    levels = _pick(rng, LEVEL_SHARES, n, level_opts) if level_opts else np.array([""] * n)
    columns: dict[str, np.ndarray] = {"level": levels} if level_opts else {}
    for attr_id, attr in attrs.items():
        if attr_id == "level":
            continue
        options = list(attr.options)
        if attr_id == "function":
            values = np.empty(n, dtype=object)
            for lvl in np.unique(levels):
                mask = levels == lvl
                values[mask] = _pick(rng, FUNCTION_BY_LEVEL.get(str(lvl), {o: 1.0 for o in options}), int(mask.sum()), options)
            columns[attr_id] = values
        elif attr_id == "site":
            columns[attr_id] = _pick(rng, SITE_SHARES, n, options)
        else:
            columns[attr_id] = rng.choice(options, size=n)
    rids = np.array([uuid.uuid4().hex for _ in range(n)])  # ids never repeat across runs, whatever the seed
    lang = rng.choice(list(instrument.languages), size=n, p=None)
    lo, hi = instrument.scale.min, instrument.scale.max
    span = hi - lo
    person = rng.normal(0, 0.08, size=n)
    site_shift = np.array([SITE_SHIFT.get(str(s), 0.0) for s in columns.get("site", np.array([""] * n))])
    answer_cols = []
    scores: dict[str, np.ndarray] = {}
    for dim in instrument.dimensions:
        view = np.array([LEVEL_VIEW.get(str(lv), {}).get(dim.id, 0.55) for lv in levels])
        scale = gap_scale.get(dim.id, 1.0) if isinstance(gap_scale, Mapping) else gap_scale
        view = 0.55 + (view - 0.55) * scale
        latent = view + person + site_shift + rng.normal(0, 0.07, size=n)
        dk_rate = np.where(np.isin(levels, ["shop_floor", "supervisor"]) & (dim.id in ("strategy", "governance")), 0.08, 0.03)
        total, answered = np.zeros(n), np.zeros(n)
        for item in dim.items:
            raw = lo + span * (latent + rng.normal(0, 0.12, size=n))
            value = np.clip(np.rint(raw), lo, hi).astype("int64")
            if item.reverse:
                value = lo + hi - value
            value = _split_answers(value, levels == SPLITS.get(item.id, ""), latent, item.reverse, lo, hi, seed)
            dk = rng.random(n) < dk_rate
            scored = value if not item.reverse else lo + hi - value
            total += np.where(dk, 0, scored)
            answered += ~dk
            col = pd.array(value, dtype="Int16")
            col[dk] = pd.NA
            answer_cols.append(pd.DataFrame({"response_id": rids, "item_id": item.id, "value": col}))
        # The respondent's dimension score as the engine computes it (mean of answered items when at least half were answered).
        scores[dim.id] = np.where(2 * answered >= len(dim.items), total / np.maximum(answered, 1), np.nan)
    today = pd.Timestamp(dt.date.today())
    days_back = rng.integers(0, 21, size=n)
    responses = pd.DataFrame(
        {
            "response_id": rids,
            "campaign_id": campaign_id,
            "wave": np.int64(wave),
            "submitted_on": (today - pd.to_timedelta(days_back + (wave == 1) * 0, unit="D")).astype("datetime64[ns]"),
            "language": lang,
            "source": "demo",
            "submission_key": pd.Series([None] * n, dtype=object),
            "import_id": pd.Series([None] * n, dtype=object),
        }
    )
    attributes = pd.concat(
        [pd.DataFrame({"response_id": rids, "attribute": a, "value": v.astype(str)}) for a, v in columns.items()], ignore_index=True
    )
    comment_rows = []
    for dim in instrument.dimensions:
        pool = COMMENTS.get(dim.id)
        chosen = rng.random(n) < 0.12
        for i in np.flatnonzero(chosen):
            language = str(lang[i])
            texts = (pool or {}).get(language) or [f"{dim.label.get(language, dim.id)}: more attention needed."]
            comment_rows.append((rids[i], dim.id, language, texts[int(rng.integers(len(texts)))]))
    losses = list(instrument.value_at_stake.losses) if instrument.value_at_stake else []
    loss_rows = []
    if losses:
        board_like = np.isin(levels, ["board", "senior_management"])
        top_weights = np.linspace(2.0, 0.5, len(losses))
        floor_weights = top_weights[::-1].copy()
        for i in range(n):
            w = top_weights if board_like[i] else floor_weights
            k = int(rng.integers(1, min(3, len(losses)) + 1))
            for loss in rng.choice(losses, size=k, replace=False, p=w / w.sum()):
                loss_rows.append((rids[i], str(loss)))
    ratings = _ratings(instrument, rng, rids, levels, scores, gap_scale)
    return ResponseFrames(
        responses=responses,
        attributes=attributes,
        answers=pd.concat(answer_cols, ignore_index=True),
        comments=pd.DataFrame(comment_rows, columns=["response_id", "dimension", "language", "text"]),
        value_choices=pd.DataFrame(loss_rows, columns=["response_id", "loss"]),
        ratings=ratings,
    )


def _ratings(
    instrument: Instrument,
    rng: np.random.Generator,
    rids: np.ndarray,
    levels: np.ndarray,
    scores: dict[str, np.ndarray],
    gap_scale: float | Mapping[str, float],
) -> pd.DataFrame:
    """Targets and predictions around the wave's own numbers, so the built-in blind spots and ambition hold in every sample.

    A prediction of level M is drawn around M's actual mean score in this wave plus the predicting level's bias
    (PREDICTION_BIAS), a target around the respondent's own score plus their level's ambition; both rounded to
    the scale, with a few don't-knows (no row).
    """
    lo, hi = instrument.scale.min, instrument.scale.max
    n = len(rids)
    frames = [empty_ratings()]

    def rounded(center: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(center + rng.normal(0, PREDICTION_NOISE, size=len(center))), lo, hi).astype("int64")

    def rows(mask: np.ndarray, kind: str, about: str | None, dim_id: str, values: np.ndarray) -> pd.DataFrame:
        keep = mask & (rng.random(n) >= 0.05)
        return pd.DataFrame(
            {
                "response_id": rids[keep],
                "kind": kind,
                "about": pd.Series([about] * int(keep.sum()), dtype=object),
                "dimension": dim_id,
                "value": pd.array(values[keep], dtype="Int16"),
            }
        )

    if instrument.targets is not None:
        for dim_id in instrument.targets.questions:
            view = np.array([LEVEL_VIEW.get(str(lv), {}).get(dim_id, 0.55) for lv in levels])
            current = np.where(np.isnan(scores[dim_id]), lo + (hi - lo) * view, scores[dim_id])
            ambition = np.array([AMBITION.get(str(lv), 0.9) for lv in levels]) + AMBITION_BY_DIMENSION.get(dim_id, 0.0)
            frames.append(rows(np.ones(n, dtype=bool), "target", None, dim_id, rounded(current + ambition)))
    meta = instrument.meta_perception
    if meta is not None and meta.attribute == "level":
        for about, questions in meta.questions.items():
            of_about = levels == about
            for dim_id in questions:
                actual = scores[dim_id][of_about & ~np.isnan(scores[dim_id])]
                center = float(actual.mean()) if len(actual) else lo + (hi - lo) * LEVEL_VIEW.get(about, {}).get(dim_id, 0.55)
                scale = gap_scale.get(dim_id, 1.0) if isinstance(gap_scale, Mapping) else gap_scale  # per dimension in a closing loop
                bias = np.array([PREDICTION_BIAS.get(about, {}).get(str(lv), {}).get(dim_id, 0.0) for lv in levels]) * scale
                frames.append(rows(~of_about, "prediction", about, dim_id, rounded(center + bias)))
    return pd.concat(frames, ignore_index=True).astype({"value": "Int16", "about": object})


DEMO_ESTIMATES = {
    "unplanned_downtime": 1_400_000,
    "quality_scrap_rework": 900_000,
    "planning_instability": 650_000,
    "inventory_working_capital": 500_000,
}
EXPECTED_RESPONSE_RATE = 0.6


def demo_headcounts(respondents: int) -> dict[str, int]:
    """Headcount per level for a demo of this size: as if about 60% of each level answered."""
    return {level: max(3, round(share * respondents / EXPECTED_RESPONSE_RATE)) for level, share in LEVEL_SHARES.items()}


def load_demo(
    con: duckdb.DuckDBPyConnection,
    respondents: int,
    seed: int = 7,
    waves: int = 1,
    campaign_id: str = "demo",
    instrument: Instrument | None = None,
) -> Campaign:
    """Create (or add to) the demo campaign: wave 1 has the widest gaps, each later wave closes them a little."""
    instrument = instrument or default_instrument()
    exists = con.execute("SELECT 1 FROM campaigns WHERE campaign_id = ?", [campaign_id]).fetchone()
    if not exists:
        create_campaign(con, "Demo: Industry 4.0 coherence scan", instrument, campaign_id=campaign_id)
        with transaction(con):
            for loss, eur in DEMO_ESTIMATES.items():
                if instrument.value_at_stake and loss in instrument.value_at_stake.losses:
                    con.execute("INSERT INTO value_estimates VALUES (?, ?, ?)", [campaign_id, loss, float(eur)])
            if "level" in instrument.attributes:
                for option, count in demo_headcounts(respondents).items():
                    if option in instrument.attributes["level"].options:
                        con.execute("INSERT INTO headcounts VALUES (?, 'level', ?, ?)", [campaign_id, option, count])
    if waves >= 3 and not exists:
        _load_loop(con, campaign_id, instrument, respondents, seed, waves)
        return get_campaign(con, campaign_id)
    for w in range(waves):
        first = w == 0 and not exists
        wave_no = 1 if first else start_wave(con, campaign_id, "Follow-up" if w == 1 else f"Follow-up {w}").wave
        frames = synthetic_frames(instrument, campaign_id, wave_no, respondents, seed=seed + w, gap_scale=1.0 - 0.25 * (wave_no - 1))
        with transaction(con):
            insert_frames(con, frames, instrument)
    return get_campaign(con, campaign_id)


def shrink_scales(instrument: Instrument, shrink: Mapping[str, float]) -> dict[str, float]:
    """The `gap_scale` per dimension that narrows the modelled board − shop-floor gap by `shrink[dim]` scale points."""
    span = instrument.scale.max - instrument.scale.min
    board, floor = LEVEL_VIEW["board"], LEVEL_VIEW["shop_floor"]
    return {d: 1.0 - points / (span * (board[d] - floor[d])) for d, points in shrink.items() if board.get(d, 0) != floor.get(d, 0)}


def _load_loop(con: duckdb.DuckDBPyConnection, campaign_id: str, instrument: Instrument, n: int, seed: int, waves: int) -> None:
    """Wave 1 baseline; two actions on the widest gaps; wave 2 a pulse of their items; wave 3 (and later) full follow-ups.

    Wave 3 is drawn with wave 1's seed (the same panel, answering again), so the change between them
    is the built-in one and not sampling noise: what the closure in the summary must give back.
    """
    from survey.actions import action_from, add_action, set_published  # imported here: actions build on campaigns and this module
    from survey.actions.pulse import start_pulse

    targets = [d for d in LOOP_TARGETS if d in instrument.dimension_ids]
    others = [d for d in instrument.dimension_ids if d not in targets]
    with transaction(con):
        insert_frames(con, synthetic_frames(instrument, campaign_id, 1, n, seed=seed), instrument)
    plans = {
        "strategy": ("Show each line which losses the roadmap attacks", "Plant manager", "unplanned_downtime", 1_400_000.0, "OEE"),
        "governance": ("One owner per pilot, with a scale-or-stop date", "COO office", "quality_scrap_rework", 900_000.0, "Scrap rate"),
    }
    ids = []
    for d in targets:
        title, owner, loss, eur, kpi = plans.get(d, (f"Close the gap on {d}", "Transformation lead", None, None, None))
        losses = instrument.value_at_stake.losses if instrument.value_at_stake else {}
        action = action_from(
            {"kind": "dimension", "id": d, "a": "level=board", "b": "level=shop_floor"},
            wave=1,
            title=title,
            owner=owner,
            due_on=dt.date.today() + dt.timedelta(days=90),
            loss=loss if loss in losses else None,
            eur_per_year=eur if loss in losses else None,
            kpi=kpi,
        )
        ids.append(add_action(con, campaign_id, {**action, "status": "in_progress"}, actor="demo"))
    if ids:
        set_published(con, campaign_id, ids[0], True, actor="demo")
    pulse_wave, pulse = start_pulse(con, campaign_id, 1, ids, actor="demo", label="Pulse") if ids else (None, None)
    half = shrink_scales(instrument, {d: TARGETED_SHRINK / 2 for d in targets})
    if pulse_wave is not None and pulse is not None:
        with transaction(con):
            insert_frames(con, synthetic_frames(pulse, campaign_id, pulse_wave.wave, n, seed=seed + 1, gap_scale=half), pulse)
    full = shrink_scales(instrument, {**{d: TARGETED_SHRINK for d in targets}, **{d: UNTARGETED_SHRINK for d in others}})
    for w in range(3 if ids else 2, waves + 1):
        wave_no = start_wave(con, campaign_id, "Follow-up" if w == 3 else f"Follow-up {w - 2}").wave
        with transaction(con):
            insert_frames(con, synthetic_frames(instrument, campaign_id, wave_no, n, seed=seed, gap_scale=full), instrument)
