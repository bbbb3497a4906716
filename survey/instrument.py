"""The questionnaire as data: load a YAML instrument, report every problem with its path, freeze it."""

from __future__ import annotations

import hashlib
import re
import reprlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_INSTRUMENT_PATH = Path(__file__).parent / "instruments" / "industry40_alignment.yaml"
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$")
_RESERVED_COLUMNS = {"response_id", "campaign", "wave", "submitted_on", "language", "dimension", "item_id", "value"}
# Far above any real questionnaire; they bound the work on a file whose YAML anchors describe millions of entries.
MAX_LANGUAGES, MAX_ATTRIBUTES, MAX_OPTIONS, MAX_DIMENSIONS, MAX_ITEMS, MAX_LOSSES = 30, 50, 1000, 50, 500, 100

Text = dict[str, str]
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 2, 4, 3, 60, 60


def _shown(value: Any) -> str:
    """A short repr for problem messages: a value built from YAML anchors can be enormous when spelled out."""
    return _REPR.repr(value)


class InstrumentError(ValueError):
    """A questionnaire that cannot be used; `problems` lists every one with its path."""

    def __init__(self, problems: list[str], source: str = "instrument") -> None:
        self.problems = problems
        self.source = source
        super().__init__(f"{source}: {len(problems)} problem(s)\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Scale:
    min: int
    max: int
    dont_know: bool
    labels: dict[str, tuple[str, ...]]
    dont_know_label: Text

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(range(self.min, self.max + 1))

    def label(self, value: int, lang: str) -> str:
        labels = self.labels.get(lang, ())
        if len(labels) == len(self.values):
            return labels[value - self.min]
        if labels and value in (self.min, self.max):
            return labels[0] if value == self.min else labels[-1]
        return str(value)


@dataclass(frozen=True)
class Attribute:
    id: str
    label: Text
    options: dict[str, Text]
    required: bool = True

    def option_for(self, raw: str) -> str | None:
        """Map an option id or its label in any language (case-insensitive) to the option id."""
        needle = str(raw).strip().casefold()
        for option_id, labels in self.options.items():
            if needle == option_id.casefold() or any(needle == t.strip().casefold() for t in labels.values()):
                return option_id
        return None


@dataclass(frozen=True)
class Item:
    id: str
    dimension: str
    text: Text
    reverse: bool = False


@dataclass(frozen=True)
class Dimension:
    id: str
    label: Text
    items: tuple[Item, ...]
    description: Text | None = None
    comment_prompt: Text | None = None


@dataclass(frozen=True)
class ValueAtStake:
    prompt: Text
    losses: dict[str, Text]
    max_choices: int = 3


@dataclass(frozen=True)
class Targets:
    """'Where should we be in two years?': one rating per listed dimension, on the instrument's scale."""

    prompt: Text
    questions: dict[str, Text]  # dimension id -> question, in instrument order


@dataclass(frozen=True)
class MetaPerception:
    """How a respondent thinks another level answers: one question per reference level and dimension, on the instrument's scale.

    The reference levels are options of one attribute (`level` in the default instrument); a respondent is
    never asked about their own option, because a prediction of one's own group is an answer, not a perception.
    """

    attribute: str
    prompt: Text
    questions: dict[str, dict[str, Text]]  # reference option -> dimension id -> question

    @property
    def about(self) -> tuple[str, ...]:
        return tuple(self.questions)

    def asked_of(self, own: str | None) -> tuple[str, ...]:
        """The reference levels a respondent of option `own` predicts: every one but their own."""
        return tuple(option for option in self.questions if option != own)


@dataclass(frozen=True)
class Instrument:
    id: str
    version: int
    languages: tuple[str, ...]
    title: Text
    scale: Scale
    attributes: dict[str, Attribute]
    dimensions: tuple[Dimension, ...]
    intro: Text | None = None
    value_at_stake: ValueAtStake | None = None
    source_text: str = ""
    targets: Targets | None = None
    meta_perception: MetaPerception | None = None

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for dim in self.dimensions for item in dim.items)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @property
    def dimension_ids(self) -> tuple[str, ...]:
        return tuple(dim.id for dim in self.dimensions)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def dimension(self, dimension_id: str) -> Dimension:
        for dim in self.dimensions:
            if dim.id == dimension_id:
                return dim
        raise KeyError(dimension_id)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.source_text.encode("utf-8")).hexdigest()[:16]


