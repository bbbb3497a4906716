"""`python -m survey`: demo data, instrument checks, imports, invites, backups."""

from __future__ import annotations

import argparse
import sys

from survey.campaigns import CampaignError
from survey.cli_common import add_db_option, run_command
from survey.demo import load_demo
from survey.instrument import InstrumentError, default_instrument, load_instrument
from survey.responses import SubmissionError, response_count
from survey.store import Database


def _demo(args: argparse.Namespace) -> int:
    instrument = load_instrument(args.instrument) if args.instrument else default_instrument()
    db = Database(args.db, linger_s=0, wait_s=args.wait)
    with db.cursor() as con:
        campaign = load_demo(con, args.respondents, seed=args.seed, waves=args.waves, campaign_id=args.campaign, instrument=instrument)
        total = response_count(con, campaign.campaign_id)
    print(f"demo campaign '{campaign.campaign_id}' in {db.path}: +{args.respondents * args.waves} responses ({total} in all)")
    return 0


def _check(args: argparse.Namespace) -> int:
    try:
        instrument = load_instrument(args.file)
    except InstrumentError as exc:
        print(f"{args.file}: {len(exc.problems)} problem(s)")
        for problem in exc.problems:
            print(f"  {problem}")
        return 1
    print(
        f"{args.file}: ok — {instrument.key}, {len(instrument.dimensions)} dimensions, {len(instrument.items)} items, "
        f"scale {instrument.scale.min}–{instrument.scale.max}, languages {', '.join(instrument.languages)}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m survey", description="Coherence Scan: collect survey answers.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="fill a campaign with realistic synthetic answers")
    demo.add_argument("--respondents", type=int, required=True)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--waves", type=int, default=1, help="waves to add (each later wave with smaller gaps)")
    demo.add_argument("--campaign", default="demo")
    demo.add_argument("--instrument", default=None, help="instrument YAML (default: the shipped one)")
    demo.add_argument("--wait", type=float, default=60.0, help="seconds to wait while the app holds the database")
    add_db_option(demo)
    demo.set_defaults(handler=_demo)

    check = sub.add_parser("check", help="validate an instrument YAML file")
    check.add_argument("file")
    check.set_defaults(handler=_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(args.handler, args, (InstrumentError, CampaignError, SubmissionError, ValueError, OSError))


if __name__ == "__main__":
    sys.exit(main())
