"""Invites: one-time personal links stored only as token hashes, drafts to resume, open and kiosk links, printable QR codes."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import re
import secrets
import time
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb
import pandas as pd
import segno

from survey.campaigns import CampaignError, campaign_instrument, current_wave, get_campaign
from survey.responses import Submission, SubmissionError, check_submission, existing_response, writer_for
from survey.store import DatabaseBusy, transaction
from survey.writer import SubmissionWriter

TOKEN_BYTES = 24  # 192 bits of randomness; the brief asks for at least 128
DEFAULT_BASE_URL = "http://localhost:8501"
SURVEY_PATH = "survey"
INVITE_PARAM = "invite"
CAMPAIGN_PARAM = "c"
KIOSK_PARAM = "kiosk"
MAX_INVITES = 10_000
MAX_DRAFT_BYTES = 64 * 1024
VALID, UNKNOWN, USED, CLOSED = "valid", "unknown", "used", "closed"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")

SELECT_INVITE = """
    SELECT i.campaign_id, i.wave, i.used, i.draft, w.status AS wave_status, c.status AS campaign_status
    FROM invites i
    JOIN waves w ON w.campaign_id = i.campaign_id AND w.wave = i.wave
    JOIN campaigns c ON c.campaign_id = i.campaign_id
    WHERE i.token_hash = ?
"""
# A used invite keeps no date and no draft: nothing on it can be matched to the response it gave (see `redeem`).
CLAIM_INVITE = "UPDATE invites SET used = true, draft = NULL WHERE token_hash = ? AND NOT used"
SAVE_DRAFT = "UPDATE invites SET draft = ? WHERE token_hash = ? AND NOT used"
# Two windows on one link write its row at once; the loser tries again after a short pause.
CONFLICT_TRIES, CONFLICT_PAUSE_S = 6, 0.01

SHEET_TEXT = {
    "en": "Scan the code with your phone camera to open your personal survey. Each code works once; your answers are anonymous.",
    "nl": "Scan de code met de camera van je telefoon om je persoonlijke vragenlijst te openen. Elke code werkt één keer; je antwoorden zijn anoniem.",
}
POSTER_TEXT = {
    "en": {
        "title": "How coherent is our Industry 4.0 journey?",
        "body": "Scan the code with your phone camera and answer short statements about how we work (about 10 minutes).",
        "privacy": "Anonymous: no name, no e-mail, no account. Results are only shown for groups, never for one person.",
        "or": "Or open this link:",
    },
    "nl": {
        "title": "Hoe samenhangend is onze Industrie 4.0-aanpak?",
        "body": "Scan de code met de camera van je telefoon en beantwoord korte stellingen over hoe wij werken (ongeveer 10 minuten).",
        "privacy": "Anoniem: geen naam, geen e-mail, geen account. Resultaten worden alleen per groep getoond, nooit per persoon.",
        "or": "Of open deze link:",
    },
}


class InviteError(ValueError):
    """An invite that cannot be used now; `status` is unknown, used or closed."""

    def __init__(self, status: str, message: str) -> None:
        self.status = status
        super().__init__(message)


class InviteUsed(InviteError):
    """The link was already used to submit (or another submission with it won a race)."""

    def __init__(self) -> None:
        super().__init__(USED, "this invite link has already been used to submit answers")


@dataclass(frozen=True)
class InviteBatch:
    """What `write_invites` produced: the links (they hold the tokens: hand them out, then delete the files)."""

    campaign_id: str
    wave: int
    links: tuple[str, ...]
    csv_path: Path
    qr_paths: tuple[Path, ...]
    sheet_path: Path


def hash_token(token: str) -> str:
    """SHA-256 of the token: what the database keeps. With 192 random bits no salt is needed to make guessing hopeless."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_from_query(value: object) -> str | None:
    """A well-formed token from a query parameter, or None: malformed input gets a friendly page, never a traceback."""
    if isinstance(value, list | tuple):
        value = value[0] if len(value) == 1 else None
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if _TOKEN.match(value) else None


