"""Forms and Excel exports as downloaded: headers matched to questions by their text in any language, metadata dropped, mapping confirmed."""

from __future__ import annotations

import csv
import io

import duckdb
import openpyxl
import pytest

from survey.__main__ import main
from survey.campaigns import create_campaign
from survey.importer import DROPPED, ImportRefused, header_words, preview_import, run_import
from survey.instrument import Instrument, parse_instrument
from tests.conftest import run_main

EMAILS = ("jan.jansen@plant.example", "p.peeters@plant.example", "anna.smit@plant.example")
NAMES = ("Jan Jansen", "Piet Peeters", "Anna Smit")


def forms_rows(instrument: Instrument, lang: str, *, google: bool) -> tuple[list[str], list[list[str]]]:
    """A Microsoft Forms (or Google Forms) export: metadata first, numbered question texts, answers as labels."""
    if google:
        meta = ["Tijdstempel", "E-mailadres", "Naam"] if lang == "nl" else ["Timestamp", "Email Address", "Name"]
    else:
        meta = ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time"]
    header = list(meta)
    number = 0
    for attr in instrument.attributes.values():
        number += 1
        header.append(f"{number}. {attr.label[lang]}")
    for d, dim in enumerate(instrument.dimensions):
        for i, item in enumerate(dim.items):
            number += 1
            text = item.text[lang]
            if google and i == 0:
                header.append(f"{dim.label[lang]} [{text}]")  # a Google Forms grid row
            elif (d + i) % 3 == 0:
                header.append(f"Q{number} {text.upper()}")
            elif (d + i) % 3 == 1:
                header.append(f"{number}) {text.rstrip('.')}  ")
            else:
                header.append(f"{number}. {text}")
        header.append(f"{number}. {dim.comment_prompt[lang]}")
    header.append(instrument.value_at_stake.prompt[lang])
    labels = instrument.scale.labels[lang]
    losses = list(instrument.value_at_stake.losses.values())
    rows = []
    for r in range(3):
        row = [str(r + 1), f"2026-11-30 08:1{r}", f"2026-11-30 08:2{r}", EMAILS[r], NAMES[r], f"2026-11-30 08:2{r}"]
        if google:
            row = [f"30-11-2026 08:1{r}:00", EMAILS[r], NAMES[r]]
        for attr in instrument.attributes.values():
            row.append(list(attr.options.values())[r][lang])
        for d, dim in enumerate(instrument.dimensions):
            for i, _item in enumerate(dim.items):
                k = (r + d + i) % 6
                row.append(instrument.scale.dont_know_label[lang] if k == 5 else labels[k].lower() if k == 2 else labels[k])
            row.append("Meer overleg met de vloer" if lang == "nl" and r == 0 else "")
        separator = ", " if google else ";"
        chosen = [losses[r][lang], losses[1][lang]] if r != 1 else [losses[1][lang]]
        row.append(separator.join(chosen) + ("" if google else ";"))
        rows.append(row)
    return header, rows


