"""The anonymity adversary: every number a leader can obtain, over every filter and grouping, solved by exact linear algebra.

The adversary here is stronger than a real reader: it knows every respondent's attributes and which
questions each one left as "don't know", and wants to learn anything about the answers of fewer
than k people. Each published mean times its n is a linear function of the unknown answers (an
item: the sum of its answers over the cell; a dimension: the sum over the cell of each
respondent's mean of answered items; a loss: how many named it), so a statistic of a small group
is learned exactly when some function of only that group's answers lies in the row space of
everything published. That is checked with the null space of the published rows, for every single
respondent and every combination of attribute values that holds fewer than k people (respondents
who left optional attributes empty included). Counts are attacked the same way with the counts of
every combination of attribute values as unknowns. Comments are attacked by intersection: every
group a comment was shown under is combined.

The same adversary, run against the rules alone (the audit switched off, comments readable under
any attribute: the code before the audit), finds the don't-know, optional-attribute and comment
attacks; against the product it finds nothing.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
from scipy import linalg

from analysis import engine
from analysis import scope as scope_module
from analysis.engine import Scope
from analysis.insights.agreement import agreement_a
from analysis.scope import MAX_ATTRIBUTES
from survey.campaigns import create_campaign, start_wave
from survey.instrument import parse_instrument
from survey.responses import insert_frames
from survey.schemas import ResponseFrames
from survey.store import Database, transaction

pytestmark = pytest.mark.slow  # an adversary's search over many random campaigns

ADVERSARY = """
id: adversary
version: 1
languages: [en]
title: {en: Adversary}
scale: {min: 1, max: 5, dont_know: true, labels: {en: [Disagree, Agree]}}
attributes:
  level: {label: {en: Level}, options: {board: {en: Board}, shop: {en: Shop}, staff: {en: Staff}}}
  site: {label: {en: Site}, required: false, options: {north: {en: North}, south: {en: South}}}
  function: {label: {en: Function}, required: false, options: {ops: {en: Ops}, qa: {en: QA}}}
dimensions:
  - id: work
    label: {en: Work}
    items:
      - {id: W1, text: {en: One}}
      - {id: W2, text: {en: Two}, reverse: true}
      - {id: W3, text: {en: Three}}
  - id: lead
    label: {en: Lead}
    items:
      - {id: L1, text: {en: One}}
      - {id: L2, text: {en: Two}}
value_at_stake:
  prompt: {en: "Which losses?"}
  losses: {downtime: {en: Downtime}, scrap: {en: Scrap}}
  max_choices: 2
targets:
  prompt: {en: "In two years?"}
  questions: {work: {en: Work then}, lead: {en: Lead then}}
meta_perception:
  attribute: level
  prompt: {en: "How do others see us?"}
  about:
    board: {work: {en: Board on work}, lead: {en: Board on lead}}
    shop: {work: {en: Shop on work}, lead: {en: Shop on lead}}
"""
INSTRUMENT = parse_instrument(ADVERSARY)
ATTRIBUTES = {"level": ["board", "shop", "staff"], "site": ["north", "south"], "function": ["ops", "qa"]}
DIMENSIONS = {"work": ["W1", "W2", "W3"], "lead": ["L1", "L2"]}
ITEMS = [i for items in DIMENSIONS.values() for i in items]
LOSSES = ["downtime", "scrap"]
VALUES = range(1, 6)
REVERSED = {"W2"}


@dataclass
class Person:
    rid: str
    attrs: dict[str, str | None]
    answers: dict[str, int | None]
    losses: set[str]
    answered_block: bool
    comment: str | None
    targets: dict[str, int] = field(default_factory=dict)
    predictions: dict[tuple[str, str], int] = field(default_factory=dict)


def population(rng: np.random.Generator, size: int, wave: int) -> list[Person]:
    """Clustered attributes (so some combinations are small), optional attributes often empty, frequent don't-knows."""
    people = []
    for i in range(size):
        attrs = {
            "level": str(rng.choice(ATTRIBUTES["level"], p=[0.2, 0.5, 0.3])),
            "site": None if rng.random() < 0.15 else str(rng.choice(ATTRIBUTES["site"], p=[0.7, 0.3])),
            "function": None if rng.random() < 0.15 else str(rng.choice(ATTRIBUTES["function"], p=[0.6, 0.4])),
        }
        answers = {item: (None if rng.random() < 0.12 else int(rng.integers(1, 6))) for item in ITEMS}
        block = rng.random() < 0.8
        losses = {loss for loss in LOSSES if block and rng.random() < 0.5}
        comment = f"w{wave} remark {i}" if rng.random() < 0.5 else None
        person = Person(f"w{wave}r{i:03d}", attrs, answers, losses, block and bool(losses), comment)
        own = np.random.default_rng((wave, i))  # ratings from a stream of their own: the populations stay as they were
        person.targets = {d: int(own.integers(1, 6)) for d in DIMENSIONS if own.random() < 0.8}
        person.predictions = {
            (about, d): int(own.integers(1, 6))
            for about in ("board", "shop")
            if about != attrs["level"]
            for d in DIMENSIONS
            if own.random() < 0.8
        }
        people.append(person)
    return people


