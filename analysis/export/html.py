"""The HTML report: one self-contained file with interactive Vega-Lite charts that opens offline, from a USB stick or a share.

Everything the page needs is inside it: the Vega, Vega-Lite and vega-embed JavaScript (bundled by
vl-convert, cached on disk because bundling takes seconds), the stylesheet, the chart specs as
JSON data blocks. A Content-Security-Policy allows exactly those inline scripts and that style by
their SHA-256 hashes and nothing else: no network, no other script, no eval (Vega interprets
expressions instead of compiling them). All user text goes through Jinja2's autoescaping; chart
specs are JSON with `<`, `>` and `&` escaped, so no label can close its script block.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import os
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import vl_convert as vlc
from markupsafe import Markup

from analysis.export.charts import ChartSpec, distribution_spec, gap_spec, heatmap_spec, trend_spec, value_spec
from analysis.export.report import WorkshopReport, euros, number, p_text, percent
from survey.user_text import plain

TEMPLATES = Path(__file__).parent / "templates"
CACHE_ENV = "COHERENCE_CACHE_DIR"
HEAT_BINS = 9
_bundle_lock = threading.Lock()


def _cache_dir() -> Path:
    base = os.environ.get(CACHE_ENV) or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "coherence-scan"


@cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script, setting window.vegaEmbed and window.vega.

    vl-convert bundles it from the copies inside its own package (no download) but takes several
    seconds, so the result is kept in memory and in a cache file named by the library versions.
    The page may call this in a background thread at start-up so the first export is fast.
    """
    with _bundle_lock:
        name = f"vega-bundle-{importlib.metadata.version('vl-convert-python')}-vega{vlc.get_vega_version()}-embed{vlc.get_vega_embed_version()}.js"
        path = _cache_dir() / name
        try:
            text = path.read_text(encoding="utf-8")
            if text.rstrip().endswith("window.vegaLite=__default1;"):
                return text
        except OSError:
            pass
        text = vlc.javascript_bundle()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(text, encoding="utf-8")
            partial.replace(path)
        except OSError:
            pass  # a read-only home only costs the next export the bundling time
        return text


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def script_json(value: Any) -> Markup:
    """JSON safe inside a <script type="application/json"> block: no `</script>`, `<!--` or `&` can survive."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return Markup(text)


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined)


def _heat_class(mean: float, lo: float, hi: float) -> str:
    position = (mean - lo) / (hi - lo) if hi > lo else 0.5
    return f"heat-{min(HEAT_BINS - 1, max(0, int(position * HEAT_BINS)))}"


def _clean(value: Any) -> Any:
    """Numbers for JSON: NaN and pandas' NA become null (Vega treats null as missing)."""
    if isinstance(value, float) and value != value:
        return None
    if value is pd.NA:
        return None
    return value


def _json_spec(spec: dict[str, Any]) -> dict[str, Any]:
    data = spec.get("datasets", {})
    for name, rows in data.items():
        data[name] = [{k: _clean(v) for k, v in row.items()} for row in rows]
    return spec