def as_csv(header: list[str], rows: list[list[str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def plant(con: duckdb.DuckDBPyConnection, instrument: Instrument) -> duckdb.DuckDBPyConnection:
    create_campaign(con, "Plant", instrument, campaign_id="plant")
    return con


def every_text_stored(con: duckdb.DuckDBPyConnection) -> str:
    """Every text value in every table, one string: what a search for a leaked e-mail address has to come up empty in."""
    parts = []
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
        parts.append(con.execute(f"SELECT string_agg(CAST(COLUMNS(*) AS VARCHAR), '|') FROM {table}").fetchall().__repr__())
    return "\n".join(parts)


CASES = [
    pytest.param("en", False, "xlsx", id="Microsoft Forms, English, XLSX"),
    pytest.param("en", False, "csv", id="Microsoft Forms, English, CSV"),
    pytest.param("nl", False, "xlsx", id="Microsoft Forms, Dutch, XLSX"),
    pytest.param("nl", True, "csv", id="Google Forms, Dutch, CSV"),
]


@pytest.mark.parametrize(("lang", "google", "kind"), CASES)
def test_a_forms_export_imports_with_its_mapping_shown_and_no_metadata_stored(plant, instrument, lang, google, kind):
    header, rows = forms_rows(instrument, lang, google=google)
    data = as_xlsx(header, rows) if kind == "xlsx" else as_csv(header, rows, ";" if lang == "nl" else ",")
    name = f"forms-{lang}.{kind}"
    preview = preview_import(plant, "plant", data, name)
    assert preview.ok, preview.report()
    assert preview.needs_confirmation
    by_header = {m.header: m for m in preview.mapping}
    metadata = [m.header for m in preview.mapping if m.how == DROPPED]
    assert metadata == header[: len(metadata)] and len(metadata) == (3 if google else 6)
    first_item = instrument.items[0]
    assert {m.column for m in preview.mapping if m.how != DROPPED} == {
        *instrument.attributes,
        *instrument.item_ids,
        *(f"comment_{d}" for d in instrument.dimension_ids),
        "losses",
    }
    assert [m for m in preview.mapping if m.column == first_item.id][0].how == f"text ({lang})"
    assert any(line.endswith("-> (not stored) [metadata, dropped]") for line in preview.mapping_lines())
    assert by_header[header[len(metadata)].strip()].column == "level"
    assert not set(EMAILS) & set(preview.frame.astype(str).to_numpy().ravel())
    result = run_import(plant, "plant", data, name)
    assert result.rows == 3
    assert plant.execute("SELECT DISTINCT language FROM responses").fetchall() == [(lang,)]
    levels = plant.execute("SELECT value FROM response_attributes WHERE attribute = 'level' ORDER BY value").fetchall()
    assert levels == sorted((o,) for o in list(instrument.attributes["level"].options)[:3])
    assert plant.execute("SELECT count(*) FROM value_choices").fetchone()[0] == 5
    answers = dict(plant.execute("SELECT coalesce(CAST(value AS VARCHAR), 'dk'), count(*) FROM answers GROUP BY 1").fetchall())
    assert set(answers) == {"1", "2", "3", "4", "5", "dk"}
    stored = every_text_stored(plant)
    assert list(instrument.attributes["site"].options)[0] in stored  # the search sees what was stored
    if lang == "nl":
        assert "Meer overleg met de vloer" in stored
    for secret in (*EMAILS, *NAMES):
        assert secret not in stored


def test_header_words_ignore_case_spacing_punctuation_and_numbering():
    assert header_words("Q3  We know where we lose most!") == header_words("3. we know where  we lose most")
    assert header_words("12) Onze IT/OT-afdelingen werken samen.") == header_words("onze it ot afdelingen werken samen")
    assert header_words("Vraag 4: Strategie") == "strategie"
    assert header_words("5S is used on the line") == "5s is used on the line"


def test_unmatched_and_ambiguous_headers_are_named_and_nothing_is_written(con, instrument):
    one, two = instrument.items[0], instrument.items[1]
    twin = parse_instrument(instrument.source_text.replace(two.text["en"], one.text["en"]))
    create_campaign(con, "Twin", twin, campaign_id="twin")
    header, rows = forms_rows(twin, "en", google=False)
    header[7] = "Favourite colour of the canteen"
    data = as_csv(header, rows)
    preview = preview_import(con, "twin", data, "twin.csv")
    report = preview.report()
    assert "row 1, column H 'Favourite colour of the canteen': unknown column" in report[0]
    ambiguous = [line for line in report if "ambiguous" in line]
    assert len(ambiguous) == 2 and all(f"matches {one.id}, {two.id}" in line for line in ambiguous)
    with pytest.raises(ImportRefused):
        run_import(con, "twin", data, "twin.csv")
    assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == 0


def test_the_command_line_shows_the_mapping_and_writes_only_when_it_is_confirmed(plant, db, instrument, tmp_path):
    db.close()
    header, rows = forms_rows(instrument, "nl", google=False)
    path = tmp_path / "Antwoorden.xlsx"
    path.write_bytes(as_xlsx(header, rows))
    shown = run_main(main, "import", path, "--campaign", "plant", "--db", db.path)
    assert shown.returncode == 1
    assert "A 'ID' -> (not stored) [metadata, dropped]" in shown.stdout
    assert f"-> {instrument.items[0].id} [text (nl)]" in shown.stdout
    assert "--confirm-mapping" in shown.stderr
    with duckdb.connect(str(db.path)) as check:
        assert check.execute("SELECT count(*) FROM responses").fetchone()[0] == 0
    done = run_main(main, "import", path, "--campaign", "plant", "--confirm-mapping", "--db", db.path)
    assert done.returncode == 0, done.stderr
    assert "imported 3 responses" in done.stdout and "Forms metadata dropped, never stored: ID, Start time" in done.stdout