def survey_link(base_url: str = DEFAULT_BASE_URL, *, invite: str | None = None, campaign_id: str | None = None, kiosk: bool = False) -> str:
    """The survey page URL: `?invite=` for a personal link, `?c=` for an open campaign link, `&kiosk=1` for a shared tablet."""
    params: dict[str, str] = {}
    if invite is not None:
        params[INVITE_PARAM] = invite
    if campaign_id is not None:
        params[CAMPAIGN_PARAM] = campaign_id
    if kiosk:
        params[KIOSK_PARAM] = "1"
    query = f"?{urlencode(params)}" if params else ""
    return f"{base_url.rstrip('/')}/{SURVEY_PATH}{query}"


def new_submission_key() -> str:
    """A fresh random key for one respondent's session (web or kiosk): makes a double click store one response.

    Drawn anew for every respondent, so nothing ties two kiosk respondents (or a response and an invite) together.
    """
    return uuid.uuid4().hex


def create_invites(con: duckdb.DuckDBPyConnection, campaign_id: str, count: int, wave: int | None = None) -> list[str]:
    """`count` new one-time tokens for a campaign's (current) wave; only their hashes are stored.

    The tokens are returned once and never again: the database cannot rebuild a link, so a lost
    list means new invites, and a stolen database file gives no working links.
    """
    if not 1 <= count <= MAX_INVITES:
        raise ValueError(f"count must be between 1 and {MAX_INVITES}, got {count}")
    get_campaign(con, campaign_id)
    wave_no = current_wave(con, campaign_id).wave if wave is None else wave
    row = con.execute("SELECT status FROM waves WHERE campaign_id = ? AND wave = ?", [campaign_id, wave_no]).fetchone()
    if row is None:
        raise CampaignError(f"campaign '{campaign_id}' has no wave {wave_no}")
    if row[0] != "open":
        raise CampaignError(f"wave {wave_no} of '{campaign_id}' is closed; invites go to an open wave")
    tokens = [secrets.token_urlsafe(TOKEN_BYTES) for _ in range(count)]
    frame = pd.DataFrame({"token_hash": [hash_token(t) for t in tokens], "campaign_id": campaign_id, "wave": wave_no})
    with transaction(con):
        con.register("_new_invites", frame)
        try:
            con.execute(
                "INSERT INTO invites (token_hash, campaign_id, wave, created_on, used, draft) "
                "SELECT token_hash, campaign_id, wave, current_date, false, NULL FROM _new_invites"
            )
        finally:
            con.unregister("_new_invites")
    return tokens


def _lookup(con: duckdb.DuckDBPyConnection, token: str) -> tuple[str, tuple | None]:
    if token_from_query(token) is None:
        return UNKNOWN, None
    row = con.execute(SELECT_INVITE, [hash_token(token)]).fetchone()
    if row is None:
        return UNKNOWN, None
    if row[2]:
        return USED, row
    if row[4] != "open" or row[5] != "open":
        return CLOSED, row
    return VALID, row


def invite_status(con: duckdb.DuckDBPyConnection, token: str) -> str:
    """valid, unknown (never issued or malformed), used (already submitted) or closed (its wave or campaign is closed)."""
    return _lookup(con, token)[0]


def invite_campaign(con: duckdb.DuckDBPyConnection, token: str) -> tuple[str, int] | None:
    """(campaign id, wave) a usable invite belongs to, so the survey page knows which questionnaire to show."""
    status, row = _lookup(con, token)
    return (row[0], int(row[1])) if status == VALID and row is not None else None


def _require_valid(con: duckdb.DuckDBPyConnection, token: str) -> tuple:
    status, row = _lookup(con, token)
    if status == USED:
        raise InviteUsed()
    if status == UNKNOWN or row is None:
        raise InviteError(UNKNOWN, "this invite link is not known; check that the whole link was copied")
    if status == CLOSED:
        raise InviteError(CLOSED, "this survey round is closed; the invite can no longer be used")
    return row


