"""The benchmark of issue 7: aggregation (engine vs pandas), submissions, a dashboard page, exports, and the live server.

    python bench/run.py [--respondents 100000] [--items 30] [--quick] [--scaling] [--load] [--reps 5]

Prints progress as it goes and, as its last line, one JSON object with every figure (null plus a
`*_reason` where something was not measured). Timings are medians of `--reps` runs measured in
this process on a temporary DuckDB file filled by `bench.data` (set-based SQL, no Python loop per
respondent). Targets come from PRODUCT.md; `targets` in the JSON says which were met on this run.

aggregate_ms is `analysis.engine.summary` (every number the dashboard shows: dimension and item
statistics of every group, gaps with CIs and p-values, agreement, alpha, suppression, the coherence
index, split opinions (van der Eijk's A of every item and shown group) and the written findings) in a process
that has nothing in memory, with the database as the app leaves it: the wave's cell statistics
stored by an earlier read and current (a restarted server's first view; see analysis.stored_cells).
aggregate_full_read_ms is the same with no stored cells either: every response of the wave read and
aggregated from the long tables (the first view ever of data written by bulk SQL, as here, or after
a deletion), the cells then stored. aggregate_new_response_ms is the same call right after one more response was submitted to the wave
(the live case: the cells read before plus the new response, see analysis.scoring); aggregate_warm_ms
is the same call with nothing new. pandas_ms computes the same document
from a long categorical DataFrame of the same answers (bench.baseline), and the two results are
checked equal within 1e-9 in every run. open_check_ms is the check a database file gets as it opens
(survey.integrity: do the rows of every response agree across tables?) on the same data.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.baseline import differences, load_long, pandas_summary  # noqa: E402
from bench.data import generate  # noqa: E402
from harness.instruments import sized_instrument  # noqa: E402
from survey.instrument import Instrument  # noqa: E402
from survey.store import Database  # noqa: E402

CAMPAIGN = "bench"
SCALING = (1_000, 10_000, 100_000, 1_000_000)
EXPORT_FORMATS = ("csv", "parquet", "xlsx", "html", "pptx", "png")
QUICK_EXPORTS = ("csv", "parquet", "xlsx", "html")
DASHBOARD_PAGES = ("pages/2_overview.py", "pages/3_gaps.py", "pages/4_items.py")
TARGETS = {
    "aggregate_ms_100k": 250.0,
    "aggregate_ms_1m": 2000.0,
    "speedup": 3.0,
    "section_p99_ms": 1000.0,
    "submit_rt_p99_ms": 1000.0,
    "capacity_sessions": 400,
    "page_ms": 300.0,
    "export_s": 10.0,
}


def say(text: str) -> None:
    print(text, flush=True)


def median_ms(fn: Callable[[], Any], reps: int, before: Callable[[], None] | None = None) -> tuple[float, Any]:
    """Median wall time of `reps` calls in ms (with `before` run untimed ahead of each) and the last result."""
    times, result = [], None
    for _ in range(max(1, reps)):
        if before is not None:
            before()
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1), result


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, min(len(ordered), -(-int(q * len(ordered)) // 100))) - 1]


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def fresh_database(workdir: Path, name: str) -> Database:
    return Database(workdir / f"{name}.duckdb", linger_s=0)


# --- aggregation ------------------------------------------------------------------------------------------------


def aggregate(workdir: Path, respondents: int, instrument: Instrument, reps: int, tag: str = "") -> dict[str, Any]:
    """Generate, then time the engine (cold and warm) and the pandas baseline on the same data, and compare them."""
    from analysis import engine
    from analysis.scope import Scope
    from analysis.scoring import clear_matrices, respondent_matrix
    from survey import integrity
    from survey.store import forget_wave_cells

    database = fresh_database(workdir, f"agg-{respondents}{tag}")
    out: dict[str, Any] = {"respondents": respondents, "items": len(instrument.item_ids)}
    with database.cursor() as con:
        started = time.perf_counter()
        generate(con, respondents, instrument, campaign_id=CAMPAIGN)
        con.execute("CHECKPOINT")
        out["generate_s"] = round(time.perf_counter() - started, 2)
        out["open_check_ms"], _ = median_ms(lambda: integrity.inspect(con), reps)
        scope = Scope(CAMPAIGN)

        def nothing_kept() -> None:
            clear_matrices()
            forget_wave_cells(con)

        out["aggregate_full_read_ms"], engine_doc = median_ms(lambda: engine.summary(con, scope), reps, before=nothing_kept)
        out["aggregate_ms"], stored_doc = median_ms(lambda: engine.summary(con, scope), reps, before=clear_matrices)
        if respondent_matrix(con, CAMPAIGN, 1).read != "stored":
            say("  (the stored cells were not used: aggregate_ms is a full read)")
        out["aggregate_warm_ms"], _ = median_ms(lambda: engine.summary(con, scope), reps)
        started = time.perf_counter()
        long, meta = load_long(con, instrument, CAMPAIGN)
        out["pandas_load_s"] = round(time.perf_counter() - started, 2)
        out["aggregate_new_response_ms"] = new_response_ms(con, instrument, scope, reps)  # after the baseline's copy
    database.close()
    audited = frozenset((c["unit"], c["group"]) for c in engine_doc["suppressed"] if c["reason"] == "combination")
    out["pandas_ms"], pandas_doc = median_ms(lambda: pandas_summary(long, meta, audited), reps)
    problems = differences(engine_doc, pandas_doc) + differences(stored_doc, pandas_doc)
    out["results_equal"] = not problems
    out["mismatches"] = len(problems)
    if problems:
        out["mismatch_samples"] = problems[:5]
    out["suppressed_cells"] = len(engine_doc["suppressed"])
    out["speedup"] = round(out["pandas_ms"] / out["aggregate_ms"], 2) if out["aggregate_ms"] else None
    out["speedup_full_read"] = round(out["pandas_ms"] / out["aggregate_full_read_ms"], 2) if out["aggregate_full_read_ms"] else None
    out["speedup_warm"] = round(out["pandas_ms"] / out["aggregate_warm_ms"], 2) if out["aggregate_warm_ms"] else None
    (workdir / f"agg-{respondents}{tag}.duckdb").unlink(missing_ok=True)
    return out


def new_response_ms(con: Any, instrument: Instrument, scope: Any, reps: int) -> float:
    """Median time of the summary right after one more response was stored (the submit itself not timed)."""
    from analysis import engine
    from analysis.scoring import respondent_matrix
    from survey.responses import submit

    rng = random.Random(11)
    times = []
    for _ in range(reps):
        submit(con, instrument, _submission(instrument, rng, CAMPAIGN))
        started = time.perf_counter()
        engine.summary(con, scope)
        times.append((time.perf_counter() - started) * 1000)
        if respondent_matrix(con, CAMPAIGN, 1).read != "appended":
            say("  (the new response was not added to the cells read before: the whole wave was read again)")
    return round(statistics.median(times), 1)


def scaling(workdir: Path, instrument: Instrument, reps: int, sizes: tuple[int, ...] = SCALING) -> list[dict[str, Any]]:
    rows = []
    say(
        f"\nscaling ({len(instrument.item_ids)} items): respondents, engine full read / stored cells / +1 response / warm ms, pandas ms, speedup, equal"
    )
    for n in sizes:
        row = aggregate(workdir, n, instrument, reps if n < 1_000_000 else max(1, min(reps, 3)), tag="-scaling")
        rows.append(
            {
                k: row[k]
                for k in (
                    "respondents",
                    "aggregate_full_read_ms",
                    "aggregate_ms",
                    "aggregate_new_response_ms",
                    "aggregate_warm_ms",
                    "pandas_ms",
                    "speedup",
                    "results_equal",
                    "generate_s",
                )
            }
        )
        say(
            f"  {n:>9,}  {row['aggregate_full_read_ms']:>9.1f}  {row['aggregate_ms']:>9.1f}  {row['aggregate_new_response_ms']:>9.1f}  {row['aggregate_warm_ms']:>9.1f}  "
            f"{row['pandas_ms']:>9.1f}  "
            f"{row['speedup']:>6}x  {row['results_equal']}  (generated in {row['generate_s']} s)"
        )
    return rows


# --- submissions --------------------------------------------------------------------------------------------------


def _submission(instrument: Instrument, rng: random.Random, campaign_id: str) -> Any:
    from survey.responses import Submission

    vas = instrument.value_at_stake
    return Submission(
        campaign_id=campaign_id,
        wave=1,
        language=rng.choice(list(instrument.languages)),
        attributes={a: rng.choice(list(attr.options)) for a, attr in instrument.attributes.items()},
        answers={
            i: (None if rng.random() < 0.05 else rng.randint(instrument.scale.min, instrument.scale.max)) for i in instrument.item_ids
        },
        comments={d: "Planning changes three times a shift." for d in instrument.dimension_ids if rng.random() < 0.15},
        losses=rng.sample(list(vas.losses), k=rng.randint(1, vas.max_choices)) if vas else (),
        source="web",
        submission_key=uuid.uuid4().hex,
    )


def submissions(workdir: Path, sequential: int, threads: int, per_thread: int) -> dict[str, Any]:
    """survey.responses.submit of complete responses through Database cursors, one after another and from threads."""
    from survey.campaigns import create_campaign
    from survey.instrument import default_instrument
    from survey.responses import response_count, submit

    instrument = default_instrument()
    database = Database(workdir / "submit.duckdb", linger_s=2.0)
    with database.cursor() as con:
        create_campaign(con, "Submit benchmark", instrument, campaign_id="submit")
    rng = random.Random(11)

    def one(sub: Any, into: list[float]) -> None:
        started = time.perf_counter()
        with database.cursor() as con:
            submit(con, instrument, sub, database.writer)
        into.append((time.perf_counter() - started) * 1000)

    warm: list[float] = []
    for _ in range(3):
        one(_submission(instrument, rng, "submit"), warm)
    seq: list[float] = []
    for _ in range(sequential):
        one(_submission(instrument, rng, "submit"), seq)
    par: list[float] = []
    errors: list[str] = []
    batches = [[_submission(instrument, random.Random(t), "submit") for _ in range(per_thread)] for t in range(threads)]

    def worker(batch: list[Any]) -> None:
        for sub in batch:
            try:
                one(sub, par)
            except Exception as exc:  # every failure is reported, none hides the others
                errors.append(f"{type(exc).__name__}: {exc}"[:200])

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(b,)) for b in batches]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    wall = time.perf_counter() - started
    with database.cursor() as con:
        stored = response_count(con, "submit")
    database.close()
    expected = 3 + sequential + threads * per_thread - len(errors)
    return {
        "submit_p50_ms": round(percentile(seq, 50), 2),
        "submit_p99_ms": round(percentile(seq, 99), 2),
        "submit_threads": threads,
        "submit_threads_p50_ms": round(percentile(par, 50), 2) if par else None,
        "submit_threads_p99_ms": round(percentile(par, 99), 2) if par else None,
        "submits_per_s_threads": round(len(par) / wall, 1) if wall else None,
        "submit_errors": len(errors),
        "submit_stored_ok": stored == expected,
    }


# --- a dashboard page -----------------------------------------------------------------------------------------------


def page(workdir: Path, respondents: int, instrument: Instrument, reps: int) -> dict[str, Any]:
    """Server-side time of one dashboard page run through AppTest with warm caches (the survey page until one exists)."""
    from streamlit.testing.v1 import AppTest

    path = next((p for p in DASHBOARD_PAGES if (ROOT / p).exists()), None)
    note = None
    if path is None:
        path, note = "pages/1_survey.py", "no dashboard page exists yet; timed the survey page instead"
    database = fresh_database(workdir, f"page-{respondents}")
    with database.cursor() as con:
        generate(con, respondents, instrument, campaign_id=CAMPAIGN)
    database.close()
    previous = os.environ.get("COHERENCE_DB")
    os.environ["COHERENCE_DB"] = str(database.path)
    try:
        at = AppTest.from_file(str(ROOT / path), default_timeout=120)
        at.session_state["role"] = "facilitator"

        def run() -> None:
            at.run()
            if at.exception:
                raise RuntimeError(f"{path} raised: {[e.value for e in at.exception][:1]}")

        run()  # fills st.cache_data / st.cache_resource and the engine's matrix
        page_ms, _ = median_ms(run, max(3, reps))
    finally:
        if previous is None:
            os.environ.pop("COHERENCE_DB", None)
        else:
            os.environ["COHERENCE_DB"] = previous
    out: dict[str, Any] = {"page_ms": page_ms, "page": path, "page_respondents": respondents}
    if note:
        out["page_note"] = note
    return out


# --- exports --------------------------------------------------------------------------------------------------------


def exports(workdir: Path, respondents: int, instrument: Instrument, only: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Seconds per export format for one campaign, through analysis.export as the Exports page calls it.

    Formats analysis.export does not offer (yet) are null with a reason; new exporters are found by name
    (`export_<format>` or the `export(con, fmt, out, scope)` facade), so this file need not change.
    """
    from analysis import export

    database = fresh_database(workdir, f"export-{respondents}")
    seconds: dict[str, float | None] = {}
    missing: dict[str, str] = {}
    formats = tuple(getattr(export, "FORMATS", EXPORT_FORMATS))
    with database.cursor() as con:
        generate(con, respondents, instrument, campaign_id=CAMPAIGN)
        for fmt in dict.fromkeys((*EXPORT_FORMATS, *formats)):
            if only is not None and fmt not in only:
                seconds[fmt] = None
                missing[fmt] = "skipped in --quick (chart rendering takes tens of seconds)"
                continue
            out = workdir / f"export-{fmt}" / (f"scan.{fmt}" if fmt not in ("png", "svg") else "charts")
            call = _export_call(export, con, instrument, fmt, out)
            if call is None:
                seconds[fmt] = None
                missing[fmt] = "not offered by analysis.export yet"
                continue
            started = time.perf_counter()
            call()
            seconds[fmt] = round(time.perf_counter() - started, 3)
            written = [p for p in out.rglob("*") if p.is_file()] if out.is_dir() else [out] if out.exists() else []
            if not written or not any(p.stat().st_size for p in written):
                raise RuntimeError(f"{fmt} export wrote nothing to {out.name}")
    database.close()
    result: dict[str, Any] = {"export_s": seconds, "export_respondents": respondents}
    if missing:
        result["export_missing"] = missing
    return result


