"""The "you said, we did" poster: one A4 page of HTML (print it, or save it as PDF) with a QR code to the public page.

It shows exactly the public document (`analysis.public.public_board`): published actions with owner,
status and due date, published dimension scores at or above the threshold, never comments, never
anything unpublished. The QR code is an inline SVG drawn by segno, so the file needs no network and no
image files; its style sits in the page, allowed by its hash alone (no script at all).
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path

import jinja2
import segno
from markupsafe import Markup

from analysis.export.report import number
from analysis.public import PublicBoard

TEMPLATES = Path(__file__).parent / "templates"
MAX_ACTIONS = 6  # what fits one A4 page beside five dimensions' results; the page behind the QR code lists them all


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined)


def qr_svg(url: str) -> Markup:
    """The QR code of `url` as an inline SVG element (error correction M: survives a crease or a smudge on the wall)."""
    return Markup(segno.make(url, error="m").svg_inline(scale=6, border=2, title=url, omitsize=True))


def poster_html(board: PublicBoard, url: str) -> str:
    """The poster as one self-contained HTML page sized for A4 portrait."""
    lang = board.lang
    style = (TEMPLATES / "poster.css").read_text(encoding="utf-8")
    digest = "'sha256-" + base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii") + "'"
    dimensions = [
        {
            "label": d.label,
            "overall": None if d.overall is None else {"mean": number(d.overall.mean, 1, lang), "n": d.overall.n},
            "groups": [{"group": g.group, "mean": number(g.mean, 1, lang), "n": g.n} for g in d.groups],
            "hidden": d.hidden,
        }
        for d in board.dimensions
    ]
    actions = [
        {"title": a.title, "owner": a.owner, "status": a.status_word(lang), "state": a.status, "due": a.due.isoformat() if a.due else ""}
        for a in board.actions[:MAX_ACTIONS]
    ]
    return (
        _environment()
        .get_template("poster.html.j2")
        .render(
            t=board.t,
            lang=lang,
            board=board,
            dimensions=dimensions,
            actions=actions,
            more=max(0, len(board.actions) - MAX_ACTIONS),
            url=url,
            qr=qr_svg(url),
            style=Markup(style),
            csp=f"default-src 'none'; style-src {digest}; img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'",
        )
    )


def write_poster(board: PublicBoard, url: str, out: Path) -> Path:
    """Write the poster to `out` (an .html file); printing it from a browser gives the A4 page."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(poster_html(board, url), encoding="utf-8")
    return out