def store(con, people_by_wave: dict[int, list[Person]], k: int, comment_k: int) -> None:
    create_campaign(con, "Adversary", INSTRUMENT, campaign_id="adv", threshold=k, comment_threshold=comment_k)
    for wave, people in people_by_wave.items():
        if wave > 1:
            start_wave(con, "adv", f"Wave {wave}")
        insert_people(con, wave, people)


def insert_people(con, wave: int, people: list[Person]) -> None:
    """People's responses to wave `wave` of campaign adv, as one import."""
    ids = [p.rid for p in people]
    responses = pd.DataFrame(
        {
            "response_id": ids,
            "campaign_id": "adv",
            "wave": np.full(len(ids), wave, dtype="int64"),
            "submitted_on": pd.Series([pd.Timestamp("2024-05-01")] * len(ids), dtype="datetime64[ns]"),
            "language": "en",
            "source": "web",
            "submission_key": pd.Series([None] * len(ids), dtype=object),
            "import_id": pd.Series([None] * len(ids), dtype=object),
        }
    )
    attrs = [(p.rid, a, v) for p in people for a, v in p.attrs.items() if v is not None]
    answers = [(p.rid, item, p.answers[item]) for p in people for item in ITEMS]
    comments = [(p.rid, "work", "en", p.comment) for p in people if p.comment]
    losses = [(p.rid, loss) for p in people for loss in sorted(p.losses)]
    frames = ResponseFrames(
        responses=responses,
        attributes=pd.DataFrame(attrs, columns=["response_id", "attribute", "value"]),
        answers=pd.DataFrame(answers, columns=["response_id", "item_id", "value"]).astype({"value": "Int16"}),
        comments=pd.DataFrame(comments, columns=["response_id", "dimension", "language", "text"]),
        value_choices=pd.DataFrame(losses, columns=["response_id", "loss"]),
        ratings=pd.DataFrame(
            [(p.rid, "target", None, d, v) for p in people for d, v in p.targets.items()]
            + [(p.rid, "prediction", about, d, v) for p in people for (about, d), v in p.predictions.items()],
            columns=["response_id", "kind", "about", "dimension", "value"],
        ).astype({"value": "Int16", "about": object}),
    )
    with transaction(con):
        insert_frames(con, frames, INSTRUMENT)


def scopes(wave: int):
    """Every view a leader can ask for: filters (each attribute none or one option) and a breakdown, two attributes at most."""
    for choice in itertools.product(*[[None, *options] for options in ATTRIBUTES.values()]):
        filters = tuple((a, o) for a, o in zip(ATTRIBUTES, choice, strict=True) if o is not None)
        for by in [None, *[a for a in ATTRIBUTES if a not in dict(filters)]]:
            if len(filters) + (by is not None) <= MAX_ATTRIBUTES:
                yield Scope("adv", wave=wave, filters=filters), by


def scored(person: Person, item: str) -> int | None:
    """The answer as scored (reverse items turned around), the value the engine's distributions count."""
    answer = person.answers[item]
    return None if answer is None else (6 - answer if item in REVERSED else answer)


