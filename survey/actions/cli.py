"""`python -m survey actions list|add|export|import` and `python -m survey repulse`: the loop from results to actions on the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from survey.actions.build import action_from
from survey.actions.files import import_actions, write_actions
from survey.actions.pulse import FOLLOW_THROUGH, start_pulse
from survey.actions.schema import KINDS, STATUSES, ActionsRefused
from survey.actions.storage import add_action, list_actions
from survey.cli_common import add_db_option, existing_database
from survey.tables import DEFAULT_MAX_BYTES, TableError, capped, read_file

_LISTED = ("action_id", "answers_wave", "target_kind", "target_id", "group_a", "group_b", "status", "owner", "due_on", "published", "title")


def _refused(exc: ActionsRefused | TableError, filename: str) -> int:
    """The row-by-row report, as the response import prints it: on stderr, exit 1, nothing written."""
    print(f"{filename}: refused, nothing written — {len(exc.problems)} problem(s):", file=sys.stderr)
    for line in capped([str(p) for p in exc.problems], 50):
        print(f"  {line}", file=sys.stderr)
    return 1


def _list(args: argparse.Namespace) -> int:
    with existing_database(args).cursor() as con:
        frame = list_actions(con, args.campaign)
    if frame.empty:
        print(f"campaign '{args.campaign}' has no actions yet")
        return 0
    shown = frame[list(_LISTED)].astype(object).where(frame[list(_LISTED)].notna(), "")
    print(shown.to_string(index=False))
    return 0


def _add(args: argparse.Namespace) -> int:
    target = {"kind": args.kind, "id": args.target, "a": args.a, "b": args.b}
    action = action_from(
        target,
        wave=args.wave,
        title=args.title,
        owner=args.owner,
        due_on=args.due,
        loss=args.loss,
        eur_per_year=args.eur,
        kpi=args.kpi,
        kpi_baseline=args.kpi_baseline,
        notes=args.notes,
    )
    with existing_database(args).cursor() as con:
        try:
            action_id = add_action(con, args.campaign, {**action, "status": args.status, "published": args.publish}, actor=args.actor)
        except ActionsRefused as exc:
            return _refused(exc, "action")
    print(f"added action {action_id} to campaign '{args.campaign}'")
    return 0


def _export(args: argparse.Namespace) -> int:
    with existing_database(args).cursor() as con:
        count = write_actions(con, args.campaign, args.out)
    print(f"wrote {count} action(s) of campaign '{args.campaign}' to {args.out}")
    return 0


def _import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        data = read_file(path, DEFAULT_MAX_BYTES)
        with existing_database(args).cursor() as con:
            result = import_actions(con, args.campaign, data, path.name, actor=args.actor)
    except (ActionsRefused, TableError) as exc:
        return _refused(exc, path.name)
    print(f"{path.name}: {result.describe()} (campaign '{args.campaign}')")
    return 0


def _repulse(args: argparse.Namespace) -> int:
    chosen = [a.strip() for a in args.actions.split(",") if a.strip()] if args.actions else None
    with existing_database(args).cursor() as con:
        wave, instrument = start_pulse(con, args.campaign, args.from_wave, chosen, actor=args.actor, label=args.label)
    seen = len(instrument.dimension(FOLLOW_THROUGH).items)
    print(
        f"opened wave {wave.wave} '{wave.label}' of campaign '{args.campaign}' as a pulse ({instrument.key}): "
        f"{len(instrument.items) - seen} linked item(s) + {seen} 'I see this being acted on'; "
        "the open link, invites, QR codes and kiosk now ask it"
    )
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """The `actions` command with its four verbs, and `repulse`."""
    actions = sub.add_parser("actions", help="actions on gaps: list, add, export, import (CSV/XLSX, all or nothing)")
    verbs = actions.add_subparsers(dest="verb", required=True)
    ls = verbs.add_parser("list", help="the campaign's actions")
    ls.set_defaults(handler=_list)
    add = verbs.add_parser("add", help="add one action")
    add.add_argument("--kind", choices=KINDS, default="dimension")
    add.add_argument("--target", required=True, help="dimension, item or loss id (a blind spot names a dimension)")
    add.add_argument("--a", default=None, help="group A, e.g. level=board")
    add.add_argument("--b", default=None, help="group B, e.g. level=shop_floor")
    add.add_argument("--title", required=True)
    add.add_argument("--owner", required=True, help="a role or team name, never a person's address")
    add.add_argument("--due", default=None, help="YYYY-MM-DD")
    add.add_argument("--status", choices=STATUSES, default="planned")
    add.add_argument("--wave", type=int, default=None, help="the wave whose results it answers (default: the current wave)")
    add.add_argument("--loss", default=None, help="the loss category it attacks")
    add.add_argument("--eur", type=float, default=None, help="€ per year the loss is worth")
    add.add_argument("--kpi", default=None)
    add.add_argument("--kpi-baseline", default=None)
    add.add_argument("--notes", default=None)
    add.add_argument("--publish", action="store_true", help="show it on the public 'you said, we did' page")
    add.set_defaults(handler=_add)
    ex = verbs.add_parser("export", help="write the actions to a CSV or XLSX file")
    ex.add_argument("--out", required=True, help="FILE.csv or FILE.xlsx")
    ex.set_defaults(handler=_export)
    im = verbs.add_parser("import", help="add and update actions from a CSV or XLSX file: every row valid, or nothing written")
    im.add_argument("file")
    im.set_defaults(handler=_import)
    rp = sub.add_parser("repulse", help="open a short follow-up wave asking only the items chosen actions point at")
    rp.add_argument("--from-wave", type=int, required=True, help="the full wave the actions answer")
    rp.add_argument("--actions", default=None, help="action ids, e.g. A1,A3 (default: every action answering that wave, not dropped)")
    rp.add_argument("--label", default=None, help="the wave's name (default: 'Pulse on A1, A3')")
    rp.set_defaults(handler=_repulse)
    for cmd in (ls, add, ex, im, rp):
        cmd.add_argument("--campaign", required=True)
        cmd.add_argument("--actor", default="command line", help="who to record in the audit log")
        cmd.add_argument("--wait", type=float, default=60.0, help="seconds to wait while the app holds the database")
        add_db_option(cmd)
