"""What a workshop export shows: the engine's suppressed results for one scope, fetched once, labelled in one language.

Every number in every export comes from `analysis.engine` through this object, so the workbook, the
HTML report, the deck and the chart images show exactly what the app shows, with the same anonymity
verdicts. Results are fetched lazily: an image export never pays for the comments, a workbook never
pays for the item distributions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from functools import cached_property

import duckdb
import pandas as pd

from analysis import engine
from analysis.action_list import ActionLine, action_lines, target_text
from analysis.anonymity import thresholds
from analysis.closure import Closure
from analysis.export.texts import LANGUAGES, tr
from analysis.gaps import DEFAULT_A, DEFAULT_B, Group
from analysis.insights.document import Insights
from analysis.labels import Labels, number, text_in
from analysis.scope import Result, Scope, ValueAtStake, check_filters, resolve_wave
from survey.campaigns import Campaign, campaign_instrument, get_campaign, list_waves
from survey.instrument import Instrument
from survey.responses import response_count
from survey.user_text import plain

Progress = Callable[[float, str], None]
DISTRIBUTION_ITEMS = 6
DISCUSSION_GAPS = 3


def percent(value: object, lang: str = "en") -> str:
    text = number(None if value is None or value is pd.NA else float(value) * 100, 0, lang)
    return f"{text}%" if text else ""


def p_text(value: object, lang: str = "en") -> str:
    if value is None or value is pd.NA or math.isnan(float(value)):
        return ""
    return "< 0,001" if lang == "nl" and float(value) < 0.001 else "< 0.001" if float(value) < 0.001 else number(value, 3, lang)


def euros(value: object, lang: str = "en") -> str:
    if value is None or value is pd.NA or math.isnan(float(value)):
        return ""
    text = f"{float(value):,.0f}"
    return text.replace(",", ".") if lang == "nl" else text


@dataclasses.dataclass(frozen=True)
class TopLoss:
    """The loss that value at stake ranks first, in words: what the HTML report and the deck lead their value section with.

    eur: the yearly estimate as text ('' without one). share_a, share_b: the share of each side of the gap pair naming it.
    """

    label: str
    eur: str
    share_a: float | None
    share_b: float | None


class WorkshopReport:
    """One scope's results for the exports: a campaign, one wave, filters, a breakdown attribute and a gap pair.

    The breakdown is `level` unless it is filtered (then the first unfiltered attribute). The gap
    pair is level=board vs level=shop_floor, or the first two options of the breakdown attribute for
    an instrument without them; there is no pair when every attribute is filtered.

    Every text people typed (campaign and wave names, questionnaire texts, comments via `comment_text`)
    leaves here as plain text (`survey.user_text.plain`), so no export shows it reordered.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        scope: Scope,
        *,
        lang: str = "en",
        by: str | None = None,
        a: Group | None = None,
        b: Group | None = None,
        seed: int | None = None,
    ) -> None:
        self.con = con
        campaign = get_campaign(con, scope.campaign_id)
        self.campaign: Campaign = dataclasses.replace(campaign, name=plain(campaign.name))
        self.wave = resolve_wave(con, scope)
        self.scope = Scope(scope.campaign_id, self.wave, tuple(scope.filters))
        self.instrument: Instrument = campaign_instrument(con, scope.campaign_id, self.wave)
        self.lang = lang if lang in LANGUAGES else "en"
        self.labels = Labels(self.instrument, self.lang, everyone=tr("all", self.lang))
        limits = thresholds(con, scope.campaign_id)
        self.k, self.comment_k = limits.k, limits.comment_k
        self.seed = seed
        filtered = check_filters(self.instrument, self.scope.filters, by)
        free = [x for x in self.instrument.attributes if x not in filtered]
        self.by = by if by is not None else ("level" if "level" in free else (free[0] if free else None))
        if (a is None) != (b is None):
            raise ValueError("give both groups of the gap pair, or neither for the default pair")
        self.pair: tuple[Group, Group] | None = (a, b) if a and b else self._default_pair(free)
        waves = list_waves(con, scope.campaign_id)
        self.wave_label = plain(next((w.label for w in waves if w.wave == self.wave), str(self.wave)))
        earlier = [w for w in waves if w.wave < self.wave]
        self.earlier_wave: int | None = earlier[-1].wave if earlier else None
        self.earlier_label = plain(earlier[-1].label) if earlier else ""
        self.has_responses = response_count(con, scope.campaign_id, self.wave) > 0
        self.generated = dt.date.today()
        self._distributions: dict[str, Result] = {}

    # ----- scope and labels -------------------------------------------------------------------

    def _default_pair(self, free: list[str]) -> tuple[Group, Group] | None:
        level = self.instrument.attributes.get(DEFAULT_A[0])
        if DEFAULT_A[0] in free and level is not None and DEFAULT_A[1] in level.options and DEFAULT_B[1] in level.options:
            return DEFAULT_A, DEFAULT_B
        if self.by is None:
            return None
        options = list(self.instrument.attributes[self.by].options)
        return (self.by, options[0]), (self.by, options[1])

    def t(self, key: str, **values: object) -> str:
        return tr(key, self.lang, **values)

    @property
    def instrument_title(self) -> str:
        return text_in(self.instrument.title, self.instrument_lang, self.instrument.id)

    @staticmethod
    def comment_text(text: object) -> str:
        """A respondent's comment as it is exported: the words typed, in the order typed."""
        return plain(text)

    # The questionnaire's words come from `self.labels`, as on the dashboard; these names are what the writers call.

    def dimension_label(self, dimension_id: str) -> str:
        return self.labels.dimension(dimension_id)

    def item_text(self, item_id: str) -> str:
        return self.labels.item(item_id)

    def unit_label(self, unit_type: str, unit: str) -> str:
        return self.dimension_label(unit) if unit_type == "dimension" else unit

    def attribute_label(self, attribute: str | None) -> str:
        return self.labels.attribute(attribute)

    def option_label(self, attribute: str, option: str) -> str:
        return self.labels.option(attribute, option)

    def group_label(self, group: str) -> str:
        """'all' → 'All respondents'; 'level=board' → the option's label."""
        return self.labels.group(group)

    def loss_label(self, loss: str) -> str:
        return self.labels.loss(loss)

    @property
    def by_label(self) -> str:
        return self.attribute_label(self.by).lower() if self.by else self.t("col_group").lower()

    @property
    def by_name(self) -> str:
        """A short name of the breakdown for titles: the attribute id in words (level, site...)."""
        return (self.by or "group").replace("_", " ")

    @property
    def pair_labels(self) -> tuple[str, str]:
        if self.pair is None:
            return "A", "B"
        (aa, ao), (ba, bo) = self.pair
        return self.option_label(aa, ao), self.option_label(ba, bo)

    @property
    def filters_text(self) -> str:
        if not self.scope.filters:
            return self.t("no_filters")
        return "; ".join(f"{self.attribute_label(a)}: {self.option_label(a, o)}" for a, o in self.scope.filters)

    @property
    def wave_text(self) -> str:
        return f"{self.t('wave')} {self.wave}: {self.wave_label}"

    @property
    def hidden_text(self) -> str:
        return self.t("hidden", k=self.k)

    def reason_text(self, reason: str, comments: bool = False) -> str:
        """Why a cell is hidden, in words; gap and trend reasons carry a side prefix ('a: ', 'before: ')."""
        _, _, code = reason.rpartition(": ")
        key = f"reason_{code}"
        try:
            return tr(key, self.lang, k=self.comment_k if comments else self.k)
        except KeyError:
            return code

    # ----- results (every number comes from the engine) ---------------------------------------

    @cached_property
    def participation_by(self) -> Result:
        """Respondents and response rate per option of the breakdown attribute (or of the population alone)."""
        return engine.participation(self.con, self.scope, by=self.by)

    @cached_property
    def participation(self) -> dict[str | None, Result]:
        """Respondents and response rate per option of every unfiltered attribute, the breakdown first."""
        filtered = dict(self.scope.filters)
        others = [x for x in self.instrument.attributes if x not in filtered and x != self.by]
        return {self.by: self.participation_by, **{x: engine.participation(self.con, self.scope, by=x) for x in others}}

    @cached_property
    def representation(self) -> dict[str, object]:
        """Shop-floor response rate ÷ the other shown levels' (analysis.representation), from the shown participation."""
        return engine.representation(self.con, self.scope)

    def representation_lines(self) -> list[str]:
        """The representation ratio in words for every export: the ratio, the flag with what to do, what was left out."""
        rep = self.representation
        if rep["ratio"] is None:
            return [self.t("representation_none")]
        focus = self.option_label(rep["attribute"], rep["focus"])
        lines = [
            self.t(
                "representation_line",
                focus=focus,
                focus_rate=percent(rep["focus_rate"], self.lang),
                others_rate=percent(rep["others_rate"], self.lang),
                ratio=number(rep["ratio"], 2, self.lang),
                limit=number(rep["flag_below"], 1, self.lang),
            )
        ]
        if rep["flagged"]:
            lines.append(self.t("representation_flag", focus=focus))
        if rep["excluded"]:
            lines.append(
                self.t("representation_excluded", groups=", ".join(self.option_label(rep["attribute"], o) for o in rep["excluded"]))
            )
        return lines

    @cached_property
    def population(self) -> tuple[int | None, float | None]:
        """The scope's respondents and response rate, None where hidden or unknown."""
        frame = self.participation_by.data
        row = frame[frame["group"] == "all"].iloc[0]
        if bool(row["suppressed"]):
            return None, None
        rate = row["response_rate"]
        return int(row["n"]), (None if pd.isna(rate) else float(rate))

    @property
    def respondents(self) -> int | None:
        return self.population[0]

    @property
    def population_shown(self) -> bool:
        return self.population[0] is not None

    @cached_property
    def heatmap_dimensions(self) -> Result:
        return engine.heatmap(self.con, self.scope, unit="dimension", by=self.by)

    @cached_property
    def heatmap_items(self) -> Result:
        return engine.heatmap(self.con, self.scope, unit="item", by=self.by)

    @cached_property
    def gaps_dimensions(self) -> Result | None:
        return engine.gaps(self.con, self.scope, *self.pair, unit="dimension") if self.pair else None

    @cached_property
    def gaps_items(self) -> Result | None:
        return engine.gaps(self.con, self.scope, *self.pair, unit="item") if self.pair else None

    @cached_property
    def value(self) -> ValueAtStake | None:
        if self.instrument.value_at_stake is None or self.pair is None:
            return None
        return engine.value_at_stake(self.con, self.scope, by=self.by, a=self.pair[0], b=self.pair[1])

    @cached_property
    def insights(self) -> Insights:
        return engine.insights(self.con, self.scope)

    def insight_tables(self, rows: int = 8) -> list[tuple[str, list[str], list[list[str]]]]:
        """Blind spots (largest first), overall ambition per area and the ranked value hypotheses, as text tables in the
        report's language: every export shows the same (shown, never hidden) numbers. A table with no shown row is left out."""
        found, lang = self.insights, self.lang
        tables: list[tuple[str, list[str], list[list[str]]]] = []
        blind = found.blind_spots[~found.blind_spots["suppressed"].astype(bool)]
        blind = blind.reindex(blind["diff"].abs().sort_values(ascending=False).index).head(rows)
        if len(blind):
            header = [
                self.t(c)
                for c in ("col_by", "col_about", "col_area", "col_predicted", "col_actual", "col_blind_spot", "col_ci", "col_p_adj")
            ]
            body = [
                [
                    self.group_label(b["by"]),
                    self.group_label(b["about"]),
                    self.dimension_label(b["dimension"]),
                    number(b["predicted"], 2, lang),
                    number(b["actual"], 2, lang),
                    number(b["diff"], 2, lang, sign=True),
                    f"{number(b['ci_low'], 2, lang, sign=True)} … {number(b['ci_high'], 2, lang, sign=True)}",
                    p_text(b["p_adj"], lang),
                ]
                for b in blind.to_dict("records")
            ]
            tables.append((self.t("blind_spots_title"), header, body))
        ambition = found.ambition[(found.ambition["group"] == "all") & ~found.ambition["suppressed"].astype(bool)]
        if len(ambition):
            header = [self.t(c) for c in ("col_area", "col_now", "col_target", "col_ambition", "col_ci")] + ["n"]
            body = [
                [
                    self.dimension_label(a["dimension"]),
                    number(a["current"], 2, lang),
                    number(a["target"], 2, lang),
                    number(a["gap"], 2, lang, sign=True),
                    f"{number(a['ci_low'], 2, lang, sign=True)} … {number(a['ci_high'], 2, lang, sign=True)}",
                    str(int(a["n"])),
                ]
                for a in ambition.to_dict("records")
            ]
            tables.append((self.t("ambition_title"), header, body))
        if len(found.priorities):
            header = [self.t(c) for c in ("col_rank", "col_area", "col_loss", "col_misalignment", "col_ambition", "col_eur", "col_score")]
            body = [
                [
                    str(int(h["rank"])),
                    self.dimension_label(h["dimension"]),
                    self.loss_label(h["loss"]) if isinstance(h["loss"], str) else "—",
                    number(h["misalignment"], 2, lang, sign=True),
                    number(h["ambition"], 2, lang, sign=True),
                    euros(h["eur_per_year"], lang) or "—",
                    number(h["score"], 2, lang),
                ]
                for h in found.priorities.to_dict("records")
            ]
            tables.append((self.t("priorities_title"), header, body))
        return tables

    @cached_property
    def findings(self) -> list[str]:
        """The written findings of the summary (analysis.insights.findings) in the report's language, most important first.

        Built from the same suppressed numbers as the rest of the export, for the report's gap pair; none when
        the selection itself is hidden.
        """
        if not self.population_shown:
            return []
        pair = self.pair or (None, None)
        doc = engine.summary(self.con, self.scope, *pair)
        return [f["text"].get(self.lang) or f["text"]["en"] for f in doc["findings"]]

    @cached_property
    def comments(self) -> Result:
        return engine.comments(self.con, self.scope, by=self.by, seed=self.seed)

    @cached_property
    def reliability(self) -> Result:
        return engine.reliability(self.con, self.scope)

    @cached_property
    def _trend(self) -> tuple[Result | None, str | None]:
        """The comparison with the earlier wave, or the note saying why it failed (the rest of the export still stands)."""
        if self.earlier_wave is None:
            return None, None
        try:
            return engine.trend(self.con, self.scope, self.earlier_wave, unit="dimension", by=self.by), None
        except ValueError as exc:
            return None, self.t("note_trend_failed", why=str(exc))

    @property
    def trend(self) -> Result | None:
        return self._trend[0]

    @cached_property
    def closure(self) -> Closure | None:
        """Gap closure over the campaign's waves for the report's pair and filters; None without actions or a pair."""
        if self.pair is None:
            return None
        try:
            result = engine.closure(self.con, self.scope, *self.pair)
        except ValueError:
            return None
        return result if not result.actions.empty else None

    def target_label(self, kind: str, target: str) -> str:
        """What an action answers, in the report's language."""
        try:
            return {"loss": self.labels.loss, "item": self.labels.item}.get(kind, self.labels.dimension)(target)
        except (KeyError, ValueError):
            return target

    @cached_property
    def distribution_items(self) -> list[str]:
        """The statements whose answer distributions are drawn: those with the largest shown gaps."""
        gaps = self.gaps_items
        if gaps is None or not self.population_shown:
            return []
        shown = gaps.data[~gaps.data["suppressed"]]
        return [str(x) for x in shown["unit"].head(DISTRIBUTION_ITEMS)]

    def distribution(self, item_id: str) -> Result:
        """One statement's answer distribution per group (fetched once per statement)."""
        if item_id not in self._distributions:
            self._distributions[item_id] = engine.item_distribution(self.con, self.scope, item_id, by=self.by, lang=self.instrument_lang)
        return self._distributions[item_id]

    @property
    def instrument_lang(self) -> str:
        return self.lang if self.lang in self.instrument.languages else self.instrument.languages[0]

    def top_gaps(self, count: int = DISCUSSION_GAPS) -> pd.DataFrame:
        """The largest shown dimension gaps, largest |gap| first (the engine's order)."""
        if self.gaps_dimensions is None:
            return pd.DataFrame()
        frame = self.gaps_dimensions.data
        return frame[~frame["suppressed"]].head(count)

    @cached_property
    def top_loss(self) -> TopLoss | None:
        """The loss ranked first, or None without value at stake (or without a ranking)."""
        if self.value is None or self.value.ranking.empty:
            return None
        top = self.value.ranking.iloc[0]
        share_a, share_b = (None if pd.isna(top[s]) else float(top[s]) for s in ("share_a", "share_b"))
        return TopLoss(self.loss_label(str(top["loss"])), euros(top["eur_per_year"], self.lang), share_a, share_b)

    def value_take(self) -> str:
        """One sentence on the top loss and its estimate: the lead of the HTML report's value section."""
        top = self.top_loss
        if top is None:
            return ""
        return self.t("deck_value_take", loss=top.label, eur=self.t("deck_eur", eur=top.eur) if top.eur else "")

    def item_gaps_of(self, dimension: str, count: int = 2) -> pd.DataFrame:
        if self.gaps_items is None:
            return pd.DataFrame()
        frame = self.gaps_items.data
        return frame[(~frame["suppressed"]) & (frame["dimension"] == dimension)].head(count)

    @cached_property
    def actions(self) -> list[ActionLine]:
        """Every action of the campaign (published or not): exports are for leadership, behind sign-in."""
        return action_lines(self.con, self.campaign.campaign_id, published_only=False)

    def action_rows(self) -> list[dict[str, str]]:
        """The action list as text, one row per action: what the report's table and the deck's slide show."""
        rows = []
        for a in self.actions:
            kpi = f"{a.kpi} ({a.kpi_baseline})" if a.kpi and a.kpi_baseline else (a.kpi or "")
            rows.append(
                {
                    "title": a.title,
                    "owner": a.owner,
                    "due": a.due.isoformat() if a.due else "",
                    "status": a.status_word(self.lang),
                    "state": a.status,
                    "answers": target_text(a, self.labels),
                    "loss": self.loss_label(a.loss) if a.loss else "",
                    "eur": euros(a.eur_per_year, self.lang) if a.eur_per_year is not None else "",
                    "kpi": kpi,
                    "public": self.t("actions_public") if a.published else "",
                }
            )
        return rows

    # ----- notes ------------------------------------------------------------------------------

    def notes(self) -> list[str]:
        """What a reader must know about this export: empty, hidden population, parts left out."""
        out: list[str] = []
        if not self.has_responses:
            out.append(self.t("note_empty"))
        elif not self.population_shown:
            out.append(self.t("note_population_hidden", k=self.k))
        if self.by is None:
            out.append(self.t("note_no_by"))
        if self.instrument.value_at_stake is None:
            out.append(self.t("note_no_value"))
        trend_failed = self._trend[1]
        return out + ([trend_failed] if trend_failed else [])

    def hidden_groups(self) -> list[tuple[str, str]]:
        """(group, why) for every group hidden in the heatmaps or the comments, once each: the 'what is hidden' list."""
        seen: dict[tuple[str, str], None] = {}
        for result in (self.heatmap_dimensions, self.heatmap_items):
            for cell in result.anonymity.hidden:
                seen[(self.group_label(cell.group), self.reason_text(cell.reason))] = None
        for cell in self.comments.anonymity.hidden:
            seen[(f"{self.group_label(cell.group)} ({self.t('comments').lower()})", self.reason_text(cell.reason, comments=True))] = None
        return list(seen)

    def comment_notes(self) -> list[str]:
        hidden = [self.group_label(g) for g in self.comments.anonymity.hidden_groups if g != "all"]
        if hidden and self.population_shown:
            return [self.t("note_comments_hidden", ck=self.comment_k, groups=", ".join(hidden))]
        return []

    def definitions(self) -> list[tuple[str, str]]:
        """(term, explanation) pairs shared by the workbook, the report and the deck."""
        a, b = self.pair_labels
        scale = self.instrument.scale
        items = [
            ("def_score", {"min": scale.min, "max": scale.max}),
            ("def_ci", {}),
            ("def_gap", {"a": a, "b": b}),
            ("def_effect", {}),
            ("def_p", {}),
            ("def_rwg", {}),
            ("def_alpha", {}),
            ("def_value", {"a": a, "b": b}),
            ("def_anonymity", {"k": self.k, "ck": self.comment_k, "hidden": self.hidden_text}),
            ("def_comments", {"ck": self.comment_k}),
        ]
        out = []
        for key, values in items:
            text = self.t(key, **values)
            term, _, rest = text.partition(": ")
            out.append((term, rest[:1].upper() + rest[1:]))
        return out

    def scope_text(self) -> str:
        """One line naming the campaign, wave, filters and threshold, for chart subtitles and footers."""
        return self.t("chart_subtitle", campaign=self.campaign.name, wave=self.wave_text, filters=self.filters_text, k=self.k)

    def audit_detail(self) -> str:
        filters = ",".join(f"{a}={o}" for a, o in self.scope.filters) or "none"
        return f"campaign={self.campaign.campaign_id} wave={self.wave} filters={filters}"