def in_cell(person: Person, conditions: dict[str, str]) -> bool:
    return all(person.attrs[a] == o for a, o in conditions.items())


class Published:
    """What a leader learned: rows of linear functionals over the unknown answers, and counts over attribute combinations."""

    def __init__(self, people: list[Person]) -> None:
        self.people = people
        self.columns: dict[tuple, int] = {}
        for p in people:
            for item in ITEMS:
                if p.answers[item] is not None:
                    for v in VALUES:  # whether the (scored) answer is v: sums, squares and distributions are all linear in these
                        self.columns[(p.rid, item, v)] = len(self.columns)
            if p.answered_block:
                for loss in LOSSES:
                    self.columns[(p.rid, loss)] = len(self.columns)
            for d in p.targets:
                self.columns[(p.rid, f"t:{d}")] = len(self.columns)
            for about, d in p.predictions:
                self.columns[(p.rid, f"x:{about}:{d}")] = len(self.columns)
        self.combos = list(itertools.product(*[[*options, None] for options in ATTRIBUTES.values()]))
        self.rows: dict[bytes, np.ndarray] = {}
        self.count_rows: dict[bytes, np.ndarray] = {}
        self.comment_groups: dict[str, list[dict[str, str]]] = {}

    def _add(self, store: dict[bytes, np.ndarray], row: np.ndarray) -> None:
        if row.any():
            store[np.round(row, 9).tobytes()] = row

    def number(self, unit: str, conditions: dict[str, str], n: int) -> None:
        """One shown cell: its count and (through mean × n) its sum, as functionals."""
        row = np.zeros(len(self.columns))
        members = [p for p in self.people if in_cell(p, conditions)]
        counted = 0
        for p in members:
            if unit in ITEMS and p.answers[unit] is not None:
                for v in VALUES:
                    row[self.columns[(p.rid, unit, v)]] += v
                counted += 1
            elif unit.startswith("v:") and p.answers[unit.split(":")[1]] is not None:
                row[self.columns[(p.rid, unit.split(":")[1], int(unit.split(":")[2]))]] += 1
                counted += 1
            elif unit in DIMENSIONS:
                answered = [i for i in DIMENSIONS[unit] if p.answers[i] is not None]
                if 2 * len(answered) >= len(DIMENSIONS[unit]):
                    for i in answered:
                        for v in VALUES:
                            row[self.columns[(p.rid, i, v)]] += v / len(answered)
                    counted += 1
            elif unit in LOSSES and p.answered_block:
                row[self.columns[(p.rid, unit)]] += 1
                counted += 1
            elif unit == "respondents":
                counted += 1
            elif unit.startswith(("t:", "x:")) and (p.rid, unit) in self.columns:
                row[self.columns[(p.rid, unit)]] += 1
                counted += 1
        assert counted == n, (unit, conditions, n, counted)  # the adversary's model is the engine's
        self._add(self.rows, row)
        position = {a: i for i, a in enumerate(ATTRIBUTES)}
        counts = np.array([float(all(combo[position[a]] == o for a, o in conditions.items())) for combo in self.combos])
        self._add(self.count_rows, counts)

    def comment(self, text: str, conditions: dict[str, str]) -> None:
        self.comment_groups.setdefault(text, []).append(conditions)


