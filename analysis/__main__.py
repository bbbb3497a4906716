"""`python -m analysis`: machine-readable results and exports."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from analysis.export import FORMATS, ROLES, export
from survey.campaigns import (
    CampaignError,
    active_campaign,
    get_campaign,
    list_campaigns,
)
from survey.cli_common import add_db_option, existing_database, run_command
from survey.grants import machine_grant


def _campaign_id(con, requested: str | None) -> str:
    if requested:
        return get_campaign(con, requested).campaign_id
    campaign = active_campaign(con) or next(iter(list_campaigns(con)), None)
    if campaign is None:
        raise CampaignError("the database holds no campaign yet; run `python -m survey demo --respondents 300` or create one in the app")
    return campaign.campaign_id


def _progress_printer(enabled: bool):
    """A progress callback printing one line per step to stderr, or None."""
    if not enabled:
        return None
    return lambda done, what: print(f"  {done:4.0%} {what}", file=sys.stderr)


def _export(args: argparse.Namespace) -> int:
    # Imported here: a CSV export then never loads scipy and the engine (seconds on a busy machine).
    from analysis.export.long import parse_group
    from analysis.scope import Scope

    db = existing_database(args)
    with db.cursor() as con:
        campaign_id = _campaign_id(con, args.campaign)
        filters = tuple(parse_group(f) for f in args.filter)
        a = parse_group(args.a) if args.a else None
        b = parse_group(args.b) if args.b else None
        # The command line is the machine owner's path to answer rows: a stated reason, recorded, instead of a password.
        grant = machine_grant(con, campaign_id, args.actor, args.reason) if args.reason is not None and args.role == "facilitator" else None
        result = export(
            con,
            args.format,
            Path(args.out),
            Scope(campaign_id, args.wave, filters),
            role=args.role,
            lang=args.lang,
            actor=args.actor,
            progress=_progress_printer(args.progress),
            a=a,
            b=b,
            grant=grant,
        )
    what = {
        "xlsx": f"{len(result.sheets)} sheets ({', '.join(result.sheets)})",
        "pptx": f"{len(result.slides)} slides",
        "html": f"a report with {len(result.charts)} charts",
        "png": f"{len(result.charts)} chart images",
        "svg": f"{len(result.charts)} chart images",
    }.get(result.format, f"{result.rows} answer rows")
    if result.format == "xlsx" and result.rows:
        what += f", {result.rows} answer rows in Raw"
    print(f"wrote {what} of campaign '{campaign_id}' to {result.path} in {result.seconds:.1f} s")
    for note in result.notes:
        print(f"note: {note}")
    return 0


def _summary(args: argparse.Namespace) -> int:
    from analysis.gaps import parse_group
    from analysis.scope import Scope
    from analysis.summary import build_summary

    db = existing_database(args)
    with db.cursor() as con:
        campaign_id = _campaign_id(con, args.campaign)
        filters = tuple(parse_group(f) for f in args.filter)
        a = parse_group(args.a) if args.a else None
        b = parse_group(args.b) if args.b else None
        if (a is None) != (b is None):
            raise ValueError("give both --a and --b, or neither for the default pair")
        doc = build_summary(con, Scope(campaign_id, args.wave, filters), a, b)
    if db.url is not None:  # read from the local copy of a PostgreSQL server: say how old it was (a file is read directly)
        doc["storage"] = {"backend": "postgresql", "data_age_s": round(db.staleness_s() or 0.0, 1)}
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    print(
        f"campaign {doc['campaign']}, wave {doc['wave']}: {doc['respondents'] if doc['respondents'] is not None else 'hidden'} respondents, k = {doc['threshold']}"
    )
    for dim, entry in doc["dimensions"].items():
        overall = entry["overall"]
        score = f"{overall['mean']:.2f} (n={overall['n']})" if not overall.get("suppressed") else "hidden"
        alpha = f"{entry['alpha']:.2f}" if entry["alpha"] is not None else "-"
        print(f"  {dim:<24} {score:<18} alpha {alpha}")
    for gap in doc["gaps"]:
        if "dimension" in gap and not gap.get("suppressed"):
            print(
                f"  gap {gap['a']} - {gap['b']} on {gap['dimension']}: {gap['diff']:+.2f} [{gap['ci'][0]:+.2f}, {gap['ci'][1]:+.2f}], p_adj {gap['p_adj']:.3g}"
            )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description="Coherence Scan: results and exports.")
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="write results to a file: workbook, report, deck, chart images or answer rows")
    export.add_argument("--format", required=True, choices=list(FORMATS))
    export.add_argument("--out", required=True, help="file to write (a folder for png/svg)")
    export.add_argument("--campaign", default=None, help="campaign id (default: the newest open campaign)")
    export.add_argument(
        "--wave", type=int, default=None, help="one wave (default: every wave for csv/parquet, the newest wave with responses otherwise)"
    )
    export.add_argument("--filter", action="append", default=[], metavar="ATTRIBUTE=OPTION", help="restrict to a group; repeat to combine")
    export.add_argument("--lang", default="en", choices=["en", "nl"], help="language of the export's wording and labels")
    export.add_argument("--role", default="facilitator", choices=list(ROLES), help="leader: aggregates only (no raw answers)")
    export.add_argument("--a", default=None, metavar="ATTRIBUTE=OPTION", help="first group of the gaps (default level=board)")
    export.add_argument("--b", default=None, metavar="ATTRIBUTE=OPTION", help="second group of the gaps (default level=shop_floor)")
    export.add_argument("--actor", default="cli", help="who is exporting, for the audit log")
    export.add_argument(
        "--reason",
        default=None,
        help="why you need answer rows (csv, parquet, the workbook's Raw sheet): required for them, recorded in the audit log",
    )
    export.add_argument("--progress", action="store_true", help="print each step to stderr")
    export.add_argument("--wait", type=float, default=60.0, help="seconds to wait while the app holds the database")
    add_db_option(export)
    export.set_defaults(handler=_export)

    summary = sub.add_parser("summary", help="results per dimension, item and group; gaps; agreement; alpha")
    summary.add_argument("--json", action="store_true", help="print the machine-readable document")
    summary.add_argument("--campaign", default=None, help="campaign id (default: the newest open campaign)")
    summary.add_argument("--wave", type=int, default=None, help="wave (default: the newest wave holding responses)")
    summary.add_argument("--filter", action="append", default=[], metavar="ATTRIBUTE=OPTION", help="restrict to a group; repeat to combine")
    summary.add_argument("--a", default=None, metavar="ATTRIBUTE=OPTION", help="first group of the gaps (default level=board)")
    summary.add_argument("--b", default=None, metavar="ATTRIBUTE=OPTION", help="second group of the gaps (default level=shop_floor)")
    summary.add_argument("--wait", type=float, default=60.0, help="seconds to wait while the app holds the database")
    add_db_option(summary)
    summary.set_defaults(handler=_summary)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(args.handler, args, (CampaignError, ValueError, OSError))


if __name__ == "__main__":
    sys.exit(main())