def save_draft(con: duckdb.DuckDBPyConnection, token: str, draft: dict[str, Any]) -> bool:
    """Keep a respondent's unfinished answers on their invite so the same link resumes them later; True once saved.

    Only while the invite is valid; the draft is removed in the same transaction that submits. Two
    windows open on one link save the same row at the same moment, and DuckDB refuses the second
    writer ("Conflict on update"): it is tried again, so the last window to move wins, as it would
    one at a time. Each window keeps its own answers whatever happens here. False when the other
    window kept winning: the answers are still in this one, only the copy for resuming is older.
    """
    if not isinstance(draft, dict):
        raise ValueError("a draft must be a dict")
    text = json.dumps(draft, ensure_ascii=False, separators=(",", ":"))
    if len(text.encode("utf-8")) > MAX_DRAFT_BYTES:
        raise ValueError(f"draft larger than {MAX_DRAFT_BYTES // 1024} KB")
    for attempt in range(CONFLICT_TRIES):
        _require_valid(con, token)
        try:
            con.execute(SAVE_DRAFT, [text, hash_token(token)])
            return True
        except duckdb.TransactionException:
            time.sleep(CONFLICT_PAUSE_S * (attempt + 1))
    return False


def load_draft(con: duckdb.DuckDBPyConnection, token: str) -> dict[str, Any] | None:
    """The saved draft of a valid invite, or None (no draft, unknown, used or closed)."""
    status, row = _lookup(con, token)
    if status != VALID or row is None or row[3] is None:
        return None
    loaded = json.loads(row[3])
    return loaded if isinstance(loaded, dict) else None


def redeem(con: duckdb.DuckDBPyConnection, token: str, submission: Submission, writer: SubmissionWriter | None = None) -> str:
    """Store the answers and use up the invite in one transaction (through `writer`, as `submit`); return the response id.

    Nothing about the invite is written with the answers, and the invite keeps only that it was
    used (no date, no draft), so a list of who got which link can never be joined to what they
    said: not by id, not by the day. Under a race on one token exactly one caller wins: the
    loser's UPDATE conflicts (DuckDB TransactionException) or finds the invite used, and gets
    InviteUsed. A retry of the winner with the same submission key gets its own response id back.
    A conflict while the invite is still unused is another window saving its draft: tried again,
    never reported as a used link (that lost the submitting window's answers).
    """
    status, row = _lookup(con, token)
    if status == USED:
        found = existing_response(con, submission.submission_key)
        if found:
            return found
    row = _require_valid(con, token)
    campaign_id, wave = row[0], int(row[1])
    if submission.campaign_id != campaign_id:
        raise InviteError(UNKNOWN, f"this invite belongs to another campaign than '{submission.campaign_id}'")
    sub = replace(submission, wave=wave, source="invite")
    instrument = campaign_instrument(con, campaign_id, wave)
    problems = check_submission(instrument, sub)
    if problems:
        raise SubmissionError(problems)

    def claim(writer: duckdb.DuckDBPyConnection) -> None:
        claimed = writer.execute(CLAIM_INVITE, [hash_token(token)]).fetchone()
        if not claimed or claimed[0] != 1:
            raise InviteUsed()

    writer = writer or writer_for(con)
    for attempt in range(CONFLICT_TRIES):
        try:
            return writer.store(con, instrument, sub, claim)
        except (duckdb.TransactionException, duckdb.ConstraintException) as exc:
            found = existing_response(con, sub.submission_key)
            if found:
                return found
            if _lookup(con, token)[0] != VALID:
                raise InviteUsed() from exc
            time.sleep(CONFLICT_PAUSE_S * (attempt + 1))  # still unused: the conflict was a draft saved by another window
    raise DatabaseBusy("another window of this link kept saving at the same moment; the answers are kept, submit again")


def invite_counts(con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int | None = None) -> tuple[int, int]:
    """(issued, used) invites of a campaign's wave (current wave when None)."""
    wave_no = current_wave(con, campaign_id).wave if wave is None else wave
    row = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE used) FROM invites WHERE campaign_id = ? AND wave = ?", [campaign_id, wave_no]
    ).fetchone()
    return int(row[0]), int(row[1])


# --------------------------------------------------------------------------- printing

_DPI = 300
_FONTS = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "Helvetica.ttc", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_ASCII_PUNCTUATION = str.maketrans({"—": "-", "–": "-", "…": "...", "‘": "'", "’": "'", "“": '"', "”": '"'})
_A4_MM = (210.0, 297.0)
_PT_MM = 25.4 / 72


def _mm(value: float) -> int:
    return round(value / 25.4 * _DPI)


