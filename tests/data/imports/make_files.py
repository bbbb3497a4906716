"""Writes the import fixtures in this folder (good files and one file per kind of bad input); run it to regenerate them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
ATTRIBUTES = ["level", "function", "site"]
ITEMS = [f"{prefix}{n}" for prefix in ("STR", "OPS", "GOV", "LEA", "ITO") for n in range(1, 7)]
HEADER = [*ATTRIBUTES, "language", *ITEMS, "comment_strategy", "comment_it_ot", "losses"]

# Ten respondents of the default instrument, ids only; '' is don't know.
PEOPLE = [
    ("board", "production", "eindhoven", "en", "unplanned_downtime;quality_scrap_rework", "The roadmap is clear.", ""),
    ("shop_floor", "production", "venlo", "nl", "Ongeplande stilstand", "", "IT en OT praten niet met elkaar."),
    ("shop_floor", "maintenance", "venlo", "nl", "", "", ""),
    ("supervisor", "quality", "gent", "en", "Quality problems, scrap and rework; speed_throughput", "", ""),
    ("specialist", "it", "eindhoven", "en", "service_level", "", "Tickets for the MES take weeks."),
    ("middle_management", "engineering", "gent", "nl", "", "Te veel projecten tegelijk.", ""),
    ("senior_management", "supply_chain", "eindhoven", "en", "planning_instability", "", ""),
    ("shop_floor", "production", "eindhoven", "en", "unplanned_downtime", "", ""),
    ("specialist", "ot_automation", "venlo", "nl", "energy_material_waste,labour_productivity", "", ""),
    ("shop_floor", "quality", "gent", "en", "", "", ""),
]


def _answers(i: int) -> list[str]:
    return ["" if (i + j) % 11 == 0 else str(1 + (i * 3 + j) % 5) for j in range(len(ITEMS))]


def good_rows() -> list[list[str]]:
    rows = []
    for i, (level, function, site, lang, losses, c_str, c_ito) in enumerate(PEOPLE):
        rows.append([level, function, site, lang, *_answers(i), c_str, c_ito, losses])
    return rows


def _csv(rows: list[list[str]], header: list[str] = HEADER, delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _with(rows: list[list[str]], row: int, column: str, value: str, header: list[str] = HEADER) -> list[list[str]]:
    """A copy of rows with one cell changed; `row` counts data rows from 0 (file row = row + 2)."""
    changed = [list(r) for r in rows]
    changed[row][header.index(column)] = value
    return changed


def _ragged(text: str) -> str:
    """Row 3 gets one value too many, row 5 loses its last three cells."""
    lines = text.split("\r\n")
    lines[2] += ",surplus"
    lines[4] = ",".join(lines[4].split(",")[:-3])
    return "\r\n".join(lines)


def files() -> dict[str, bytes]:
    rows = good_rows()
    nl_labels = {
        "board": "Bestuur / directieteam",
        "shop_floor": "Operator / werkvloer",
        "supervisor": "Teamleider / ploegleider",
        "specialist": "Specialist / engineer / staffunctie",
        "middle_management": "Middenmanagement",
        "senior_management": "Hoger management",
        "production": "Productie",
        "maintenance": "Onderhoud",
        "quality": "Kwaliteit",
        "it": "IT",
        "engineering": "Engineering",
        "supply_chain": "Supply chain / planning / logistiek",
        "ot_automation": "OT / automatisering",
        "eindhoven": "Vestiging Eindhoven",
        "venlo": "Vestiging Venlo",
        "gent": "Vestiging Gent",
    }
    dutch = []
    for r in rows:
        d = list(r)
        for k in range(3):
            d[k] = nl_labels[d[k]]
        dutch.append(d)
    dutch[0][HEADER.index("STR1")] = "Helemaal eens"
    dutch[0][HEADER.index("STR2")] = "Weet ik niet"
    dutch[1][HEADER.index("OPS1")] = "oneens"
    cp_rows = [list(r) for r in rows]
    cp_rows[5][HEADER.index("comment_strategy")] = "Te veel projecten, geëvalueerd door niemand; café-overleg."
    missing_site = [HEADER.index(c) for c in HEADER if c != "site"]
    dup_header = [*HEADER[:-1], "STR1"]
    out = {
        "good.csv": _csv(rows).encode("utf-8"),
        "good_semicolon_nl_labels.csv": _csv(dutch, delimiter=";").encode("utf-8"),
        "bom.csv": b"\xef\xbb\xbf" + _csv(rows).encode("utf-8"),
        "utf16.csv": b"\xff\xfe" + _csv(rows, delimiter="\t").encode("utf-16-le"),
        "cp1252.csv": _csv(cp_rows, delimiter=";").encode("cp1252"),
        "empty.csv": b"",
        "header_only.csv": _csv([]).encode("utf-8"),
        "duplicate_headers.csv": _csv([[*r[:-1], "3"] for r in rows], header=dup_header).encode("utf-8"),
        "unknown_column.csv": _csv([[*r, "E-1234"] for r in rows], header=[*HEADER, "employee number"]).encode("utf-8"),
        "missing_attribute.csv": _csv([[r[i] for i in missing_site] for r in rows], header=[HEADER[i] for i in missing_site]).encode(
            "utf-8"
        ),
        "missing_item.csv": _csv([r[:-4] + r[-3:] for r in rows], header=HEADER[:-4] + HEADER[-3:]).encode("utf-8"),
        "out_of_range.csv": _csv(_with(_with(rows, 1, "STR2", "7"), 3, "GOV4", "-1")).encode("utf-8"),
        "non_integer.csv": _csv(_with(_with(rows, 0, "OPS3", "3.5"), 2, "LEA1", "four")).encode("utf-8"),
        "unknown_option.csv": _csv(_with(_with(rows, 4, "level", "CEO"), 6, "site", "Rotterdam")).encode("utf-8"),
        "missing_required_value.csv": _csv(_with(rows, 2, "function", "")).encode("utf-8"),
        "formula_comment.csv": _csv(
            _with(
                _with(_with(rows, 0, "comment_strategy", '=HYPERLINK("http://example.com","click")'), 2, "comment_it_ot", "@SUM(A1:A9)"),
                7,
                "comment_strategy",
                "-2+3",
            )
        ).encode("utf-8"),
        "unknown_loss.csv": _csv(_with(rows, 1, "losses", "unplanned_downtime; coffee machine")).encode("utf-8"),
        "too_many_losses.csv": _csv(
            _with(rows, 0, "losses", "unplanned_downtime;speed_throughput;service_level;planning_instability")
        ).encode("utf-8"),
        "unknown_language.csv": _csv(_with(rows, 3, "language", "de")).encode("utf-8"),
        "ragged_row.csv": _ragged(_csv(rows)).encode("utf-8"),
        "bad_quotes.csv": (_csv(rows[:3]) + 'board,"production,eindhoven\r\n').encode("utf-8"),
    }
    return out


def main() -> None:
    for name, data in files().items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
