"""Benchmark data: a campaign of any size generated in DuckDB SQL straight into the storage tables.

The model follows `survey.demo` (level shares, each level's view of each dimension, site shifts,
don't-know rates, comments, loss choices) but every row is produced by set-based SQL, so a million
respondents x 30 items is a few INSERT ... SELECT statements rather than a million Python objects.
Randomness comes from hashing (seed, respondent, item), so the same seed gives the same answers on
every machine and thread count.
"""

from __future__ import annotations

import duckdb

from survey.campaigns import create_campaign
from survey.demo import FUNCTION_BY_LEVEL, LEVEL_SHARES, LEVEL_VIEW, SITE_SHARES, SITE_SHIFT
from survey.instrument import Instrument, default_instrument
from survey.store import transaction


def _u(*parts: str) -> str:
    """A uniform number in [0, 1) from a hash of the parts: reproducible whatever DuckDB's thread count."""
    return f"(hash({', '.join(parts)}) % 1000000007) / 1000000007.0"


def _normal(*parts: str) -> str:
    """A standard normal draw by Box–Muller from two hashed uniforms."""
    first, second = _u(*parts, "'a'"), _u(*parts, "'b'")
    return f"(sqrt(-2 * ln(1 - {first})) * cos(2 * pi() * {second}))"


def _pick(options: dict[str, float], draw: str) -> str:
    """CASE expression picking an option by cumulative share for a uniform draw."""
    total = sum(options.values())
    cases, acc = [], 0.0
    names = list(options)
    for name in names[:-1]:
        acc += options[name] / total
        cases.append(f"WHEN {draw} < {acc!r} THEN '{name}'")
    return f"CASE {' '.join(cases)} ELSE '{names[-1]}' END"


def _function_sql(instrument: Instrument) -> str:
    options = list(instrument.attributes["function"].options)
    draw = _u("seed", "i", "'function'")
    cases = []
    for level, shares in FUNCTION_BY_LEVEL.items():
        allowed = {k: v for k, v in shares.items() if k in options} or {o: 1.0 for o in options}
        cases.append(f"WHEN level = '{level}' THEN {_pick(allowed, draw)}")
    return f"CASE {' '.join(cases)} ELSE {_pick({o: 1.0 for o in options}, draw)} END"


