"""The workbook's Raw sheet: long answer rows written straight into the sheet's XML after XlsxWriter has closed the file.

A 10,000-respondent campaign has 300,000 answer rows, over three million cells; XlsxWriter's cell API
needs about a minute for that. XlsxWriter still writes the sheet (header, widths, frozen row,
autofilter, styles) with no data rows; `splice_rows` then opens the finished .xlsx and adds the rows
to that sheet's <sheetData>, their texts to the shared-string table. Each distinct value of a
column is formatted once (pandas factorizes the column) and rows are joined column by column.
Rows and cells carry no `r` reference: ECMA-376 makes it optional (§18.3.1.4, §18.3.1.73), a cell
is then the next column and a row the next row, as Excel, LibreOffice and openpyxl read it. Text
cells are always shared strings (`t="s"`), never formulas; a text starting like a formula also
gets the quote-prefix style.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from analysis.export.long import FORMULA_STARTS

EXCEL_MAX_ROWS = 1_048_576
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
ROWS_PER_CHUNK = 50_000


def _xml_text(value: str) -> str:
    """Escaped for an XML text node; control characters written the way Excel writes them (_xHHHH_)."""
    return _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", escape(value))


def _styles(archive: zipfile.ZipFile, date_code: str) -> tuple[int, int]:
    """Indices of the cell styles for dates (`date_code`) and for quote-prefixed text, as XlsxWriter registered them."""
    root = ET.fromstring(archive.read("xl/styles.xml"))
    ns = {"m": SHEET_NS}
    fmt_ids = {el.get("formatCode"): el.get("numFmtId") for el in root.findall("m:numFmts/m:numFmt", ns)}
    date_id = fmt_ids.get(date_code)
    date_style = quoted_style = None
    for index, xf in enumerate(root.findall("m:cellXfs/m:xf", ns)):
        plain = xf.get("fontId", "0") == "0" and xf.get("fillId", "0") == "0" and xf.get("borderId", "0") == "0"
        if date_style is None and date_id is not None and xf.get("numFmtId") == date_id and plain:
            date_style = index
        if quoted_style is None and xf.get("quotePrefix") == "1" and xf.get("numFmtId", "0") == "0" and plain:
            quoted_style = index
    if date_style is None or quoted_style is None:
        raise RuntimeError("the Raw sheet's date and text styles were not registered in the workbook")
    return date_style, quoted_style


class _Strings:
    """The workbook's shared-string table, extended with the Raw sheet's texts."""

    def __init__(self, xml: bytes) -> None:
        self.xml = xml
        root = ET.fromstring(xml)
        self.index = {}
        for i, si in enumerate(root.findall(f"{{{SHEET_NS}}}si")):
            self.index.setdefault("".join(si.itertext()), i)
        self.size = len(root.findall(f"{{{SHEET_NS}}}si"))
        self.added: list[str] = []
        self.references = 0

    def code(self, text: str) -> int:
        found = self.index.get(text)
        if found is None:
            found = self.size + len(self.added)
            self.index[text] = found
            self.added.append(text)
        return found

    def finish(self) -> bytes:
        text = self.xml.decode("utf-8")
        head = re.search(r"<sst\b[^>]*>", text)
        if head is None:
            raise RuntimeError("the workbook's shared strings table has an unexpected shape")
        tag = head.group()
        count = int(re.search(r'\bcount="(\d+)"', tag).group(1)) if 'count="' in tag else 0
        new_tag = re.sub(r'\bcount="\d+"', f'count="{count + self.references}"', tag)
        new_tag = re.sub(r'\buniqueCount="\d+"', f'uniqueCount="{self.size + len(self.added)}"', new_tag)
        body = "".join(f'<si><t xml:space="preserve">{_xml_text(s)}</t></si>' for s in self.added)
        text = text.replace(tag, new_tag, 1)
        if text.rstrip().endswith("</sst>"):
            text = text.rstrip()[: -len("</sst>")] + body + "</sst>"
        else:  # an empty table is written as <sst .../>
            text = text.replace(new_tag, new_tag.replace("/>", ">"), 1).rstrip() + body + "</sst>"
        return text.encode("utf-8")


def _fragments(series: pd.Series, kind: str, strings: _Strings, date_style: int, quoted_style: int) -> np.ndarray:
    """For every row, its <c> element in this column: '<c t="s"><v>7</v></c>', or '<c/>' when empty."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    parts: list[str] = []
    for value in uniques:
        if kind == "text":
            text = str(value)
            style = f' s="{quoted_style}"' if text.startswith(FORMULA_STARTS) else ""
            parts.append(f'<c t="s"{style}><v>{strings.code(text)}</v></c>')
        elif kind == "date":
            parts.append(f'<c s="{date_style}"><v>{(pd.Timestamp(value) - _EXCEL_EPOCH).days}</v></c>')
        else:
            parts.append(f"<c><v>{int(value)}</v></c>")
    parts.append("<c/>")  # code -1 (missing) takes the last entry
    table = np.array(parts, dtype=object)
    if kind == "text":
        strings.references += int((codes >= 0).sum())
    return table[codes]


def _rows(frame: pd.DataFrame, kinds: dict[str, str], strings: _Strings, date_style: int, quoted_style: int) -> Iterator[bytes]:
    cells = [_fragments(frame[c], kinds[c], strings, date_style, quoted_style) for c in frame.columns]
    for start in range(0, len(frame), ROWS_PER_CHUNK):
        block = np.full(min(len(frame), start + ROWS_PER_CHUNK) - start, "<row>", dtype=object)
        for column in cells:
            block = block + column[start : start + ROWS_PER_CHUNK]
        yield ("</row>".join(block) + "</row>").encode("utf-8")


def splice_rows(path: Path, sheet_number: int, frame: pd.DataFrame, kinds: dict[str, str], date_code: str) -> None:
    """Add `frame`'s rows (below the header row XlsxWriter wrote) to worksheet `sheet_number` of the .xlsx at `path`.

    `kinds` maps each column to "text", "int" or "date". The file is rewritten through a temporary
    copy and replaced only when complete, so a failure leaves the workbook XlsxWriter wrote.
    """
    member = f"xl/worksheets/sheet{sheet_number}.xml"
    partial = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(path) as src:
        date_style, quoted_style = _styles(src, date_code)
        strings = _Strings(src.read("xl/sharedStrings.xml"))
        sheet = src.read(member).decode("utf-8")
        if sheet.count("<row") != 1 or "</sheetData>" not in sheet:
            raise RuntimeError(f"{member} is not the Raw sheet's header-only placeholder")
        last = f"{xl_col_to_name(len(frame.columns) - 1)}{len(frame) + 1}"
        sheet = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>', sheet, count=1)
        head, tail = sheet.split("</sheetData>", 1)
        # Deflate level 1: the sheet is large and repetitive, and the faster level costs a few percent of size.
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
            for info in src.infolist():
                if info.filename == member:
                    with dst.open(member, "w", force_zip64=True) as out:
                        out.write(head.encode("utf-8"))
                        for chunk in _rows(frame, kinds, strings, date_style, quoted_style):
                            out.write(chunk)
                        out.write(("</sheetData>" + tail).encode("utf-8"))
                elif info.filename != "xl/sharedStrings.xml":
                    dst.writestr(info, src.read(info.filename))
            dst.writestr("xl/sharedStrings.xml", strings.finish())
    partial.replace(path)