def _export_call(export: Any, con: Any, instrument: Instrument, fmt: str, out: Path) -> Callable[[], Any] | None:
    """How to call analysis.export for a format: the facade when there is one, else the per-format function."""
    from analysis.scope import Scope

    out.parent.mkdir(parents=True, exist_ok=True)
    facade = getattr(export, "export", None)
    if callable(facade) and fmt in getattr(export, "FORMATS", ()):
        options: dict[str, Any] = {"role": "facilitator", "actor": "bench"}
        if fmt in ("csv", "parquet", "xlsx"):  # answer rows (and the workbook's Raw sheet) need a row-level grant
            from survey.grants import machine_grant

            options["grant"] = machine_grant(con, CAMPAIGN, "bench", "benchmark of the row-level exports")
        return lambda: facade(con, fmt, out, Scope(CAMPAIGN), **options)
    if fmt in ("csv", "parquet"):
        return lambda: export.export_long(con, instrument, CAMPAIGN, out, fmt)
    fn = getattr(export, f"export_{fmt}", None)
    return None if fn is None else (lambda: fn(con, Scope(CAMPAIGN), out))


# --- putting it together ----------------------------------------------------------------------------------------------


def targets(result: dict[str, Any]) -> dict[str, bool | None]:
    """Which PRODUCT.md targets this run met (None: not measured in this run)."""

    load_ran = result.get("concurrent_sessions") is not None

    def below(value: Any, limit: float, load: bool = False) -> bool | None:
        if value is None:
            return False if load and load_ran else None  # the load test ran but nothing got through: missed
        return bool(value < limit)

    scaling_rows = {row["respondents"]: row for row in result.get("scaling") or []}

    def at(n: int, key: str) -> Any:
        return result[key] if result["respondents"] == n else scaling_rows.get(n, {}).get(key)

    export_values = [v for v in (result.get("export_s") or {}).values() if v is not None]
    return {
        "aggregate_100k_under_250ms": below(at(100_000, "aggregate_ms"), TARGETS["aggregate_ms_100k"]),
        "aggregate_1m_under_2s": below(at(1_000_000, "aggregate_ms"), TARGETS["aggregate_ms_1m"]),
        "speedup_at_least_3x": None if result.get("speedup") is None else bool(result["speedup"] >= TARGETS["speedup"]),
        "aggregate_full_read_100k_under_250ms": below(at(100_000, "aggregate_full_read_ms"), TARGETS["aggregate_ms_100k"]),
        "aggregate_full_read_1m_under_2s": below(at(1_000_000, "aggregate_full_read_ms"), TARGETS["aggregate_ms_1m"]),
        "speedup_full_read_at_least_3x": None
        if result.get("speedup_full_read") is None
        else bool(result["speedup_full_read"] >= TARGETS["speedup"]),
        "aggregate_new_response_100k_under_250ms": below(at(100_000, "aggregate_new_response_ms"), TARGETS["aggregate_ms_100k"]),
        "aggregate_new_response_1m_under_2s": below(at(1_000_000, "aggregate_new_response_ms"), TARGETS["aggregate_ms_1m"]),
        "aggregate_warm_100k_under_250ms": below(at(100_000, "aggregate_warm_ms"), TARGETS["aggregate_ms_100k"]),
        "aggregate_warm_1m_under_2s": below(at(1_000_000, "aggregate_warm_ms"), TARGETS["aggregate_ms_1m"]),
        "speedup_warm_at_least_3x": None if result.get("speedup_warm") is None else bool(result["speedup_warm"] >= TARGETS["speedup"]),
        "results_equal": result.get("results_equal"),
        "section_p99_under_1s": below(result.get("section_p99_ms"), TARGETS["section_p99_ms"], load=True),
        "submit_rt_p99_under_1s": below(result.get("submit_rt_p99_ms"), TARGETS["submit_rt_p99_ms"], load=True),
        "capacity_at_least_400": None
        if result.get("capacity_sessions") is None
        else bool(result["capacity_sessions"] >= TARGETS["capacity_sessions"]),
        "page_under_300ms": below(result.get("page_ms"), TARGETS["page_ms"]),
        "each_export_under_10s": (all(v < TARGETS["export_s"] for v in export_values) if export_values else None),
    }