def collect_insights(con, scope: Scope, conditions: dict[str, str], seen: Published) -> None:
    """Ambition cells (targets and the score they are compared with) and blind spots (the predictions, the rated level's score)."""
    found = engine.insights(con, scope)
    # The adversary reads only rows not marked hidden, so a hidden row must carry nothing (these frames skip analysis.schemas).
    for frame, numbers in (
        (found.ambition, ["n", "n_current", "target", "current", "gap", "ci_low", "ci_high", "p"]),
        (found.blind_spots, ["predicted", "actual", "diff", "ci_low", "ci_high", "p", "p_adj", "n_by", "n_about"]),
    ):
        hidden = frame[frame["suppressed"].astype(bool)]
        assert hidden[numbers].isna().all().all(), hidden[numbers].dropna(how="all")
    for row in found.ambition.to_dict("records"):
        if not row["suppressed"]:
            cell = {**conditions, **({row["attribute"]: row["option"]} if isinstance(row["attribute"], str) else {})}
            seen.number(f"t:{row['dimension']}", cell, int(row["n"]))  # the targets' mean and n
            seen.number(row["dimension"], cell, int(row["n_current"]))  # the current score it is compared with
    for row in found.blind_spots.to_dict("records"):
        if not row["suppressed"]:
            by_level, about = row["by"].split("=")[1], row["about"].split("=")[1]
            seen.number(f"x:{about}:{row['dimension']}", {**conditions, "level": by_level}, int(row["n_by"]))
            seen.number(row["dimension"], {**conditions, "level": about}, int(row["n_about"]))


def collect(con, wave: int, people: list[Person]) -> Published:
    """Every shown number of every view a leader can open for one wave."""
    seen = Published(people)
    for scope, by in scopes(wave):
        conditions = dict(scope.filters)
        for unit_type in ("dimension", "item"):
            for row in engine.heatmap(con, scope, unit=unit_type, by=by).data.to_dict("records"):
                if not row["suppressed"]:
                    cell = {**conditions, **({row["attribute"]: row["option"]} if isinstance(row["attribute"], str) else {})}
                    seen.number(row["unit"], cell, int(row["n"]))
        # van der Eijk's A (and r_wg, the SD) are functions of a shown group's answer distribution, so the adversary is
        # given that whole distribution (the v:<item>:<value> counts) for every cell where A is shown, not only the mean.
        for row in engine.item_agreement(con, scope, by=by).data.to_dict("records"):
            if not row["suppressed"]:
                cell = {**conditions, **({row["attribute"]: row["option"]} if isinstance(row["attribute"], str) else {})}
                seen.number(row["item"], cell, int(row["n"]))
                counts = [sum(1 for p in seen.people if in_cell(p, cell) and scored(p, row["item"]) == v) for v in VALUES]
                assert agreement_a(counts) == pytest.approx(row["agreement_a"]), (row, counts)  # the model's distribution is the engine's
                for v in VALUES:
                    seen.number(f"v:{row['item']}:{v}", cell, int(row["n"]))
        pair = (("site", "north"), ("site", "south")) if "level" in conditions else (("level", "board"), ("level", "shop"))
        if "site" in conditions and "level" in conditions:
            pair = (("function", "ops"), ("function", "qa"))
        if len({*conditions, pair[0][0], *([by] if by else [])}) > MAX_ATTRIBUTES:
            continue
        for row in engine.value_at_stake(con, scope, by=by, a=pair[0], b=pair[1]).shares.to_dict("records"):
            if not row["suppressed"]:
                cell = {**conditions, **({row["attribute"]: row["option"]} if isinstance(row["attribute"], str) else {})}
                seen.number(row["loss"], cell, int(row["n"]))
        for row in engine.participation(con, scope, by=by).data.to_dict("records"):
            if not row["suppressed"]:
                cell = {**conditions, **({row["attribute"]: row["option"]} if isinstance(row["attribute"], str) else {})}
                seen.number("respondents", cell, int(row["n"]))
        collect_insights(con, scope, conditions, seen)
        for row in engine.comments(con, scope, by=by).data.to_dict("records"):
            cell = {**conditions, **({row["attribute"]: row["option"]} if isinstance(row["attribute"], str) else {})}
            seen.comment(row["text"], cell)
    return seen


def _null(rows: dict[bytes, np.ndarray], width: int) -> np.ndarray:
    if not rows:
        return np.eye(width)
    return linalg.null_space(np.vstack(list(rows.values())), rcond=1e-10)


