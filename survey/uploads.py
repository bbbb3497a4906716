"""Server-side checks of an uploaded file: its name, size, extension and content must agree before anything parses it.

The browser's `type=` and size limits are a convenience for honest users; anyone can post any bytes
to the server. So every upload page calls `check_upload` on what actually arrived, and refuses with
a message the user can act on. Content is checked by signature (a renamed PDF is not a CSV), and a
workbook's unpacked size is bounded (a 1 MB zip can unpack to gigabytes).
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

MAX_NAME_CHARS = 255
# A workbook is read only after its zip directory says it is one of a sane size. 20,000 respondents x 45
# columns unpack to 29 MB and take openpyxl ~6 s; 64 MB is ~45,000 respondents (larger: import CSV).
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_ZIP_ENTRIES = 1_000
# Worksheet XML deflates ~10:1; past 100:1 a part is a bomb (Apache POI's ZipSecureFile uses the same bound).
MAX_PART_RATIO = 100
_RATIO_FROM_BYTES = 1024 * 1024  # small parts (styles, a theme) may compress better than that
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SHOWN_NAME = re.compile(r"[^\w .()\-]")


class UploadRefused(ValueError):
    """An uploaded file that will not be read; the message says why and what to do instead."""


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    extension: str
    size: int


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 104_858 else f"{max(1, size // 1024)} KB"


def _text(data: bytes) -> str | None:
    """Why this is not text, or None. UTF-16 (with its BOM) is text even though it is full of zero bytes."""
    if data.startswith(_UTF16_BOMS):
        return None if len(data) % 2 == 0 else "is not valid UTF-16 text"
    if b"\x00" in data[:65536]:
        return "contains binary data, not text"
    return None


def _utf8(data: bytes) -> str | None:
    problem = _text(data)
    if problem:
        return problem
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return f"is not UTF-8 text (byte {exc.start})"
    return None


def workbook_problem(data: bytes) -> str | None:
    """Why these bytes must not be handed to a workbook reader, or None; read from the zip's directory alone.

    An XLSX is a zip archive: 0.7 MB on the wire can unpack to 194 MB, which held a server thread for
    minutes and 750 MB of memory inside openpyxl before anything said no. The directory lists every
    part's packed and unpacked size without unpacking anything (Python's zipfile then never yields
    more than the size listed), so the number of parts, the total unpacked size and each large part's
    ratio are checked first. Every reader of an XLSX calls this before openpyxl sees the bytes.
    """
    if not data.startswith(b"PK\x03\x04"):
        return "is not an Excel workbook (.xlsx); an old .xls or a password-protected file must be saved as .xlsx first"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        return "is a damaged Excel workbook"
    if len(entries) > MAX_ZIP_ENTRIES:
        return f"holds {len(entries):,} parts, more than the {MAX_ZIP_ENTRIES:,} a workbook may have"
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        return "is a zip archive but not an Excel workbook"
    unpacked = sum(e.file_size for e in entries)
    if unpacked > MAX_UNPACKED_BYTES:
        return f"would unpack to {_mb(unpacked)}, more than the {_mb(MAX_UNPACKED_BYTES)} allowed; save it as CSV UTF-8 or split it"
    for entry in entries:
        if entry.file_size > _RATIO_FROM_BYTES and entry.file_size > MAX_PART_RATIO * max(entry.compress_size, 1):
            return (
                f"has a part that unpacks to {entry.file_size // max(entry.compress_size, 1):,} times its packed size "
                f"({_mb(entry.compress_size)} to {_mb(entry.file_size)}), which no spreadsheet writes; save it again from Excel"
            )
    return None


def _signature(prefix: bytes, what: str, suffix: bytes = b"") -> Callable[[bytes], str | None]:
    def check(data: bytes) -> str | None:
        return None if data.startswith(prefix) and data.endswith(suffix) else f"is not a {what} file"

    return check


CONTENT_CHECKS: dict[str, Callable[[bytes], str | None]] = {
    "csv": _text,
    "tsv": _text,
    "txt": _text,
    "yaml": _utf8,
    "yml": _utf8,
    "json": _utf8,
    "xlsx": workbook_problem,
    "parquet": _signature(b"PAR1", "Parquet", b"PAR1"),
    "png": _signature(b"\x89PNG\r\n\x1a\n", "PNG"),
    "jpg": _signature(b"\xff\xd8\xff", "JPEG"),
    "jpeg": _signature(b"\xff\xd8\xff", "JPEG"),
    "pdf": _signature(b"%PDF-", "PDF"),
}


def shown_name(name: str) -> str:
    """The file name as it may appear in a message: plain characters only, shortened (it is user input)."""
    cleaned = _SHOWN_NAME.sub("_", name)
    return cleaned if len(cleaned) <= 60 else f"{cleaned[:40]}…{cleaned[-15:]}"


def _base_name(name: str) -> str:
    """The last path component: browsers send bare names, but a crafted request can send '../../x.csv'."""
    base = re.split(r"[\\/]", name)[-1].strip()
    if not base or base in (".", ".."):
        raise UploadRefused("the file has no name; choose the file again")
    if len(base) > MAX_NAME_CHARS:
        raise UploadRefused(f"the file name is longer than {MAX_NAME_CHARS} characters; rename the file")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in base):
        raise UploadRefused("the file name contains control characters; rename the file")
    return base


def check_upload(name: str, data: bytes, allowed_ext: Iterable[str], max_bytes: int) -> CheckedUpload:
    """Refuse an upload unless its name is sane, its extension allowed, its size within `max_bytes` and its content of that type.

    Returns the cleaned name (last path component), the lower-case extension and the size.
    """
    allowed = {ext.lower().lstrip(".") for ext in allowed_ext}
    unknown = allowed - set(CONTENT_CHECKS)
    if unknown:
        raise ValueError(f"no content check for {sorted(unknown)}; add one to CONTENT_CHECKS")
    if not isinstance(data, bytes | bytearray | memoryview):
        raise UploadRefused("the upload did not arrive as a file")
    data = bytes(data)
    base = _base_name(str(name))
    listed = ", ".join(f".{ext}" for ext in sorted(allowed))
    ext = base.rsplit(".", 1)[1].lower() if "." in base.strip(".") else ""
    if ext not in allowed:
        raise UploadRefused(f"'{shown_name(base)}' is not one of the accepted types ({listed})")
    if not data:
        raise UploadRefused(f"'{shown_name(base)}' is empty")
    if len(data) > max_bytes:
        raise UploadRefused(
            f"'{shown_name(base)}' is {_mb(len(data))}; at most {_mb(max_bytes)} is accepted. Split the file or remove columns"
        )
    problem = CONTENT_CHECKS[ext](data)
    if problem:
        raise UploadRefused(f"'{shown_name(base)}' {problem}")
    return CheckedUpload(base, ext, len(data))
