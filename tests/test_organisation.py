"""Organisation: headcounts from a table or a CSV upload and € estimates, validated, all rows or none."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from survey.campaigns import create_campaign
from survey.instrument import Instrument
from survey.organisation import (
    OrganisationError,
    get_headcounts,
    get_value_estimates,
    headcount_frame,
    parse_headcounts_csv,
    set_headcounts,
    set_value_estimates,
)


@pytest.fixture
def campaign(con: duckdb.DuckDBPyConnection, instrument: Instrument) -> str:
    return create_campaign(con, "Plant survey", instrument, campaign_id="plant").campaign_id


def stored(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT attribute, option, headcount FROM headcounts ORDER BY ALL").fetchall()


def test_editor_table_round_trip(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    frame = headcount_frame(con, campaign, lang="nl")
    assert list(frame.columns) == ["attribute", "option", "label", "headcount"]
    assert len(frame) == 6 + 8 + 3 and frame["headcount"].isna().all()
    assert frame.loc[frame["option"] == "shop_floor", "label"].item() == "Operator / werkvloer"
    frame.loc[frame["option"] == "board", "headcount"] = 8
    frame.loc[frame["option"] == "shop_floor", "headcount"] = 420
    frame.loc[frame["option"] == "gent", "headcount"] = 0
    assert set_headcounts(con, campaign, frame) == 3
    assert get_headcounts(con, campaign).values.tolist() == [["level", "board", 8], ["level", "shop_floor", 420], ["site", "gent", 0]]
    again = headcount_frame(con, campaign)
    assert again.loc[again["option"] == "shop_floor", "headcount"].item() == 420
    assert pd.isna(again.loc[again["option"] == "venlo", "headcount"].item())


def test_set_replaces_everything(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    set_headcounts(con, campaign, pd.DataFrame({"attribute": ["level", "site"], "option": ["board", "venlo"], "headcount": [8, 300]}))
    set_headcounts(con, campaign, pd.DataFrame({"attribute": ["level"], "option": ["shop_floor"], "headcount": [np.int64(420)]}))
    assert stored(con) == [("level", "shop_floor", 420)]
    assert set_headcounts(con, campaign, pd.DataFrame({"attribute": [], "option": [], "headcount": []})) == 0
    assert stored(con) == []


def test_labels_and_case_are_accepted(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    frame = pd.DataFrame(
        {
            "attribute": ["Level", "Je vestiging", "function"],
            "option": ["Operator / werkvloer", "ghent plant", "IT"],
            "headcount": ["420", 35.0, "+12"],
        }
    )
    set_headcounts(con, campaign, frame)
    assert stored(con) == [("function", "it", 12), ("level", "shop_floor", 420), ("site", "gent", 35)]


def test_bad_rows_are_all_named_and_nothing_is_written(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    set_headcounts(con, campaign, pd.DataFrame({"attribute": ["level"], "option": ["board"], "headcount": [8]}))
    frame = pd.DataFrame(
        {
            "attribute": ["level", "department", "level", "site", "level", "level", "site"],
            "option": ["board", "sales", "emperor", "venlo", "shop_floor", "board", "gent"],
            "headcount": [9, 3, 1, 12.5, -4, 7, True],
            "note": ["ignored"] * 7,
        }
    )
    with pytest.raises(OrganisationError) as caught:
        set_headcounts(con, campaign, frame)
    assert caught.value.problems == [
        "row 2, column attribute, value 'department': not an attribute (level, function, site)",
        "row 3, column option, value 'emperor': not an option of level "
        "(board, senior_management, middle_management, supervisor, shop_floor, specialist)",
        "row 4, column headcount, value '12.5': not a whole number of people (digits only, no separators)",
        "row 7, column headcount, value 'True': not a whole number of people (digits only, no separators)",
        "row 6: level / board is given more than once",
        "row 5, column headcount, value -4: headcount must be 0–1000000",
    ]
    assert stored(con) == [("level", "board", 8)]


def test_missing_columns(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    with pytest.raises(OrganisationError, match="column\\(s\\) missing: headcount"):
        set_headcounts(con, campaign, pd.DataFrame({"attribute": ["level"], "option": ["board"]}))


def test_csv_upload_dutch_excel(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    data = "Attribuut;Optie;Aantal\r\nlevel;Operator / werkvloer;420\r\nsite;Vestiging Gent;35\r\nlevel;Hoger management;\r\n".encode(
        "cp1252"
    )
    frame = parse_headcounts_csv(data)
    assert list(frame.index) == [2, 3, 4]
    assert set_headcounts(con, campaign, frame) == 2
    assert stored(con) == [("level", "shop_floor", 420), ("site", "gent", 35)]


def test_csv_upload_utf16_with_tabs(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    data = b"\xff\xfe" + "attribute\toption\theadcount\r\nfunction\tOnderhoud\t61\r\n".encode("utf-16-le")
    set_headcounts(con, campaign, parse_headcounts_csv(data))
    assert stored(con) == [("function", "maintenance", 61)]


def test_csv_upload_errors_name_file_rows(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    data = b"attribute,option,headcount\nlevel,board,8\nlevel,board,1.000\n"
    with pytest.raises(OrganisationError) as caught:
        set_headcounts(con, campaign, parse_headcounts_csv(data))
    assert caught.value.problems == ["row 3, column headcount, value '1.000': not a whole number of people (digits only, no separators)"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "file: the file is empty"),
        (b"attribute,option,headcount\n", "row 1: the file has a header row but no data rows"),
        (b"attribute,option\nlevel,board\n", "row 1: column 'headcount' is missing (the header needs attribute, option, headcount)"),
        (b"attribute,option,headcount,email\nlevel,board,3,a@b.c\n", "row 1: unknown column(s) 'email'"),
        (b"attribute,option,headcount,aantal\nlevel,board,3,4\n", "row 1: column 'headcount' appears more than once"),
        (b"x" * 2_000_000, "file: the file is 1.9 MB, larger than the limit of 1.0 MB; split it into smaller files"),
    ],
)
def test_csv_upload_refusals(data: bytes, problem: str) -> None:
    with pytest.raises(OrganisationError) as caught:
        parse_headcounts_csv(data)
    assert caught.value.problems == [problem]


def test_value_estimates(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    assert get_value_estimates(con, campaign) == {}
    n = set_value_estimates(
        con,
        campaign,
        {"quality_scrap_rework": 900_000, "Ongeplande stilstand": np.float64(1.4e6), "service_level": None, "energy_material_waste": 0},
    )
    assert n == 3
    assert get_value_estimates(con, campaign) == {"unplanned_downtime": 1.4e6, "quality_scrap_rework": 9e5, "energy_material_waste": 0.0}
    set_value_estimates(con, campaign, {"unplanned_downtime": 10})
    assert get_value_estimates(con, campaign) == {"unplanned_downtime": 10.0}


def test_value_estimates_refused_whole(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    set_value_estimates(con, campaign, {"unplanned_downtime": 10})
    with pytest.raises(OrganisationError) as caught:
        set_value_estimates(
            con,
            campaign,
            {"coffee": 1, "speed_throughput": "lots", "service_level": -5, "planning_instability": float("inf"), "Unplanned downtime": 3,
             "unplanned_downtime": 4},
        )  # fmt: skip
    assert caught.value.problems == [
        "loss 'coffee': not a loss category (unplanned_downtime, quality_scrap_rework, speed_throughput, planning_instability, "
        "labour_productivity, inventory_working_capital, energy_material_waste, service_level)",
        "loss speed_throughput, value 'lots': not a number",
        "loss unplanned_downtime: given more than once",
        "loss service_level, column eur_per_year, value -5.0: must be between 0 and 10^12 € a year",
        "loss planning_instability, column eur_per_year, value inf: must be between 0 and 10^12 € a year",
    ]
    assert get_value_estimates(con, campaign) == {"unplanned_downtime": 10.0}


def test_organisation_needs_a_campaign(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match="unknown campaign"):
        set_headcounts(con, "nope", pd.DataFrame({"attribute": [], "option": [], "headcount": []}))
