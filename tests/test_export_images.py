"""Chart images: each chart alone as PNG or SVG in a folder, with a README naming them; the trend only when there is an earlier wave."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from analysis.export import export
from analysis.export.render import Renderer
from analysis.scope import Scope
from survey.campaigns import create_campaign
from survey.store import Database
from tests.conftest import MakeDemo

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def database(make_demo: MakeDemo) -> Iterator[Database]:
    db = Database(make_demo(250, seed=12, waves=2), linger_s=0)
    with db.cursor() as con:
        create_campaign(con, "Nobody yet", campaign_id="empty")
    yield db
    db.close()


def test_png_folder_holds_each_chart_alone_with_a_readme(database: Database, tmp_path: Path) -> None:
    with database.cursor() as con:
        result = export(con, "png", tmp_path / "charts", Scope("demo"))
    names = [p.name for p in sorted((tmp_path / "charts").iterdir())]
    assert names[-1] == "README.txt" and len(names) == len(result.files) == len(result.charts) + 1
    assert [n.split("_", 1)[1].removesuffix(".png") for n in names[:-1]] == list(result.charts)
    assert {"heatmap_dimensions", "heatmap_items", "gaps_dimensions", "gaps_items", "value_at_stake", "trend"} <= set(result.charts)
    assert sum(1 for c in result.charts if c.startswith("distribution_")) == 6
    for path in result.files[:-1]:
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC)
        width, height = struct.unpack(">II", data[16:24])
        assert width == 1640 and 200 < height < 6000, path.name  # 820 CSS pixels at 2x
    readme = (tmp_path / "charts" / "README.txt").read_text(encoding="utf-8")
    assert "groups under 5 hidden" in readme and "01_heatmap_dimensions.png: Scores per dimension and group" in readme


def test_svg_files_are_standalone_svg_with_titles_and_no_outside_reference(database: Database, tmp_path: Path) -> None:
    with database.cursor() as con:
        result = export(con, "svg", tmp_path / "svg", Scope("demo", wave=1), lang="nl")
    assert "trend" not in result.charts  # wave 1 has no earlier wave
    for path in result.files[:-1]:
        root = ET.fromstring(path.read_text(encoding="utf-8"))
        assert root.tag.endswith("svg")
        texts = [t.text or "" for t in root.iter() if t.tag.endswith("text")]
        assert any("Demo: Industry 4.0 coherence scan" in t for t in texts), path.name
        hrefs = [v for el in root.iter() for k, v in el.attrib.items() if k.endswith("href")]
        assert not [h for h in hrefs if not h.startswith(("#", "data:"))]
    heatmap = (tmp_path / "svg" / "01_heatmap_dimensions.svg").read_text(encoding="utf-8")
    assert "Bestuur / directieteam" in heatmap and "Scores per onderdeel en groep" in heatmap and ">gemiddelde<" in heatmap
    distribution = next((tmp_path / "svg").glob("*_distribution_*.svg")).read_text(encoding="utf-8")
    assert "% van de antwoorden" in distribution and "% of answers" not in distribution


def test_zero_responses_is_a_folder_with_only_the_readme_and_its_note(database: Database, tmp_path: Path) -> None:
    with database.cursor() as con:
        result = export(con, "png", tmp_path / "empty", Scope("empty"))
    assert [p.name for p in (tmp_path / "empty").iterdir()] == ["README.txt"]
    assert result.charts == () and result.empty
    assert "No responses in this wave yet" in (tmp_path / "empty" / "README.txt").read_text(encoding="utf-8")


def test_progress_rises_to_one_with_a_name_for_each_step(database: Database, tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    with database.cursor() as con:
        export(con, "svg", tmp_path / "svg", Scope("demo"), progress=lambda done, what: seen.append((done, what)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert len(seen) > 10 and all(isinstance(what, str) and what for _, what in seen)


def _spec(width: int) -> dict:
    return {
        "width": width,
        "height": 40,
        "data": {"values": [{"x": 1}, {"x": 3}]},
        "mark": "bar",
        "encoding": {"x": {"field": "x", "type": "quantitative"}},
    }


def test_the_render_helper_answers_in_order_and_a_broken_chart_fails_loudly() -> None:
    with Renderer() as renderer:
        helpers = renderer.processes
        drawings = [renderer.png(_spec(w)) for w in (100, 300, 200)]
        svg = renderer.svg(_spec(150))
        bad = renderer.png({"mark": {"type": "no-such-mark"}})
        widths = [struct.unpack(">II", d.result()[16:24])[0] for d in drawings]
        assert svg.result().startswith("<svg")
        with pytest.raises(ValueError):
            bad.result()
    assert widths[0] < widths[2] < widths[1]  # each answer belongs to its own request
    assert helpers and all(p.poll() is not None for p in helpers)  # the helper processes have ended