def answer_disclosures(seen: Published, k: int) -> list[str]:
    """Small groups (single respondents, small attribute combinations) about whose answers something is determined."""
    null = _null(seen.rows, len(seen.columns))
    groups: dict[tuple[str, ...], str] = {(p.rid,): f"respondent {p.rid}" for p in seen.people}
    for combo in seen.combos:
        members = tuple(p.rid for p in seen.people if all(p.attrs[a] == c for a, c in zip(ATTRIBUTES, combo, strict=True)))
        if 1 < len(members) < k:
            groups.setdefault(members, f"the {len(members)} respondents with {dict(zip(ATTRIBUTES, combo, strict=True))}")
    found = []
    for members, label in groups.items():
        coords = [i for key, i in seen.columns.items() if key[0] in members]
        if coords and np.linalg.matrix_rank(null[coords], tol=1e-7) < len(coords):
            found.append(label)
    return found


def count_disclosures(seen: Published, k: int) -> list[str]:
    """Attribute combinations holding 1..k-1 respondents whose count (alone or with one more) is determined by the shown counts."""
    counts = np.array(
        [sum(all(p.attrs[a] == c for a, c in zip(ATTRIBUTES, combo, strict=True)) for p in seen.people) for combo in seen.combos]
    )
    occupied = np.flatnonzero(counts > 0)
    rows = {key: row[occupied] for key, row in seen.count_rows.items()}
    null = _null(rows, len(occupied))
    small = [i for i, cell in enumerate(occupied) if counts[cell] < k]
    found = []
    for size in (1, 2, 3):
        for group in itertools.combinations(small, size):
            if sum(counts[occupied[i]] for i in group) < k and np.abs(null[list(group)].sum(axis=0)).max(initial=0.0) < 1e-7:
                found.append(" + ".join(str(dict(zip(ATTRIBUTES, seen.combos[occupied[i]], strict=True))) for i in group))
    return found


def comment_disclosures(seen: Published, comment_k: int) -> list[str]:
    """Comments whose groups, intersected over every view they appeared in, hold fewer than the comment threshold."""
    found = []
    for text, groups in seen.comment_groups.items():
        known: dict[str, str] = {}
        for conditions in groups:
            known.update(conditions)
        size = sum(1 for p in seen.people if in_cell(p, known))
        if size < comment_k:
            found.append(f"{text!r} written by one of {size} with {known}")
    return found


def attack(con, people_by_wave: dict[int, list[Person]], k: int, comment_k: int) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"answers": [], "counts": [], "comments": []}
    for wave, people in people_by_wave.items():
        seen = collect(con, wave, people)
        found["answers"] += answer_disclosures(seen, k)
        found["counts"] += count_disclosures(seen, k)
        found["comments"] += comment_disclosures(seen, comment_k)
    return found


CAMPAIGNS = [(seed, size, k) for seed, size, k in [(1, 40, 5), (2, 55, 5), (3, 30, 3), (4, 70, 5), (5, 45, 4), (6, 60, 5)]]