class _Context:
    """Template values for one report: formatted strings only, every number from the report's engine results."""

    def __init__(self, report: WorkshopReport) -> None:
        self.r = report

    def heat(self, with_items: bool) -> dict[str, Any]:
        r = self.r
        scale = r.instrument.scale
        dims, items = r.heatmap_dimensions.data, r.heatmap_items.data
        groups = list(dict.fromkeys(dims["group"]))
        rows = []
        for dim in r.instrument.dimension_ids:
            units = [("dimension", dims, [dim])]
            if with_items:
                units.append(("item", items, [i.id for i in r.instrument.dimension(dim).items]))
            for kind, frame, unit_ids in units:
                for unit in unit_ids:
                    part = frame[frame["unit"] == unit].set_index("group")
                    cells = []
                    for g in groups:
                        row = part.loc[g]
                        if bool(row["suppressed"]):
                            cells.append({"hidden": True})
                        else:
                            cells.append(
                                {
                                    "hidden": False,
                                    "mean": number(row["mean"], 2, r.lang),
                                    "n": int(row["n"]),
                                    "cls": _heat_class(float(row["mean"]), scale.min, scale.max),
                                }
                            )
                    label = r.dimension_label(unit) if kind == "dimension" else unit
                    rows.append({"kind": kind, "label": label, "statement": r.item_text(unit) if kind == "item" else "", "cells": cells})
        return {"groups": [r.group_label(g) for g in groups], "rows": rows}

    def gaps(self, unit: str) -> list[dict[str, Any]]:
        r = self.r
        result = r.gaps_dimensions if unit == "dimension" else r.gaps_items
        if result is None:
            return []
        out = []
        for row in result.data.itertuples(index=False):
            label = r.dimension_label(row.unit) if unit == "dimension" else row.unit
            entry: dict[str, Any] = {
                "label": label,
                "statement": r.item_text(row.unit) if unit == "item" else "",
                "hidden": bool(row.suppressed),
            }
            if not row.suppressed:
                entry.update(
                    mean_a=number(row.mean_a, 2, r.lang),
                    n_a=int(row.n_a),
                    mean_b=number(row.mean_b, 2, r.lang),
                    n_b=int(row.n_b),
                    diff=number(row.diff, 2, r.lang, sign=True),
                    cls="pos" if row.diff >= 0 else "neg",
                    ci=f"{number(row.ci_low, 2, r.lang, sign=True)} … {number(row.ci_high, 2, r.lang, sign=True)}",
                    g=number(row.effect_size, 2, r.lang),
                    p_adj=p_text(row.p_adj, r.lang),
                )
            out.append(entry)
        return out

    def value(self) -> list[dict[str, Any]]:
        r = self.r
        if r.value is None:
            return []

        def share(x: float) -> str | None:
            return None if pd.isna(x) else percent(x, r.lang)

        return [
            {
                "rank": int(row.rank),
                "loss": r.loss_label(row.loss),
                "eur": euros(row.eur_per_year, r.lang),
                "share_all": share(row.share_all),
                "share_a": share(row.share_a),
                "share_b": share(row.share_b),
                "diff": None if row.diff_suppressed else number(row.diff * 100, 0, r.lang, sign=True) + " pp",
                "priority": number(row.priority, 2, r.lang),
            }
            for row in r.value.ranking.itertuples(index=False)
        ]

    def trend(self) -> list[dict[str, Any]]:
        r = self.r
        if r.trend is None:
            return []
        rows = []
        for row in r.trend.data.itertuples(index=False):
            entry: dict[str, Any] = {"unit": r.dimension_label(row.unit), "group": r.group_label(row.group), "hidden": bool(row.suppressed)}
            if not row.suppressed:
                entry.update(
                    before=number(row.mean_before, 2, r.lang),
                    after=number(row.mean_after, 2, r.lang),
                    change=number(row.change, 2, r.lang, sign=True),
                    cls="pos" if row.change >= 0 else "neg",
                    ci=f"{number(row.ci_low, 2, r.lang, sign=True)} … {number(row.ci_high, 2, r.lang, sign=True)}",
                    p_adj=p_text(row.p_adj, r.lang),
                )
            rows.append(entry)
        return rows

    def closure(self) -> dict[str, Any] | None:
        """Gap closure for the report: each action's gap before and after, and targeted minus other gaps, or None."""
        r, c = self.r, self.r.closure
        if c is None:
            return None
        rows = []
        for a in c.actions.to_dict("records"):
            shown = a["change"] is not None and not pd.isna(a["change"])
            rows.append(
                {
                    "action": plain(f"{a['action_id']} · {a['title']}"),
                    "target": r.target_label(a["target_kind"], a["target_id"]),
                    "status": r.t(f"status_{a['status']}"),
                    "before": number(a["gap_before"], 2, r.lang, sign=True)
                    + (f" ({a['wave_before']})" if a["gap_before"] is not None and not pd.isna(a["gap_before"]) else ""),
                    "after": number(a["gap_after"], 2, r.lang, sign=True) + (f" ({int(a['wave_after'])})" if shown else ""),
                    "change": number(a["change"], 2, r.lang, sign=True) if shown else "",
                    "ci": f"{number(a['ci_low'], 2, r.lang, sign=True)} … {number(a['ci_high'], 2, r.lang, sign=True)}" if shown else "",
                    "cls": ("neg" if a["change"] < 0 else "pos") if shown else "",
                }
            )
        out: dict[str, Any] = {
            "title": r.t("closure_title", a=r.group_label(c.a), b=r.group_label(c.b)),
            "rows": rows,
            "method": r.t("closure_method"),
            "limits": r.t("closure_limits"),
            "none": r.t("closure_none", why=c.note) if c.did is None or c.ci is None else "",
        }
        if c.did is not None and c.ci is not None:
            out["facts"] = [
                {"label": r.t("closure_targeted", n=c.n_targeted), "value": number(c.targeted, 2, r.lang, sign=True)},
                {"label": r.t("closure_untargeted", n=c.n_untargeted), "value": number(c.untargeted, 2, r.lang, sign=True)},
                {
                    "label": r.t("closure_did"),
                    "value": number(c.did, 2, r.lang, sign=True),
                    "sub": f"{r.t('col_ci')} {number(c.ci[0], 2, r.lang, sign=True)} … {number(c.ci[1], 2, r.lang, sign=True)}",
                },
            ]
            out["waves"] = r.t("closure_waves", before=c.wave_before, after=c.wave_after)
        return out

    def participation(self) -> list[dict[str, Any]]:
        r = self.r
        out = []
        for attribute, result in r.participation.items():
            rows = []
            for row in result.data.itertuples(index=False):
                headcount = "" if pd.isna(row.headcount) else str(int(row.headcount))
                entry: dict[str, Any] = {"group": r.group_label(row.group), "hidden": bool(row.suppressed), "headcount": headcount}
                if not row.suppressed:
                    entry.update(n=int(row.n), rate="" if pd.isna(row.response_rate) else percent(row.response_rate, r.lang))
                rows.append(entry)
            out.append({"attribute": r.attribute_label(attribute) if attribute else r.t("all"), "rows": rows})
        return out

    def reliability(self) -> list[dict[str, Any]]:
        r = self.r
        rows = []
        for row in r.reliability.data.itertuples(index=False):
            entry: dict[str, Any] = {
                "dimension": r.dimension_label(row.dimension),
                "n_items": int(row.items),
                "hidden": bool(row.suppressed),
            }
            if not row.suppressed:
                entry.update(n=int(row.n), alpha=number(row.alpha, 2, r.lang), low=bool(row.low))
            rows.append(entry)
        return rows

    def comments(self) -> list[dict[str, Any]]:
        r = self.r
        frame = r.comments.data
        out = []
        for dim in r.instrument.dimension_ids:
            part = frame[frame["dimension"] == dim]
            if len(part):
                items = [{"text": r.comment_text(c.text), "group": r.group_label(str(c.group))} for c in part.itertuples(index=False)]
                out.append({"dimension": r.dimension_label(dim), "entries": items})
        return out

    def facts(self) -> list[dict[str, Any]]:
        r = self.r
        n, rate = r.population
        facts = [
            {
                "label": r.t("respondents"),
                "value": str(n) if n is not None else r.hidden_text,
                "sub": r.t("response_rate") + " " + percent(rate, r.lang) if rate is not None else "",
            },
            {"label": r.t("threshold"), "value": str(r.k), "sub": f"{r.t('comment_threshold')}: {r.comment_k}"},
        ]
        top = r.top_gaps(1)
        if len(top):
            row = top.iloc[0]
            a, b = r.pair_labels
            facts.append(
                {
                    "label": r.t("largest_gap"),
                    "value": f"{r.dimension_label(row['unit'])} {number(row['diff'], 2, r.lang, sign=True)}",
                    "sub": f"{a} − {b}",
                    "accent": True,
                }
            )
        best = r.top_loss
        if best is not None and r.population_shown:
            facts.append({"label": r.t("top_loss"), "value": best.label, "sub": f"€ {best.eur}" if best.eur else "", "accent": True})
        return facts