class _Checker:
    """Collects problems while walking the raw YAML, so a bad file reports all of them at once."""

    def __init__(self, languages: tuple[str, ...]) -> None:
        self.languages = languages
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def bounded(self, entries: list, path: str, limit: int, rule: str | None = None) -> list:
        """The first `limit` entries; any beyond are reported once and not walked."""
        if len(entries) > limit:
            self.problem(path, rule or f"at most {limit} entries, got {len(entries)}")
            return entries[: max(0, limit)]
        return entries

    def mapping(self, node: Any, path: str) -> dict | None:
        if node is None:
            self.problem(path, "missing")
            return None
        if not isinstance(node, dict):
            self.problem(path, f"must be a mapping, got {type(node).__name__}")
            return None
        return node

    def text(self, node: Any, path: str, required: bool = True) -> Text | None:
        if node is None and not required:
            return None
        if isinstance(node, str) and len(self.languages) == 1:
            return {self.languages[0]: node}
        node = self.mapping(node, path)
        if node is None:
            return None
        out: Text = {}
        for lang in self.languages:
            value = node.get(lang)
            if value is None or (isinstance(value, str) and not value.strip()):
                self.problem(f"{path}.{lang}", "missing")
            elif not isinstance(value, str | int | float):
                self.problem(f"{path}.{lang}", "must be text")
            else:
                out[lang] = str(value)
        for lang in node:
            if lang not in self.languages:
                self.problem(f"{path}.{lang}", f"language not declared in languages {list(self.languages)}")
        return out

    def ident(self, value: Any, path: str) -> str | None:
        if not isinstance(value, str) or not _ID.match(value):
            self.problem(path, f"must be an id (a letter, then letters, digits, _ or -), got {_shown(value)}")
            return None
        return value

    def integer(self, value: Any, path: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(path, f"must be a whole number, got {_shown(value)}" if value is not None else "missing")
            return None
        return value


def _scale(c: _Checker, node: Any) -> Scale | None:
    node = c.mapping(node, "scale")
    if node is None:
        return None
    lo, hi = c.integer(node.get("min"), "scale.min"), c.integer(node.get("max"), "scale.max")
    if lo is not None and hi is not None and hi <= lo:
        c.problem("scale", f"max ({hi}) must be greater than min ({lo})")
    if lo is not None and hi is not None and hi - lo > 100:
        c.problem("scale", "at most 101 points")
    dont_know = node.get("dont_know", True)
    if not isinstance(dont_know, bool):
        c.problem("scale.dont_know", "must be true or false")
    labels: dict[str, tuple[str, ...]] = {}
    raw_labels = node.get("labels")
    if raw_labels is not None:
        raw_labels = c.mapping(raw_labels, "scale.labels") or {}
        for lang in c.languages:
            seq = raw_labels.get(lang)
            if not isinstance(seq, list) or not all(isinstance(x, str) and x.strip() for x in seq):
                c.problem(f"scale.labels.{lang}", "missing" if seq is None else "must be a list of texts")
                continue
            if lo is not None and hi is not None and hi > lo and len(seq) not in (2, hi - lo + 1):
                c.problem(f"scale.labels.{lang}", f"needs {hi - lo + 1} labels (one per point) or 2 (the ends), got {len(seq)}")
            labels[lang] = tuple(seq)
    dk_label = c.text(node.get("dont_know_label"), "scale.dont_know_label", required=False)
    if dk_label is None:
        dk_label = {lang: "Don't know" if lang == "en" else "?" for lang in c.languages}
        if "nl" in dk_label:
            dk_label["nl"] = "Weet ik niet"
    if lo is None or hi is None:
        return None
    return Scale(lo, hi, bool(dont_know), labels, dk_label)


def _attributes(c: _Checker, node: Any) -> dict[str, Attribute]:
    node = c.mapping(node, "attributes")
    out: dict[str, Attribute] = {}
    if node is None:
        return out
    if not node:
        c.problem("attributes", "at least one attribute (e.g. level) is needed")
    for attr_id, spec in c.bounded(list(node.items()), "attributes", MAX_ATTRIBUTES):
        path = f"attributes.{attr_id}"
        if c.ident(attr_id, path) is None:
            continue
        if attr_id in _RESERVED_COLUMNS:
            c.problem(path, f"'{attr_id}' is a reserved column name")
        spec = c.mapping(spec, path)
        if spec is None:
            continue
        label = c.text(spec.get("label"), f"{path}.label")
        options_node = c.mapping(spec.get("options"), f"{path}.options")
        options: dict[str, Text] = {}
        if options_node is not None:
            if len(options_node) < 2:
                c.problem(f"{path}.options", "needs at least two options")
            for opt_id, opt_label in c.bounded(list(options_node.items()), f"{path}.options", MAX_OPTIONS):
                opt_path = f"{path}.options.{opt_id}"
                if c.ident(str(opt_id), opt_path) is None:
                    continue
                text = c.text(opt_label, opt_path)
                if text is not None:
                    options[str(opt_id)] = text
        required = spec.get("required", True)
        if not isinstance(required, bool):
            c.problem(f"{path}.required", "must be true or false")
        if label is not None:
            out[attr_id] = Attribute(attr_id, label, options, bool(required))
    return out


def _dimensions(c: _Checker, node: Any) -> tuple[Dimension, ...]:
    if not isinstance(node, list) or not node:
        c.problem("dimensions", "missing" if node is None else "must be a non-empty list")
        return ()
    dims: list[Dimension] = []
    seen_dims: dict[str, str] = {}
    seen_items: dict[str, str] = {}
    walked = 0
    for i, raw in enumerate(c.bounded(node, "dimensions", MAX_DIMENSIONS)):
        path = f"dimensions[{i}]"
        raw = c.mapping(raw, path)
        if raw is None:
            continue
        dim_id = c.ident(raw.get("id"), f"{path}.id")
        if dim_id in seen_dims:
            c.problem(f"{path}.id", f"duplicate dimension id '{dim_id}' (also {seen_dims[dim_id]})")
        elif dim_id:
            seen_dims[dim_id] = path
        label = c.text(raw.get("label"), f"{path}.label")
        description = c.text(raw.get("description"), f"{path}.description", required=False)
        comment_prompt = c.text(raw.get("comment_prompt"), f"{path}.comment_prompt", required=False)
        raw_items = raw.get("items")
        items: list[Item] = []
        if not isinstance(raw_items, list) or not raw_items:
            c.problem(f"{path}.items", "missing" if raw_items is None else "must be a non-empty list")
            raw_items = []
        raw_items = c.bounded(raw_items, f"{path}.items", MAX_ITEMS - walked, f"at most {MAX_ITEMS} items in all dimensions together")
        walked += len(raw_items)
        for j, raw_item in enumerate(raw_items):
            ipath = f"{path}.items[{j}]"
            raw_item = c.mapping(raw_item, ipath)
            if raw_item is None:
                continue
            item_id = c.ident(raw_item.get("id"), f"{ipath}.id")
            if item_id is not None and item_id.startswith("comment_"):
                c.problem(f"{ipath}.id", "item ids may not start with 'comment_' (reserved for comment columns)")
            if item_id in seen_items:
                c.problem(f"{ipath}.id", f"duplicate item id '{item_id}' (also {seen_items[item_id]})")
            elif item_id:
                seen_items[item_id] = ipath
            text = c.text(raw_item.get("text"), f"{ipath}.text")
            reverse = raw_item.get("reverse", False)
            if not isinstance(reverse, bool):
                c.problem(f"{ipath}.reverse", f"must be true or false, got {_shown(reverse)}")
            if item_id and text is not None and dim_id:
                items.append(Item(item_id, dim_id, text, bool(reverse)))
        if dim_id and label is not None:
            dims.append(Dimension(dim_id, label, tuple(items), description, comment_prompt))
    return tuple(dims)


def _value_at_stake(c: _Checker, node: Any) -> ValueAtStake | None:
    if node is None:
        return None
    node = c.mapping(node, "value_at_stake")
    if node is None:
        return None
    prompt = c.text(node.get("prompt"), "value_at_stake.prompt")
    losses_node = c.mapping(node.get("losses"), "value_at_stake.losses") or {}
    losses: dict[str, Text] = {}
    for loss_id, label in c.bounded(list(losses_node.items()), "value_at_stake.losses", MAX_LOSSES):
        lpath = f"value_at_stake.losses.{loss_id}"
        if c.ident(str(loss_id), lpath) is None:
            continue
        text = c.text(label, lpath)
        if text is not None:
            losses[str(loss_id)] = text
    max_choices = c.integer(node.get("max_choices", 3), "value_at_stake.max_choices")
    if max_choices is not None and max_choices < 1:
        c.problem("value_at_stake.max_choices", "must be at least 1")
    if prompt is None or max_choices is None:
        return None
    return ValueAtStake(prompt, losses, max_choices)


def _targets(c: _Checker, node: Any, dimensions: tuple[str, ...]) -> Targets | None:
    if node is None:
        return None
    node = c.mapping(node, "targets")
    if node is None:
        return None
    for key in node:
        if key not in ("prompt", "questions"):
            c.problem(f"targets.{key}", "unknown key (allowed: prompt, questions)")
    prompt = c.text(node.get("prompt"), "targets.prompt")
    questions_node = c.mapping(node.get("questions"), "targets.questions") or {}
    questions: dict[str, Text] = {}
    for dim_id, text in c.bounded(list(questions_node.items()), "targets.questions", MAX_DIMENSIONS):
        path = f"targets.questions.{dim_id}"
        if dim_id not in dimensions:
            c.problem(path, f"unknown dimension (dimensions: {', '.join(dimensions)})")
            continue
        checked = c.text(text, path)
        if checked is not None:
            questions[str(dim_id)] = checked
    if node.get("questions") is not None and not questions_node:
        c.problem("targets.questions", "needs at least one dimension")
    if prompt is None:
        return None
    return Targets(prompt, {d: questions[d] for d in dimensions if d in questions})


def _meta_perception(c: _Checker, node: Any, attributes: dict[str, Attribute], dimensions: tuple[str, ...]) -> MetaPerception | None:
    """Every reference level must be an option of the block's attribute and ask every dimension, in every language."""
    if node is None:
        return None
    node = c.mapping(node, "meta_perception")
    if node is None:
        return None
    for key in node:
        if key not in ("attribute", "prompt", "about"):
            c.problem(f"meta_perception.{key}", "unknown key (allowed: attribute, prompt, about)")
    attribute_id = node.get("attribute", "level")
    attribute = attributes.get(attribute_id) if isinstance(attribute_id, str) else None
    if attribute is None:
        c.problem("meta_perception.attribute", f"{_shown(attribute_id)} is not an attribute of this instrument")
    prompt = c.text(node.get("prompt"), "meta_perception.prompt")
    about_node = c.mapping(node.get("about"), "meta_perception.about") or {}
    if node.get("about") is not None and not about_node:
        c.problem("meta_perception.about", "needs at least one reference level")
    questions: dict[str, dict[str, Text]] = {}
    for option, per_dim in c.bounded(list(about_node.items()), "meta_perception.about", MAX_OPTIONS):
        path = f"meta_perception.about.{option}"
        if attribute is not None and option not in attribute.options:
            c.problem(path, f"not an option of {attribute.id} ({', '.join(attribute.options)})")
            continue
        per_dim = c.mapping(per_dim, path) or {}
        texts: dict[str, Text] = {}
        for dim_id in dimensions:
            if dim_id not in per_dim:
                c.problem(f"{path}.{dim_id}", "missing (one question per dimension)")
        for dim_id, text in per_dim.items():
            if dim_id not in dimensions:
                c.problem(f"{path}.{dim_id}", f"unknown dimension (dimensions: {', '.join(dimensions)})")
                continue
            checked = c.text(text, f"{path}.{dim_id}")
            if checked is not None:
                texts[str(dim_id)] = checked
        questions[str(option)] = {d: texts[d] for d in dimensions if d in texts}
    if attribute is None or prompt is None:
        return None
    return MetaPerception(attribute.id, prompt, questions)


# libyaml's loader when PyYAML was built with it (the wheels are): the same safe subset, ~10x faster.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# What a questionnaire file may be before it is parsed into objects. The shipped instrument is 6 levels
# deep, ~2,000 nodes and ~30 KB; these are far above any real one and far below what hurts the server.
MAX_INSTRUMENT_BYTES = 1_000_000
MAX_DEPTH = 20
MAX_NODES = 1_000_000
_OPENS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSES = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _where(event: yaml.Event) -> str:
    mark = event.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"


def shape_problem(text: str) -> str | None:
    """Why this YAML text must not be loaded at all, or None: too large, nested too deep, or anchors that expand too far.

    libyaml's loader builds nested lists and mappings by recursion in C: 30,000 levels of `[` (60 KB)
    overflow the C stack and kill the whole process, which no `except` can catch. So the text is first
    read as a stream of parse events (the parser keeps its own stack on the heap and never recurses)
    with a depth counter, and refused at the first level past MAX_DEPTH, before anything recursive
    sees it. The same pass counts the nodes the document would have with every alias spelled out
    (and the depth an alias reaches), so a few hundred bytes of anchors cannot stand for billions of
    nodes ("billion laughs"), and an anchor that contains itself is refused.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_INSTRUMENT_BYTES:
        return f"file: {size:,} bytes, more than the {MAX_INSTRUMENT_BYTES:,} an instrument may have"
    opened: list[tuple[str | None, int, int]] = []  # per open collection: anchor, nodes before it, tallest child
    nodes: dict[str, tuple[int, int]] = {}  # anchor -> (nodes with aliases expanded, height)
    expanded = 0
    try:
        for event in yaml.parse(text, Loader=SAFE_LOADER):
            height = 0
            if isinstance(event, _OPENS):
                if len(opened) >= MAX_DEPTH:
                    return f"{_where(event)}: nested deeper than {MAX_DEPTH} levels; an instrument needs about 6"
                opened.append((event.anchor, expanded, 0))
                expanded += 1
                continue
            if isinstance(event, _CLOSES):
                anchor, before, height = opened.pop()
                height += 1
                if anchor is not None:
                    nodes[anchor] = (expanded - before, height)
            elif isinstance(event, yaml.ScalarEvent):
                expanded += 1
                if event.anchor is not None:
                    nodes[event.anchor] = (1, 0)
            elif isinstance(event, yaml.AliasEvent):
                if any(anchor == event.anchor for anchor, _, _ in opened):
                    return f"{_where(event)}: the alias *{event.anchor} refers to a node that contains it"
                count, height = nodes.get(event.anchor, (1, 0))  # an unknown anchor is the loader's to report
                expanded += count
            else:
                continue
            if opened:
                anchor, before, tallest = opened[-1]
                opened[-1] = (anchor, before, max(tallest, height))
            if len(opened) + height > MAX_DEPTH:
                return f"{_where(event)}: nested deeper than {MAX_DEPTH} levels (through aliases); an instrument needs about 6"
            if expanded > MAX_NODES:
                return f"{_where(event)}: its anchors and aliases spell out more than {MAX_NODES:,} values; write the file out plainly"
    except yaml.YAMLError:
        return None  # not valid YAML: the loader says where, with the same parser
    return None


def parse_instrument(text: str, source: str = "instrument") -> Instrument:
    """Parse and validate YAML text; raise InstrumentError listing every problem found.

    The text's shape is checked first (`shape_problem`): a file that could crash or exhaust the
    loader is refused with one problem and never parsed into objects.
    """
    shape = shape_problem(text)
    if shape is not None:
        raise InstrumentError([shape], source)
    try:
        raw = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        raise InstrumentError([f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})"], source) from exc
    except RecursionError as exc:
        raise InstrumentError(["file: nested too deeply to be an instrument (thousands of levels of [ or {)"], source) from exc
    if not isinstance(raw, dict):
        raise InstrumentError(["(top): must be a mapping with id, version, languages, title, scale, attributes, dimensions"], source)

    languages_raw = raw.get("languages")
    if not isinstance(languages_raw, list) or not languages_raw or not all(isinstance(x, str) for x in languages_raw):
        early = ["languages: missing" if languages_raw is None else "languages: must be a non-empty list like [en, nl]"]
        languages: tuple[str, ...] = ("en",)
    elif len(languages_raw) > MAX_LANGUAGES:
        early = [f"languages: at most {MAX_LANGUAGES}, got {len(languages_raw)}"]
        languages = tuple(languages_raw[:MAX_LANGUAGES])
    else:
        early = []
        languages = tuple(languages_raw)
    c = _Checker(languages)
    c.problems.extend(early)
    if len(set(languages)) != len(languages):
        c.problem("languages", "duplicate language")
    for key in raw:
        if key not in {
            "id",
            "version",
            "languages",
            "title",
            "intro",
            "scale",
            "attributes",
            "dimensions",
            "value_at_stake",
            "description",
            "targets",
            "meta_perception",
        }:
            c.problem(
                str(key),
                "unknown key (allowed: id, version, languages, title, intro, scale, attributes, dimensions, value_at_stake, "
                "targets, meta_perception)",
            )
    inst_id = c.ident(raw.get("id"), "id")
    version = c.integer(raw.get("version"), "version")
    title = c.text(raw.get("title"), "title")
    intro = c.text(raw.get("intro"), "intro", required=False)
    scale = _scale(c, raw.get("scale"))
    attributes = _attributes(c, raw.get("attributes"))
    dimensions = _dimensions(c, raw.get("dimensions"))
    value_at_stake = _value_at_stake(c, raw.get("value_at_stake"))
    dimension_ids = tuple(dim.id for dim in dimensions)
    targets = _targets(c, raw.get("targets"), dimension_ids)
    meta_perception = _meta_perception(c, raw.get("meta_perception"), attributes, dimension_ids)
    clash = set(attributes) & {item.id for dim in dimensions for item in dim.items}
    for name in sorted(clash):
        c.problem(f"attributes.{name}", "same id as an item; ids must be unique across attributes and items")
    if c.problems or inst_id is None or version is None or title is None or scale is None:
        raise InstrumentError(c.problems or ["(top): incomplete instrument"], source)
    return Instrument(
        inst_id, version, languages, title, scale, attributes, dimensions, intro, value_at_stake, text, targets, meta_perception
    )


def load_instrument(path: str | Path) -> Instrument:
    """Read and validate an instrument file; unreadable files are reported like any other problem."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_INSTRUMENT_BYTES:  # refused before it is read: a mistaken path can name a huge file
            raise InstrumentError([f"{path}: {size:,} bytes, more than the {MAX_INSTRUMENT_BYTES:,} an instrument may have"], str(path))
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InstrumentError([f"{path}: file not found"], str(path)) from exc
    except UnicodeDecodeError as exc:
        raise InstrumentError([f"{path}: not UTF-8 text (byte {exc.start})"], str(path)) from exc
    return parse_instrument(text, str(path))


def default_instrument() -> Instrument:
    """The Industry 4.0 alignment questionnaire shipped with the package."""
    return load_instrument(DEFAULT_INSTRUMENT_PATH)