@pytest.mark.parametrize(("seed", "size", "k"), CAMPAIGNS)
def test_the_adversary_finds_nothing_in_what_a_leader_can_see(con, seed, size, k):
    rng = np.random.default_rng(seed)
    people = {1: population(rng, size, 1), 2: population(rng, size // 2 + 8, 2)}
    store(con, people, k, k + 3)
    found = attack(con, people, k, k + 3)
    assert found == {"answers": [], "counts": [], "comments": []}


@pytest.fixture
def rules_only(monkeypatch):
    """The engine as it was before the audit: the rules' verdicts as they are, comments under any attribute."""
    monkeypatch.setattr(scope_module, "remembered_protect", lambda n, units, visible, reason, *args: (visible, reason))
    monkeypatch.setattr(engine, "reveals_one_attribute", lambda *args: True)


def test_the_same_adversary_breaks_the_rules_alone(tmp_path, rules_only):
    """Don't-know differencing, optional attributes by inclusion–exclusion and comments by intersection, on the old engine."""
    found: dict[str, list[str]] = {"answers": [], "counts": [], "comments": []}
    for seed, size, k in CAMPAIGNS[:3]:
        rng = np.random.default_rng(seed)
        people = {1: population(rng, size, 1)}
        database = Database(tmp_path / f"old{seed}.duckdb", linger_s=0, wait_s=5)
        with database.cursor() as con:
            store(con, people, k, k + 3)
            for key, items in attack(con, people, k, k + 3).items():
                found[key] += items
        database.close()
    assert any(label.startswith("respondent") for label in found["answers"]), "don't-know differencing"
    assert any("None" in label for label in found["answers"] + found["counts"]), "optional attributes"
    assert found["comments"], "comments by intersection"


def test_a_view_of_three_attributes_is_refused(con):
    people = {1: population(np.random.default_rng(9), 30, 1)}
    store(con, people, 5, 8)
    with pytest.raises(ValueError, match="at most 2 attributes"):
        engine.heatmap(con, Scope("adv", filters=(("site", "north"), ("function", "ops"))), by="level")


def summary_cells(entry: dict, conditions: dict[str, str]) -> list[tuple[dict[str, str], dict]]:
    """The shown cells of one summary entry (its `overall` and its `by` attribute and option), with their conditions."""
    found = [(conditions, entry["overall"])] if "overall" in entry else []
    for attribute, options in entry.get("by", {}).items():
        found += [({**conditions, attribute: option}, c) for option, c in options.items()]
    assert all(set(c) == {"suppressed"} for _, c in found if c.get("suppressed")), "a hidden entry carries a number"
    return [(cell, c) for cell, c in found if not c.get("suppressed") and c.get("n") is not None]


def collect_summary(con, wave: int, people: list[Person]) -> Published:
    """Every group number of `summary --json` (scores, ambition, blind spots, splits) for the wave unfiltered and under each one-option filter.

    Filters are where differencing lives (the whole minus one option's filter minus the other's is the
    group that stated neither), so the document is read under every filter it can be asked for. A split
    (van der Eijk's A) is taken as its group's whole answer distribution.
    """
    seen = Published(people)
    for filters in [(), *[((a, o),) for a, options in ATTRIBUTES.items() for o in options]]:
        doc = engine.summary(con, Scope("adv", wave=wave, filters=filters))
        conditions = dict(filters)

        for unit, entry in {**doc["dimensions"], **doc["items"]}.items():
            for cell, c in summary_cells(entry, conditions):
                seen.number(unit, cell, int(c["n"]))
        for dimension, entry in doc["ambition"].items():
            for cell, c in summary_cells(entry, conditions):
                seen.number(f"t:{dimension}", cell, int(c["n"]))
                seen.number(dimension, cell, int(c["n_current"]))
        for s in doc["blind_spots"]:
            if s.get("n_by") is not None:
                by_level, about = s["by"].split("=")[1], s["about"].split("=")[1]
                seen.number(f"x:{about}:{s['dimension']}", {**conditions, "level": by_level}, int(s["n_by"]))
                seen.number(s["dimension"], {**conditions, "level": about}, int(s["n_about"]))
        for s in doc["splits"]:
            cell = conditions if s["group"] == "all" else {**conditions, s["group"].split("=")[0]: s["group"].split("=")[1]}
            for v in VALUES:
                seen.number(f"v:{s['item']}:{v}", cell, int(s["n"]))
    return seen


@pytest.mark.parametrize(("seed", "size", "k"), [(11, 70, 5), (12, 45, 4)])
def test_the_summary_under_every_filter_gives_nothing_away(con, seed, size, k):
    """summary --json read unfiltered and under every filter, its new sections included, solved together."""
    people = {1: population(np.random.default_rng(seed), size, 1)}
    store(con, people, k, k + 3)
    seen = collect_summary(con, 1, people[1])
    assert any(key[1].startswith("t:") for key in seen.columns) and len(seen.rows) > 50, "the document must hold numbers"
    assert answer_disclosures(seen, k) == [] and count_disclosures(seen, k) == []


def test_the_summary_adversary_breaks_the_rules_alone(con, rules_only):
    """The same reading of the summary, on the engine before the audit, finds small groups: the search is not blind."""
    people = {1: population(np.random.default_rng(11), 70, 1)}
    store(con, people, 5, 8)
    seen = collect_summary(con, 1, people[1])
    assert answer_disclosures(seen, 5) + count_disclosures(seen, 5)
