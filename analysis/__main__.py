"""`python -m analysis`: machine-readable results and exports."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.export import export_long
from survey.campaigns import (
    CampaignError,
    active_campaign,
    campaign_instrument,
    get_campaign,
    list_campaigns,
)
from survey.cli_common import add_db_option, run_command
from survey.store import Database


def _campaign_id(con, requested: str | None) -> str:
    if requested:
        return get_campaign(con, requested).campaign_id
    campaign = active_campaign(con) or next(iter(list_campaigns(con)), None)
    if campaign is None:
        raise CampaignError("the database holds no campaign yet; run `python -m survey demo --respondents 300` or create one in the app")
    return campaign.campaign_id


def _export(args: argparse.Namespace) -> int:
    db = Database(args.db, linger_s=0, wait_s=args.wait)
    with db.cursor() as con:
        campaign_id = _campaign_id(con, args.campaign)
        instrument = campaign_instrument(con, campaign_id, args.wave)
        if args.format in ("csv", "parquet"):
            rows = export_long(con, instrument, campaign_id, Path(args.out), args.format, args.wave)
            print(f"wrote {rows} answer rows of campaign '{campaign_id}' to {args.out}")
            return 0
    print(f"error: format '{args.format}' is not available yet", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description="Coherence Scan: results and exports.")
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="write results to a file")
    export.add_argument("--format", required=True, choices=["csv", "parquet", "xlsx", "html", "pptx", "png"])
    export.add_argument("--out", required=True)
    export.add_argument("--campaign", default=None, help="campaign id (default: the newest open campaign)")
    export.add_argument("--wave", type=int, default=None, help="one wave only (default: all waves)")
    export.add_argument("--wait", type=float, default=60.0, help="seconds to wait while the app holds the database")
    add_db_option(export)
    export.set_defaults(handler=_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(args.handler, args, (CampaignError, ValueError, OSError))


if __name__ == "__main__":
    sys.exit(main())
