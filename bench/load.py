"""Load test of the live server: simulated respondents over Streamlit's websocket protocol, plus real Chromium tabs.

`python bench/load.py` starts `streamlit run app.py` on a free loopback port against a temporary DuckDB file with
one open campaign and lets N respondents walk through the survey at a human pace (random think time, mean
`--think` seconds a section), each submitting at the end. A few headless Chromium tabs answer alongside to show the
page still works for a person under that load. Each level runs on a fresh server and database so levels do not
inherit each other's sessions; the database is counted after the server has stopped. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402

from bench.protocol import ProtocolError, Tab, group_value, strings, text, trigger  # noqa: E402
from harness.server import Server, streamlit_server  # noqa: E402

COMMENTS = ("Planning changes too often.", "Dashboards hang on the wall, nobody uses them.", "Good start, keep going.")
DEFAULT_STEPS = (25, 50, 100, 200, 400, 600, 800, 1000, 1200)
P99_LIMIT_S = 1.0


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def session_ttl() -> float | None:
    """server.disconnectedSessionTTL from the app's config: how long Streamlit keeps a closed tab's session in memory."""
    config = ROOT / ".streamlit" / "config.toml"
    try:
        import tomllib

        return tomllib.loads(config.read_text()).get("server", {}).get("disconnectedSessionTTL")
    except (OSError, ValueError):
        return None


# --- the database -----------------------------------------------------------------------------------------------


def make_database(path: Path) -> None:
    """A fresh file with one open campaign on the default questionnaire: what a facilitator has before the invites go out."""
    from survey.campaigns import create_campaign
    from survey.instrument import default_instrument
    from survey.store import Database

    database = Database(path, linger_s=0)
    with database.cursor() as con:
        create_campaign(con, "Load test", default_instrument(), campaign_id="load")
    database.close()


def count_responses(path: Path) -> tuple[int, int, int]:
    """(responses, answer rows, distinct submission keys) in the file, read after the server has let go of it."""
    from survey.store import Database

    database = Database(path, linger_s=0, wait_s=30)
    with database.cursor() as con:
        row = con.execute(
            "SELECT (SELECT count(*) FROM responses), (SELECT count(*) FROM answers), (SELECT count(DISTINCT submission_key) FROM responses)"
        ).fetchone()
    database.close()
    return int(row[0]), int(row[1]), int(row[2])


# --- simulated respondents --------------------------------------------------------------------------------------


SLOW_S = 1.0  # a move slower than this misses the target; when they happen is reported


@dataclass
class Recorder:
    """Round trips by kind, script runs, errors and how many tabs are open, shared by every simulated respondent."""

    times: dict[str, list[float]] = field(default_factory=lambda: {"load": [], "section": [], "submit": [], "resume": []})
    slow: list[tuple[float, float, str]] = field(default_factory=list)  # (sent at, seconds, kind) of moves over SLOW_S
    script_runs: int = 0
    submitted: int = 0
    submit_unknown: int = 0
    resumed: int = 0  # sessions continued on another server from their resume token
    in_flight: set[int] = field(default_factory=set)  # respondents whose submit was sent when their server died
    started: int = 0
    open_tabs: int = 0
    errors: list[str] = field(default_factory=list)
    first_send: float | None = None
    last_done: float | None = None

    def add(self, kind: str, seconds: float, runs: int) -> None:
        now = time.perf_counter()
        self.times[kind].append(seconds)
        if seconds > SLOW_S:
            self.slow.append((now - seconds, seconds, kind))
        self.script_runs += runs
        self.first_send = min(self.first_send or now - seconds, now - seconds)
        self.last_done = now


def _answers(tab: Tab, rng: random.Random, lang_state: object) -> list[object]:
    """Fill in the form on screen the way a person would and press its primary submit button."""
    states = [lang_state] if lang_state is not None else []
    primary = None
    for kind, proto in tab.screen.widgets:
        if kind == "button":
            if proto.is_form_submitter and proto.type == "primary":
                primary = proto
            continue
        if not getattr(proto, "form_id", ""):
            continue
        if kind == "selectbox":
            states.append(text(proto.id, rng.choice(list(proto.options))))
        elif kind == "radio":
            options = list(proto.options)
            pick = options[-1] if rng.random() < 0.05 else rng.choice(options[:-1] or options)
            states.append(text(proto.id, pick))
        elif kind == "text_area":
            states.append(text(proto.id, rng.choice(COMMENTS) if rng.random() < 0.1 else ""))
        elif kind == "button_group":
            labels = [o.content for o in proto.options]
            states.append(strings(proto.id, rng.sample(labels, k=rng.randint(1, min(3, len(labels))))))
    if primary is None:
        raise ProtocolError(f"no primary form button on screen; headings {tab.screen.headings[:3]}")
    states.append(trigger(primary.id))
    return states


async def respondent(
    base_url: str, rng: random.Random, think: float, rec: Recorder, timeout: float = 30.0, query: str = "", reconnects: int = 0
) -> None:
    """One person: open the survey link (`query`, e.g. c=<campaign>), maybe switch to Dutch, start, profile, every
    section, value at stake, submit.

    With `reconnects`, a lost connection (its server killed) is what a browser does next: a new session on the same
    URL, which now carries the resume token; the respondent continues from the last saved section.
    """

    async def pause() -> None:
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))

    tab = Tab(base_url, "survey", timeout=timeout, query=query)
    rec.started += 1
    lives = reconnects
    try:
        await tab.open()
        rec.open_tabs += 1
        rec.add("load", await tab.rerun([]), tab.screen.script_runs)
        lang = tab.screen.one("button_group", "sv_lang")
        lang_state = strings(lang.id, group_value(lang))
        if rng.random() < 0.2:
            await pause()
            lang_state = strings(lang.id, ["Nederlands"])
            rec.add("section", await tab.rerun([lang_state]), tab.screen.script_runs)
        await pause()
        start = tab.screen.one("button", "sv_start")
        rec.add("section", await tab.rerun([lang_state, trigger(start.id)]), tab.screen.script_runs)
        while True:
            try:
                await _walk(tab, rng, lang_state, pause, rec)
                break
            except (ProtocolError, OSError, websockets.ConnectionClosed):
                if lives <= 0 or "resume=" not in tab.query:
                    raise
                lives -= 1
                tab, lang_state = await _resume(tab, rec)
                if tab.screen.success:  # the submit had been stored before the server died: thanked now
                    _acknowledged(rec)
                    break
    except (ProtocolError, OSError, TimeoutError, Exception) as exc:  # every failure counts, none stops the others
        rec.errors.append(f"{type(exc).__name__}: {str(exc)[:300]}")
    finally:
        if tab.ws is not None:
            rec.open_tabs -= 1
        with contextlib.suppress(Exception):  # closing a broken socket is not a finding
            await tab.close()


async def _walk(tab: Tab, rng: random.Random, lang_state: object, pause: object, rec: Recorder) -> None:
    """From whatever step is on screen: answer each section, then submit and see the thank-you."""
    for _ in range(30):
        if tab.screen.find("button", "sv_submit"):
            break
        states = _answers(tab, rng, lang_state)
        await pause()
        rec.add("section", await tab.rerun(states), tab.screen.script_runs)
    else:
        raise ProtocolError("never reached the review screen")
    submit = tab.screen.one("button", "sv_submit")
    await pause()
    try:
        seconds = await tab.rerun([s for s in (lang_state, trigger(submit.id)) if s is not None])
    except (ProtocolError, OSError, websockets.ConnectionClosed):
        rec.submit_unknown += 1  # sent, but no answer seen: the response may or may not be stored
        rec.in_flight.add(id(tab.cookies))
        raise
    if not tab.screen.success:
        raise ProtocolError(f"no thank-you after submit; headings {tab.screen.headings[:3]}")
    rec.add("submit", seconds, tab.screen.script_runs)
    _acknowledged(rec, tab)


def _acknowledged(rec: Recorder, tab: Tab | None = None) -> None:
    rec.submitted += 1
    if tab is not None and id(tab.cookies) in rec.in_flight:
        rec.in_flight.discard(id(tab.cookies))
        rec.submit_unknown -= 1  # a submit lost with its server, sent again after resuming: now acknowledged


async def _resume(old: Tab, rec: Recorder, tries: int = 20) -> tuple[Tab, object]:
    """What the browser does when its server is gone: a new session on the same URL (and cookies), through nginx."""
    with contextlib.suppress(Exception):
        await old.close()
    rec.open_tabs -= 1
    started = time.perf_counter()
    for attempt in range(tries):
        tab = Tab(old.base_url, old.page_name, timeout=old.timeout, query=old.query, cookies=old.cookies)
        try:
            await tab.open()
            await tab.rerun([])
            break
        except (ProtocolError, OSError, websockets.ConnectionClosed):
            with contextlib.suppress(Exception):
                await tab.close()
            if attempt == tries - 1:
                raise
            await asyncio.sleep(0.5)
    rec.open_tabs += 1
    rec.resumed += 1
    rec.add("resume", time.perf_counter() - started, tab.screen.script_runs)
    if tab.screen.success and id(old.cookies) in rec.in_flight:
        rec.in_flight.discard(id(old.cookies))
        rec.submit_unknown -= 1
    lang = tab.screen.find("button_group", "sv_lang")
    return tab, (strings(lang[-1].id, group_value(lang[-1])) if lang else None)


async def _sample(pid: int, rec: Recorder, stop: asyncio.Event, rss: list[tuple[float, int, float]], lag: list[float]) -> None:
    """Server RSS against open tabs every half second, and how late this process's own event loop wakes up."""
    t0 = time.perf_counter()
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.1)
        lag.append(time.perf_counter() - before - 0.1)
        if len(lag) % 5 == 0:
            value = rss_mb(pid)
            if value is not None:
                rss.append((time.perf_counter() - t0, rec.open_tabs, value))