@functools.lru_cache(maxsize=32)
def _font(size_pt: float) -> Any:
    """A scalable font with accents and dashes (DejaVu or Liberation where installed), else Pillow's built-in one."""
    from PIL import ImageFont

    px = max(6, round(size_pt * _PT_MM / 25.4 * _DPI))
    for name in _FONTS:
        try:
            return ImageFont.truetype(name, px)
        except OSError:
            continue
    return ImageFont.load_default(size=px)


def _plain(text: str, font: Any) -> str:
    """Pillow's built-in font has no accents or dashes: spell 'één' as 'een' rather than print boxes."""
    if getattr(font, "path", None) is not None and not isinstance(font.path, io.BytesIO):
        return text
    text = text.translate(_ASCII_PUNCTUATION)
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _qr_image(code: segno.QRCode | str, size_mm: float) -> Any:
    """The QR code scaled to whole pixels per module (crisp when printed), as close to size_mm as possible."""
    from PIL import Image

    qr = segno.make(code, error="m") if isinstance(code, str) else code
    modules = qr.symbol_size(border=4)[0]
    scale = max(1, _mm(size_mm) // modules)
    image = Image.new("L", (modules, modules), 255)
    image.putdata([0 if dark else 255 for row in qr.matrix_iter(border=4) for dark in row])
    return image.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)