LOAD_KEYS = (
    "concurrent_sessions",
    "capacity_sessions",
    "reruns_per_s",
    "section_p50_ms",
    "section_p99_ms",
    "submit_rt_p50_ms",
    "submit_rt_p99_ms",
    "server_rss_mb",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Coherence Scan benchmarks (issue 7). The last line printed is JSON.")
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--reps", type=int, default=5, help="repetitions per timing; the median is reported")
    parser.add_argument("--quick", action="store_true", help="everything tiny, one repetition, no load test: for CI")
    parser.add_argument("--scaling", action="store_true", help="also 1k, 10k, 100k and 1M respondents")
    parser.add_argument("--load", action="store_true", help="also the load test of the live server (bench/load.py)")
    parser.add_argument("--sessions", type=int, default=200, help="load: concurrent respondents of the headline figure")
    parser.add_argument("--think", type=float, default=10.0, help="load: mean think time per section, seconds")
    parser.add_argument("--browsers", type=int, default=2, help="load: real Chromium respondents alongside")
    parser.add_argument("--load-budget", type=float, default=1800.0, help="load: seconds allowed for stepping up capacity")
    parser.add_argument(
        "--load-server-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="load: what-if Streamlit option for the server, e.g. runner.postScriptGC=false (repeatable; reported)",
    )
    parser.add_argument("--export-respondents", type=int, default=10_000)
    parser.add_argument("--page-respondents", type=int, default=None, help="data behind the timed page (default: --respondents)")
    args = parser.parse_args(argv)
    if args.quick:
        args.respondents, args.reps, args.export_respondents = min(args.respondents, 2_000), 1, min(args.export_respondents, 1_000)
        args.scaling = args.load = False
    started = time.perf_counter()
    instrument = sized_instrument(args.items)
    result: dict[str, Any] = {}
    load_1m = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="coherence-bench-") as tmp:
        workdir = Path(tmp)
        say(f"aggregation: {args.respondents:,} respondents x {len(instrument.item_ids)} items, median of {args.reps}")
        result.update(aggregate(workdir, args.respondents, instrument, args.reps))
        say(
            f"  generated in {result['generate_s']} s; engine {result['aggregate_full_read_ms']} ms reading every response, "
            f"{result['aggregate_ms']} ms from stored cells (new process), "
            f"{result['aggregate_new_response_ms']} ms after a new response, {result['aggregate_warm_ms']} ms warm; "
            f"pandas {result['pandas_ms']} ms; speedup {result['speedup']}x (full read {result['speedup_full_read']}x, "
            f"warm {result['speedup_warm']}x); "
            f"equal within 1e-9: {result['results_equal']}"
        )
        say("submissions: survey.responses.submit through Database cursors")
        result.update(submissions(workdir, 20 if args.quick else 300, 4 if args.quick else 8, 5 if args.quick else 40))
        say(
            f"  sequential p50 {result['submit_p50_ms']} ms, p99 {result['submit_p99_ms']} ms; {result['submit_threads']} threads "
            f"p50 {result['submit_threads_p50_ms']} ms, p99 {result['submit_threads_p99_ms']} ms, {result['submits_per_s_threads']}/s"
        )
        page_n = args.page_respondents or args.respondents
        say(f"page: AppTest with warm caches on {page_n:,} respondents")
        result.update(page(workdir, page_n, instrument, args.reps))
        say(f"  {result['page']}: {result['page_ms']} ms" + (f" ({result['page_note']})" if result.get("page_note") else ""))
        say(f"exports: {args.export_respondents:,} respondents")
        result.update(exports(workdir, args.export_respondents, instrument, QUICK_EXPORTS if args.quick else None))
        say("  " + ", ".join(f"{k} {v} s" if v is not None else f"{k} n/a" for k, v in result["export_s"].items()))
        result["scaling"] = scaling(workdir, instrument, args.reps) if args.scaling else None
    if args.load:
        from bench import load

        say("")
        figures = load.run(
            args.sessions,
            load.DEFAULT_STEPS,
            args.think,
            args.browsers,
            args.load_budget,
            log=say,
            server_options=tuple(args.load_server_option),
        )
        result.update({key: figures[key] for key in LOAD_KEYS})
        result["load"] = {k: v for k, v in figures.items() if k not in LOAD_KEYS}
    else:
        result.update({key: None for key in LOAD_KEYS})
        result["load_reason"] = "load test not run (pass --load)"
    result["peak_rss_mb"] = peak_rss_mb()
    result["targets"] = targets(result)
    result["machine"] = {"cpus": os.cpu_count(), "loadavg_1m_start": round(load_1m, 2), "loadavg_1m_end": round(os.getloadavg()[0], 2)}
    result["wall_s"] = round(time.perf_counter() - started, 1)
    say(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