async def warm_up(server: Server) -> None:
    """One tab loads the survey first, so the level measures a running server, not the first visitor's imports."""
    tab = Tab(server.url, "survey", timeout=120)
    await tab.open()
    try:
        await tab.rerun([])
    finally:
        await tab.close()


async def drive(server: Server, n: int, think: float, seed: int, timeout: float = 30.0) -> dict:
    """N respondents arriving spread over one think period (so the pace is steady from the start)."""
    rec = Recorder()
    rng = random.Random(seed)
    stop = asyncio.Event()
    rss: list[tuple[float, int, float]] = []
    lag: list[float] = []
    sampler = asyncio.create_task(_sample(server.pid, rec, stop, rss, lag))
    await warm_up(server)
    rss_before = rss_mb(server.pid)

    async def one(i: int) -> None:
        person = random.Random(rng.random())
        await asyncio.sleep(person.uniform(0, think))
        await respondent(server.url, person, think, rec, timeout)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    wall = time.perf_counter() - started
    await asyncio.sleep(1.0)
    stop.set()
    await sampler
    moving = rec.times["section"] + rec.times["submit"]
    span = (rec.last_done or 0) - (rec.first_send or 0)
    peak = max((r for _, _, r in rss), default=None)
    return {
        "sessions": n,
        "think_s": think,
        "wall_s": round(wall, 1),
        "errors": len(rec.errors),
        "error_samples": rec.errors[:5],
        "submitted": rec.submitted,
        "submit_unknown": rec.submit_unknown,
        "moves": len(moving),
        "load_p50_ms": ms(percentile(rec.times["load"], 50)),
        "load_p99_ms": ms(percentile(rec.times["load"], 99)),
        "section_p50_ms": ms(percentile(rec.times["section"], 50)),
        "section_p99_ms": ms(percentile(rec.times["section"], 99)),
        "section_max_ms": ms(max(rec.times["section"], default=None)),
        "submit_rt_p50_ms": ms(percentile(rec.times["submit"], 50)),
        "submit_rt_p99_ms": ms(percentile(rec.times["submit"], 99)),
        "moves_per_s": round(len(moving) / span, 1) if span > 0 else None,
        "reruns_per_s": round(rec.script_runs / span, 1) if span > 0 else None,
        "server_rss_before_mb": round(rss_before, 1) if rss_before else None,
        "server_rss_peak_mb": round(peak, 1) if peak else None,
        "server_rss_end_mb": round(rss[-1][2], 1) if rss else None,
        "server_rss_per_session_kb": round((peak - rss_before) * 1024 / n, 1) if peak and rss_before and n else None,
        "client_loop_lag_p99_ms": ms(percentile(lag, 99)),
        "slow_moves": len(rec.slow),
        "slow_windows": slow_windows(rec.slow, rec.first_send or 0),
    }