def _chart_entries(report: WorkshopReport) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    specs: list[ChartSpec | None] = [
        heatmap_spec(report, "dimension", "container", titled=False),
        heatmap_spec(report, "item", "container", titled=False),
        gap_spec(report, "dimension", "container", titled=False),
        gap_spec(report, "item", "container", titled=False),
        value_spec(report, "container", titled=False),
        trend_spec(report, "container", titled=False),
    ]
    distributions = [distribution_spec(report, item, "container", titled=False) for item in report.distribution_items]
    entries: dict[str, dict[str, Any]] = {}
    chart_list = []
    for spec in [s for s in specs if s is not None] + distributions:
        entry = {"id": f"spec-{spec.name}", "title": spec.title, "json": script_json(_json_spec(spec.spec))}
        entries[spec.name] = entry
        chart_list.append(entry)
    return entries, chart_list, [entries[d.name] for d in distributions]


def write_html(report: WorkshopReport, out: Path, progress: Callable[[float, str], None] | None = None) -> list[str]:
    """Write the report to `out` (one .html file); returns the names of the charts it holds."""
    step = progress or (lambda _f, _m: None)
    ctx = _Context(report)
    show = report.population_shown
    step(0.1, "results")
    values: dict[str, Any] = {
        "findings": [],
        "lang": report.lang,
        "t": report.t,
        "doc_title": f"{report.campaign.name} · {report.t('report_title')}",
        "instrument_title": report.instrument_title,
        "campaign_name": report.campaign.name,
        "wave_text": report.wave_text,
        "filters_text": report.filters_text,
        "generated": report.generated.isoformat(),
        "facts": ctx.facts(),
        "notes": report.notes(),
        "show_results": show,
        "grouped_by": report.t("grouped_by", by=report.attribute_label(report.by)) if report.by else "",
        "hidden_text": report.hidden_text,
        "k": report.k,
        "comment_k": report.comment_k,
        "definitions": report.definitions(),
        "actions": report.action_rows(),
    }
    charts: dict[str, dict[str, Any]] = {}
    chart_list: list[dict[str, Any]] = []
    if show:
        a, b = report.pair_labels
        step(0.3, "tables")
        values.update(
            heat=ctx.heat(with_items=False),
            heat_items=ctx.heat(with_items=True),
            pair_a=a,
            pair_b=b,
            gaps_dims=ctx.gaps("dimension"),
            gaps_items=ctx.gaps("item"),
            findings=report.findings,
            value_rows=ctx.value(),
            insight_tables=report.insight_tables(rows=20) if report.population_shown else [],
            value_take=report.value_take(),
            trend_rows=ctx.trend(),
            trend_title=report.t("trend_title", earlier=f"{report.t('wave').lower()} {report.earlier_wave} ({report.earlier_label})"),
            trend_before=report.t("col_before", wave=f"{report.t('wave').lower()} {report.earlier_wave}"),
            trend_after=report.t("col_before", wave=f"{report.t('wave').lower()} {report.wave}"),
            closure=ctx.closure(),
            participation=ctx.participation(),
            representation=report.representation_lines(),
            reliability=ctx.reliability(),
            comments=ctx.comments(),
            comment_notes=report.comment_notes(),
            hidden_rows=report.hidden_groups(),
        )
        step(0.5, "charts")
        charts, chart_list, distributions = _chart_entries(report)
        values["distributions"] = distributions
    else:
        values["hidden_rows"] = []
    values["charts"] = charts
    values["chart_list"] = chart_list
    step(0.7, "scripts")
    style = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    init_js = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    # A script element ends at the first "</script": keep any such text inside the bundle's strings harmless.
    bundle = vega_bundle().replace("</script", "<\\/script") if chart_list else ""
    scripts = f"{_sha256(bundle)} {_sha256(init_js)}" if chart_list else "'none'"
    values.update(style=Markup(style), init_js=Markup(init_js), bundle=Markup(bundle))
    values["csp"] = (
        f"default-src 'none'; script-src {scripts}; style-src {_sha256(style)}; "
        "img-src 'none'; connect-src 'none'; font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
    )
    step(0.9, "writing")
    html = _environment().get_template("report.html.j2").render(**values)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return [c["id"].removeprefix("spec-") for c in chart_list]