def generate(
    con: duckdb.DuckDBPyConnection, respondents: int, instrument: Instrument | None = None, seed: int = 7, campaign_id: str = "bench"
) -> Instrument:
    """Create campaign `campaign_id` (wave 1) and fill it with `respondents` synthetic responses."""
    instrument = instrument or default_instrument()
    create_campaign(con, "Benchmark campaign", instrument, campaign_id=campaign_id)
    lo, hi = instrument.scale.min, instrument.scale.max
    level_view = ", ".join(
        f"('{level}', '{dim}', {view.get(dim, 0.55)})" for level, view in LEVEL_VIEW.items() for dim in instrument.dimension_ids
    )
    site_shift = " ".join(f"WHEN '{s}' THEN {v}" for s, v in SITE_SHIFT.items())
    items = ", ".join(f"('{item.id}', '{dim.id}', {str(item.reverse).lower()})" for dim in instrument.dimensions for item in dim.items)
    losses = list(instrument.value_at_stake.losses) if instrument.value_at_stake else []
    languages = list(instrument.languages)
    con.execute("SET preserve_insertion_order = false")
    with transaction(con):
        con.execute(
            f"""
            CREATE TEMP TABLE bench_people AS
            WITH base AS (
                SELECT i, $seed AS seed, md5(concat($seed, '-', $campaign, '-', i)) AS response_id FROM range($n) t(i)
            ), lv AS (
                SELECT *, {_pick(LEVEL_SHARES, _u("seed", "i", "'level'"))} AS level FROM base
            )
            SELECT i, seed, response_id, level, {_function_sql(instrument)} AS function,
                   {_pick(SITE_SHARES, _u("seed", "i", "'site'"))} AS site,
                   '{languages[0]}' AS lang0,
                   {_u("seed", "i", "'lang'")} AS lang_draw,
                   0.08 * {_normal("seed", "i", "'person'")} AS person
            FROM lv
            """,
            {"seed": seed, "campaign": campaign_id, "n": respondents},
        )
        lang_expr = _pick({code: 1.0 for code in languages}, "lang_draw")
        con.execute(
            f"""
            INSERT INTO responses (response_id, campaign_id, wave, submitted_on, language, source, submission_key, import_id)
            SELECT response_id, $campaign, 1, current_date - CAST(floor({_u("seed", "i", "'day'")} * 21) AS INTEGER),
                   {lang_expr}, 'demo', NULL, NULL
            FROM bench_people
            """,
            {"campaign": campaign_id},
        )
        con.execute(
            """
            INSERT INTO response_attributes
            SELECT response_id, 'level', level FROM bench_people
            UNION ALL SELECT response_id, 'function', function FROM bench_people
            UNION ALL SELECT response_id, 'site', site FROM bench_people
            """
        )
        con.execute(
            f"""
            INSERT INTO answers (response_id, item_id, value)
            WITH views(level, dimension, view) AS (VALUES {level_view}),
                 items(item_id, dimension, reverse) AS (VALUES {items}),
                 latent AS (
                    SELECT p.i, p.seed, p.response_id, p.level, v.dimension,
                           v.view + p.person + (CASE p.site {site_shift} ELSE 0 END) + 0.07 * {_normal("p.seed", "p.i", "v.dimension")} AS latent
                    FROM bench_people p JOIN views v ON v.level = p.level
                 ),
                 raw AS (
                    SELECT l.response_id, it.item_id, it.reverse, l.level, l.dimension,
                           least({hi}, greatest({lo}, round({lo} + {hi - lo} * (l.latent + 0.12 * {_normal("l.seed", "l.i", "it.item_id")})))) AS v,
                           {_u("l.seed", "l.i", "it.item_id", "'dk'")} AS dk_draw
                    FROM latent l JOIN items it ON it.dimension = l.dimension
                 )
            SELECT response_id, item_id,
                   CASE WHEN dk_draw < (CASE WHEN level IN ('shop_floor', 'supervisor') AND dimension IN ('strategy', 'governance')
                                             THEN 0.08 ELSE 0.03 END) THEN NULL
                        WHEN reverse THEN CAST({lo + hi} - v AS SMALLINT) ELSE CAST(v AS SMALLINT) END
            FROM raw
            """
        )
        dims = ", ".join(f"('{d}')" for d in instrument.dimension_ids)
        con.execute(
            f"""
            INSERT INTO comments
            SELECT r.response_id, d.dim, r.language, 'More attention needed on ' || d.dim || '.'
            FROM responses r JOIN bench_people p USING (response_id), (VALUES {dims}) d(dim)
            WHERE r.campaign_id = $campaign AND {_u("p.seed", "p.i", "d.dim", "'comment'")} < 0.12
            """,
            {"campaign": campaign_id},
        )
        if losses:
            weights = ", ".join(f"('{loss}', {w})" for w, loss in enumerate(losses))
            top = len(losses) - 1
            con.execute(
                f"""
                INSERT INTO value_choices
                SELECT p.response_id, w.loss FROM bench_people p, (VALUES {weights}) w(loss, pos)
                WHERE {_u("p.seed", "p.i", "w.loss", "'loss'")} <
                      0.05 + 0.4 * (CASE WHEN p.level IN ('board', 'senior_management') THEN {top} - w.pos ELSE w.pos END) / {max(top, 1)}
                """
            )
        _ratings(con, instrument)
        con.execute("DROP TABLE bench_people")
    return instrument


def _ratings(con: duckdb.DuckDBPyConnection, instrument: Instrument) -> None:
    """Targets (one per dimension) and predictions (about every reference level but one's own), 5% left as don't know."""
    lo, hi = instrument.scale.min, instrument.scale.max
    targets = list(instrument.targets.questions) if instrument.targets else []
    if targets:
        dims = ", ".join(f"('{d}')" for d in targets)
        con.execute(
            f"""
            INSERT INTO dimension_ratings
            SELECT p.response_id, 'target', NULL, d.dim, CAST(least({hi}, greatest({lo}, round({hi - 1} + {_normal("p.seed", "p.i", "d.dim", "'t'")}))) AS SMALLINT)
            FROM bench_people p, (VALUES {dims}) d(dim) WHERE {_u("p.seed", "p.i", "d.dim", "'tdk'")} >= 0.05
            """
        )
    meta = instrument.meta_perception
    if meta is not None and meta.attribute == "level":
        pairs = ", ".join(f"('{about}', '{d}')" for about, questions in meta.questions.items() for d in questions)
        con.execute(
            f"""
            INSERT INTO dimension_ratings
            SELECT p.response_id, 'prediction', q.about, q.dim,
                   CAST(least({hi}, greatest({lo}, round({(lo + hi) / 2} + {_normal("p.seed", "p.i", "q.about", "q.dim")}))) AS SMALLINT)
            FROM bench_people p, (VALUES {pairs}) q(about, dim)
            WHERE p.level <> q.about AND {_u("p.seed", "p.i", "q.about", "q.dim", "'pdk'")} >= 0.05
            """
        )