def slow_windows(slow: list[tuple[float, float, str]], start: float) -> list[dict]:
    """Moves slower than SLOW_S grouped by overlapping time: one window holding many moves is a stall of the whole
    server (every session waited at once); many small windows are queueing. Times are seconds since the first send."""
    windows: list[dict] = []
    for sent, seconds, kind in sorted(slow):
        if windows and sent - start <= windows[-1]["until_s"]:
            window = windows[-1]
            window["until_s"] = round(max(window["until_s"], sent - start + seconds), 1)
            window["moves"] += 1
            window[kind] = window.get(kind, 0) + 1
        else:
            windows.append({"from_s": round(sent - start, 1), "until_s": round(sent - start + seconds, 1), "moves": 1, kind: 1})
    return sorted(windows, key=lambda w: -w["moves"])[:5]


async def saturate(server: Server, tabs: int, seconds: float, seed: int) -> dict:
    """Closed loop, no think time: as many reruns per second as the server completes with `tabs` busy respondents."""
    rec = Recorder()
    rng = random.Random(seed)
    deadline = time.perf_counter() + seconds

    async def loop(i: int) -> None:
        person = random.Random(rng.random())
        while time.perf_counter() < deadline:
            await respondent(server.url, person, 0.0, rec)

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(tabs)))
    wall = time.perf_counter() - started
    moving = rec.times["section"] + rec.times["submit"]
    return {
        "tabs": tabs,
        "wall_s": round(wall, 1),
        "errors": len(rec.errors),
        "error_samples": rec.errors[:3],
        "submitted": rec.submitted,
        "submit_unknown": rec.submit_unknown,
        "reruns_per_s": round(rec.script_runs / wall, 1),
        "moves_per_s": round(len(moving) / wall, 1),
        "section_p50_ms": ms(percentile(rec.times["section"], 50)),
    }


