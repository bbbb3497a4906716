"""Dashboard filters and groupings together: grouping by an attribute the sidebar filters on answers with a message, never a traceback.

Filtering on site = Venlo and then comparing by site (or the other way round) made the engine refuse
the view with a ValueError, which every dashboard page showed as an error page. The pages share one
rule (pages/ui/dashboard.py): a filtered attribute is not offered for grouping, a remembered choice
that is no longer offered falls back to the default, and anything the engine still refuses is said
in words.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_pages import open_page
from tests.conftest import MakeDemo, open_cursor


@pytest.fixture(scope="module")
def demo_db(make_demo: MakeDemo) -> tuple[Path, str]:
    path = make_demo(150, seed=5, waves=2)
    with open_cursor(path) as con:
        campaign = con.execute("SELECT campaign_id FROM campaigns").fetchone()[0]
    return path, campaign


def _group_by_site(at: AppTest, page: str) -> None:
    """What the leader had chosen before filtering: groups of site."""
    if page == "pages/3_gaps.py":
        at.selectbox(key="gap_a").set_value(("site", "gent"))
        at.selectbox(key="gap_b").set_value(("site", "venlo"))
    elif page in ("pages/2_overview.py", "pages/4_items.py"):
        at.segmented_control(key={"pages/2_overview.py": "overview_by", "pages/4_items.py": "items_by"}[page]).set_value("site")
    else:
        at.selectbox(key={"pages/6_comments.py": "c_by", "pages/7_trends.py": "trend_by"}[page]).set_value("site")


OFFERED: dict[str, Callable[[AppTest], list[object]]] = {
    "pages/2_overview.py": lambda at: list(at.segmented_control(key="overview_by").options),
    "pages/4_items.py": lambda at: list(at.segmented_control(key="items_by").options),
    "pages/6_comments.py": lambda at: list(at.selectbox(key="c_by").options),
    "pages/7_trends.py": lambda at: list(at.selectbox(key="trend_by").options),
    "pages/3_gaps.py": lambda at: list(at.selectbox(key="gap_a").options),
}


@pytest.mark.parametrize("page", list(OFFERED))
def test_filtering_on_the_attribute_the_page_groups_by_is_not_an_error_page(
    page: str, demo_db: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, campaign = demo_db
    at = open_page(page, path, monkeypatch, role="leader")
    _group_by_site(at, page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key=f"filter_{campaign}_site").set_value("venlo")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    offered = " ".join(map(str, OFFERED[page](at)))
    assert "Site" not in offered and "site" not in offered  # the filtered attribute is no longer a grouping
    assert "Level" in offered or "level" in offered or "Board" in offered  # the others still are
    assert any("not offered for grouping" in c.value for c in at.sidebar.caption)


def test_an_engine_refusal_is_said_in_words(demo_db: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared View.get: whatever combination the engine still refuses ends the page with its reason."""
    path, campaign = demo_db
    monkeypatch.setenv("COHERENCE_DB", str(path))

    def script(campaign: str) -> None:
        from pages.ui import dashboard as ui
        from pages.ui.common import db
        from survey.campaigns import get_campaign

        with db().cursor() as con:
            found = get_campaign(con, campaign)
        view = ui.View(found, 1, (("site", "venlo"),), "en")
        view.get("heatmap", unit="dimension", by="site")
        ui.st.write("not reached")

    at = AppTest.from_function(script, args=(campaign,), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [w.value for w in at.warning] == [
        "This view cannot be shown for this choice: cannot break down by site while filtering on site=venlo. "
        "Change the filters in the sidebar or the grouping."
    ]
    assert not any(m.value == "not reached" for m in at.markdown)