def _wrap(draw: Any, text: str, font: Any, width_px: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words, line = paragraph.split(), ""
        for word in words:
            trial = f"{line} {word}".strip()
            if draw.textlength(trial, font=font) <= width_px or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def _text(draw: Any, x_mm: float, y_mm: float, text: str, size_pt: float, width_mm: float, center: bool = False) -> float:
    """Draw wrapped text; returns the y (mm) below it."""
    font = _font(size_pt)
    step = size_pt * _PT_MM * 1.3
    for line in _wrap(draw, _plain(text, font), font, _mm(width_mm)):
        x = _mm(x_mm)
        if center:
            x += (_mm(width_mm) - round(draw.textlength(line, font=font))) // 2
        draw.text((x, _mm(y_mm)), line, font=font, fill=0)
        y_mm += step
    return y_mm


def _break_link(link: str, every: int = 40) -> str:
    return "\n".join(link[i : i + every] for i in range(0, len(link), every))


def _save_pages(pages: list[Any], out_path: Path) -> Path:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    suffix = out_path.suffix.lower()
    if suffix == ".pdf":
        pages[0].save(out_path, "PDF", resolution=_DPI, save_all=True, append_images=pages[1:])
    elif suffix == ".png":
        if len(pages) > 1:
            raise ValueError("a PNG holds one page; use .pdf for more")
        pages[0].save(out_path, "PNG", dpi=(_DPI, _DPI))
    else:
        raise ValueError(f"unsupported format '{out_path.suffix}': use .pdf or .png")
    return out_path


def invite_sheet(
    links: Sequence[str],
    out_path: str | Path,
    *,
    columns: int = 3,
    rows: int = 4,
    title: str | None = None,
    codes: Sequence[segno.QRCode] | None = None,
) -> Path:
    """Printable A4 pages (PDF, or PNG for a single page) with the QR codes in a grid, numbered, cut lines between,
    and short instructions in English and Dutch at the top of every page."""
    from PIL import Image, ImageDraw

    if not links:
        raise ValueError("no links to print")
    if codes is not None and len(codes) != len(links):
        raise ValueError("one QR code per link")
    per_page = columns * rows
    margin, header_mm = 10.0, 34.0
    cell_w = (_A4_MM[0] - 2 * margin) / columns
    cell_h = (_A4_MM[1] - 2 * margin - header_mm) / rows
    qr_mm = min(cell_w, cell_h) - 22
    pages = []
    for start in range(0, len(links), per_page):
        page = Image.new("L", (_mm(_A4_MM[0]), _mm(_A4_MM[1])), 255)
        draw = ImageDraw.Draw(page)
        y = _text(draw, margin, margin, title or "Coherence Scan", 14, _A4_MM[0] - 2 * margin)
        y = _text(draw, margin, y + 1, SHEET_TEXT["en"], 9, _A4_MM[0] - 2 * margin)
        _text(draw, margin, y + 1, SHEET_TEXT["nl"], 9, _A4_MM[0] - 2 * margin)
        top = margin + header_mm
        for k, link in enumerate(links[start : start + per_page]):
            col, row = k % columns, k // columns
            x0, y0 = margin + col * cell_w, top + row * cell_h
            draw.rectangle([_mm(x0), _mm(y0), _mm(x0 + cell_w), _mm(y0 + cell_h)], outline=170, width=2)
            code = _qr_image(codes[start + k] if codes is not None else link, qr_mm)
            page.paste(code, (_mm(x0) + (_mm(cell_w) - code.width) // 2, _mm(y0 + 3)))
            below = y0 + 3 + code.height / _DPI * 25.4 + 1
            below = _text(draw, x0 + 2, below, f"Invite / Uitnodiging {start + k + 1}", 8, cell_w - 4, center=True)
            _text(draw, x0 + 2, below, _break_link(link), 5.5, cell_w - 4, center=True)
        pages.append(page.convert("1"))
    return _save_pages(pages, Path(out_path))


def open_link_poster(campaign_id: str, base_url: str, out_path: str | Path, lang: str = "en", *, title: str | None = None) -> Path:
    """An A4 poster (PNG or PDF by the file suffix) with the campaign's open link as a large QR code, for canteens
    and notice boards; `lang` is en, nl, or en+nl for both languages on one poster."""
    from PIL import Image, ImageDraw

    langs = [part for part in lang.split("+") if part]
    unknown = [part for part in langs if part not in POSTER_TEXT]
    if not langs or unknown:
        raise ValueError(f"poster language must be one of {', '.join(POSTER_TEXT)} or en+nl, got '{lang}'")
    link = survey_link(base_url, campaign_id=campaign_id)
    page = Image.new("L", (_mm(_A4_MM[0]), _mm(_A4_MM[1])), 255)
    draw = ImageDraw.Draw(page)
    margin = 18.0
    width = _A4_MM[0] - 2 * margin
    y = margin
    for part in langs:
        y = _text(draw, margin, y, title or POSTER_TEXT[part]["title"], 24 if len(langs) == 1 else 20, width, center=True) + 2
    for part in langs:
        y = _text(draw, margin, y, POSTER_TEXT[part]["body"], 13, width, center=True) + 1
    code = _qr_image(link, 120 if len(langs) == 1 else 100)
    page.paste(code, ((page.width - code.width) // 2, _mm(y + 4)))
    y += 4 + code.height / _DPI * 25.4 + 4
    y = _text(draw, margin, y, " / ".join(POSTER_TEXT[p]["or"] for p in langs), 10, width, center=True)
    y = _text(draw, margin, y, link, 10, width, center=True) + 4
    for part in langs:
        y = _text(draw, margin, y, POSTER_TEXT[part]["privacy"], 10, width, center=True) + 1
    return _save_pages([page.convert("1")], Path(out_path))


def write_invites(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    count: int,
    out_dir: str | Path,
    *,
    base_url: str = DEFAULT_BASE_URL,
    wave: int | None = None,
) -> InviteBatch:
    """Create invites and write what a facilitator hands out: invites.csv (one link a row), qr/invite-NNNN.png
    per link and invites-sheet.pdf (A4 pages of codes with instructions in English and Dutch)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokens = create_invites(con, campaign_id, count, wave)
    wave_no = current_wave(con, campaign_id).wave if wave is None else wave
    links = tuple(survey_link(base_url, invite=token) for token in tokens)
    csv_path = out / "invites.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["number", "campaign", "wave", "created_on", "link"])
        today = dt.date.today().isoformat()
        for number, link in enumerate(links, start=1):
            writer.writerow([number, campaign_id, wave_no, today, link])
    qr_dir = out / "qr"
    qr_dir.mkdir(exist_ok=True)
    width = max(4, len(str(len(links))))
    qr_paths = []
    codes = [segno.make(link, error="m") for link in links]
    for number, code in enumerate(codes, start=1):
        path = qr_dir / f"invite-{number:0{width}d}.png"
        code.save(path, scale=10, border=4)
        qr_paths.append(path)
    title = f"Coherence Scan — {get_campaign(con, campaign_id).name}"
    sheet = invite_sheet(links, out / "invites-sheet.pdf", title=title, codes=codes)
    return InviteBatch(campaign_id, wave_no, links, csv_path, tuple(qr_paths), sheet)