# --- real browsers ----------------------------------------------------------------------------------------------


def browser_journey(url: str, think: float, seed: int, out: list[dict]) -> None:
    """A person in headless Chromium (phone width) answering every section at the same pace as the simulated ones."""
    from harness.browser import chromium
    from survey.instrument import default_instrument

    instrument = default_instrument()
    rng = random.Random(seed)
    result: dict = {"ok": False, "clicks_ms": []}
    started = time.perf_counter()

    def timed(page: object, action: object, expect: str) -> None:
        t0 = time.perf_counter()
        action()
        page.get_by_text(expect, exact=False).first.wait_for(timeout=30_000)
        result["clicks_ms"].append(round((time.perf_counter() - t0) * 1000, 1))

    def pause() -> None:
        time.sleep(think * rng.uniform(0.5, 1.5))

    def next_button(page: object) -> None:
        page.get_by_role("button", name="Next", exact=True).last.click()

    try:
        with chromium(width=390, height=844) as page:
            page.goto(f"{url}/survey")
            page.get_by_text(instrument.title["en"]).wait_for(timeout=60_000)
            pause()
            timed(page, lambda: page.get_by_role("button", name="Start the survey").click(), instrument.attributes["level"].label["en"])
            for attr in instrument.attributes.values():
                page.get_by_label(attr.label["en"]).click()
                page.get_by_role("option", name=rng.choice(list(attr.options.values()))["en"], exact=True).click()
            pause()
            timed(page, lambda: next_button(page), instrument.dimensions[0].items[0].text["en"])
            for d, dim in enumerate(instrument.dimensions):
                for item in dim.items:
                    page.get_by_role("radiogroup", name=item.text["en"]).get_by_text(str(rng.randint(1, 5)), exact=True).click()
                nxt = (
                    instrument.dimensions[d + 1].items[0].text["en"]
                    if d + 1 < len(instrument.dimensions)
                    else instrument.value_at_stake.prompt["en"]
                )
                pause()
                timed(page, lambda: next_button(page), nxt)
            page.get_by_text(next(iter(instrument.value_at_stake.losses.values()))["en"]).click()
            pause()
            timed(page, lambda: next_button(page), "Submit my answers")
            pause()
            timed(page, lambda: page.get_by_role("button", name="Submit my answers").click(), "Thank you!")
            result["ok"] = True
    except Exception as exc:  # a browser failure is a finding, reported with the rest
        result["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    result["seconds"] = round(time.perf_counter() - started, 1)
    out.append(result)


def start_browsers(url: str, count: int, think: float, seed: int) -> tuple[list[threading.Thread], list[dict]]:
    results: list[dict] = []
    threads = [threading.Thread(target=browser_journey, args=(url, think, seed + i, results), daemon=True) for i in range(count)]
    for th in threads:
        th.start()
        time.sleep(1.0)
    return threads, results


# --- levels, capacity and the report ------------------------------------------------------------------------------


def run_level(n: int, think: float, browsers: int, seed: int, workdir: Path, log: object = print, options: tuple[str, ...] = ()) -> dict:
    """One level on a fresh server and database: respondents (and browsers), then a count of what was stored."""
    db_path = workdir / f"load-{n}-{seed}.duckdb"
    make_database(db_path)
    with streamlit_server(db_path, options) as server:
        threads, browser_results = start_browsers(server.url, browsers, think, seed) if browsers else ([], [])
        result = asyncio.run(drive(server, n, think, seed))
        for th in threads:
            th.join(timeout=600)
        result["server_rss_after_mb"] = round(rss_mb(server.pid) or 0, 1)
    stored, answer_rows, keys = count_responses(db_path)
    expected = result["submitted"] + sum(1 for b in browser_results if b.get("ok"))
    # Every response a respondent saw "thank you" for must be stored, once; one whose answer never came may or may not be.
    db_ok = expected <= stored <= expected + result["submit_unknown"] and keys == stored and answer_rows == 30 * stored
    clicks = [c for b in browser_results for c in b.get("clicks_ms", [])]
    result.update(
        {
            "browsers": browsers,
            "browsers_ok": sum(1 for b in browser_results if b.get("ok")),
            "browser_errors": [b["error"] for b in browser_results if b.get("error")],
            "browser_click_p50_ms": percentile(clicks, 50),
            "browser_click_max_ms": max(clicks, default=None),
            "stored": stored,
            "expected": expected,
            "db_check": db_ok,
        }
    )
    result["errors"] += len(result["browser_errors"]) + (0 if result["db_check"] else 1)
    p99 = max(v for v in (result["section_p99_ms"], result["submit_rt_p99_ms"], 0) if v is not None)
    result["passed"] = result["errors"] == 0 and p99 < P99_LIMIT_S * 1000 and result["browsers_ok"] == browsers
    log(
        f"  {n:5d} sessions: section p50/p99 {result['section_p50_ms']}/{result['section_p99_ms']} ms, "
        f"submit p99 {result['submit_rt_p99_ms']} ms, {result['reruns_per_s']} reruns/s, errors {result['errors']}, "
        f"stored {stored}/{expected}, browsers {result['browsers_ok']}/{browsers}, rss peak {result['server_rss_peak_mb']} MB "
        f"-> {'ok' if result['passed'] else 'FAIL'}"
    )
    return result


def run_saturation(tabs: int, seconds: float, seed: int, workdir: Path, log: object = print, options: tuple[str, ...] = ()) -> dict:
    db_path = workdir / f"saturate-{seed}.duckdb"
    make_database(db_path)
    with streamlit_server(db_path, options) as server:
        result = asyncio.run(saturate(server, tabs, seconds, seed))
    stored, _, keys = count_responses(db_path)
    result["db_check"] = result["submitted"] <= stored <= result["submitted"] + result["submit_unknown"] and keys == stored
    log(
        f"  saturation with {tabs} busy tabs: {result['reruns_per_s']} reruns/s ({result['moves_per_s']} moves/s), errors {result['errors']}"
    )
    return result


def run(
    sessions: int = 200,
    steps: tuple[int, ...] = DEFAULT_STEPS,
    think: float = 10.0,
    browsers: int = 2,
    budget_s: float = 1800.0,
    saturation_tabs: int = 12,
    saturation_s: float = 20.0,
    seed: int = 7,
    log: object = print,
    server_options: tuple[str, ...] = (),
) -> dict:
    """The two figures of the issue: `sessions` concurrent respondents, then capacity by stepping up until p99 >= 1 s."""
    started = time.monotonic()
    options = tuple(part for opt in server_options for part in (f"--{opt.partition('=')[0].lstrip('-')}", opt.partition("=")[2]))
    if server_options:
        log(f"load: server started with extra options {' '.join(options)} (what-if, not the app's config)")
    with tempfile.TemporaryDirectory(prefix="coherence-load-") as tmp:
        workdir = Path(tmp)
        log(f"load: {sessions} concurrent respondents, think time mean {think} s, {browsers} Chromium tab(s) alongside")
        headline = run_level(sessions, think, browsers, seed, workdir, log, options)
        levels = {sessions: headline}
        capacity = sessions if headline["passed"] else 0
        if headline["passed"]:
            for n in sorted(s for s in steps if s > sessions):
                elapsed = time.monotonic() - started
                if elapsed + (think * 12 + 30) > budget_s:
                    log(f"  time budget of {budget_s:.0f} s reached before {n} sessions")
                    break
                levels[n] = run_level(n, think, 0, seed + n, workdir, log, options)
                if not levels[n]["passed"]:
                    break
                capacity = n
        else:
            for n in sorted((s for s in steps if s < sessions), reverse=True):
                levels[n] = run_level(n, think, 0, seed + n, workdir, log, options)
                if levels[n]["passed"]:
                    capacity = n
                    break
        saturation = run_saturation(saturation_tabs, saturation_s, seed, workdir, log, options) if saturation_tabs else None
    rss_by_sessions = {
        n: (lv["server_rss_before_mb"], lv["server_rss_peak_mb"], lv["server_rss_after_mb"]) for n, lv in sorted(levels.items())
    }
    # Only levels where every respondent got through say how memory grows with sessions held.
    peaks = [(n, lv["server_rss_peak_mb"]) for n, lv in sorted(levels.items()) if lv["server_rss_peak_mb"] and not lv["errors"]]
    slope = round((peaks[-1][1] - peaks[0][1]) * 1024 / (peaks[-1][0] - peaks[0][0]), 1) if len(peaks) > 1 else None
    return {
        "concurrent_sessions": sessions,
        "capacity_sessions": capacity,
        "capacity_limit": "p99 of section and submit round trips < 1 s, 0 errors, database count exact",
        "section_p50_ms": headline["section_p50_ms"],
        "section_p99_ms": headline["section_p99_ms"],
        "submit_rt_p50_ms": headline["submit_rt_p50_ms"],
        "submit_rt_p99_ms": headline["submit_rt_p99_ms"],
        "errors": headline["errors"],
        "db_check": headline["db_check"],
        "reruns_per_s": saturation["reruns_per_s"] if saturation else headline["reruns_per_s"],
        "reruns_per_s_at_pace": headline["reruns_per_s"],
        "server_rss_mb": headline["server_rss_peak_mb"],
        "server_rss_by_sessions_mb": {str(n): dict(zip(("before", "peak", "after"), v, strict=True)) for n, v in rss_by_sessions.items()},
        "server_rss_kb_per_session": slope,
        "disconnected_session_ttl_s": session_ttl(),
        "server_options": list(server_options),
        "browsers_ok": headline["browsers_ok"],
        "levels": [levels[n] for n in sorted(levels)],
        "saturation": saturation,
        "load_wall_s": round(time.monotonic() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load test of `streamlit run app.py` with simulated respondents and real Chromium tabs.")
    parser.add_argument("--sessions", type=int, default=200, help="concurrent respondents of the headline figure (default 200)")
    parser.add_argument("--steps", default=",".join(map(str, DEFAULT_STEPS)), help="levels tried for capacity, comma-separated")
    parser.add_argument("--think", type=float, default=10.0, help="mean think time a section, seconds (default 10)")
    parser.add_argument("--browsers", type=int, default=2, help="real headless Chromium respondents alongside (default 2)")
    parser.add_argument("--budget", type=float, default=1800.0, help="stop stepping up after this many seconds (default 1800)")
    parser.add_argument("--saturation-tabs", type=int, default=12, help="busy tabs of the no-think-time rerun test (0 = skip)")
    parser.add_argument("--saturation-s", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--server-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="what-if: pass a Streamlit option to the server, e.g. runner.postScriptGC=false (repeatable; reported in the JSON)",
    )
    args = parser.parse_args(argv)
    steps = tuple(int(s) for s in args.steps.split(",") if s.strip())
    result = run(
        args.sessions,
        steps,
        args.think,
        args.browsers,
        args.budget,
        args.saturation_tabs,
        args.saturation_s,
        args.seed,
        server_options=tuple(args.server_option),
    )
    print(json.dumps(result))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
