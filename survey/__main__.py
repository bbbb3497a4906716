"""`python -m survey`: demo data, instrument checks, imports, invites, the offline site, backups, actions and re-pulses."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path

from survey.access import ROLES, hash_password, secrets_lines
from survey.actions.cli import add_commands as add_action_commands
from survey.backup import backup, restore
from survey.campaigns import CampaignError, active_campaign, create_campaign, get_campaign, list_campaigns, slugify
from survey.cli_common import add_db_option, run_command
from survey.demo import load_demo
from survey.importer import REPORT_LINES, ImportRefused, preview_import, run_import, validate_file
from survey.instrument import InstrumentError, default_instrument, load_instrument
from survey.invites import DEFAULT_BASE_URL, open_link_poster, write_invites
from survey.offline.records import OfflineFileError, import_export, is_offline_export
from survey.offline.site import IDLE_S, write_site
from survey.responses import SubmissionError, response_count
from survey.retention import delete_campaign, delete_wave
from survey.store import Database, resolve_db_path
from survey.tables import DEFAULT_MAX_BYTES, ImportProblem, TableError, capped, read_file


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


def _refused(filename: str, problems: Sequence[ImportProblem], notes: Sequence[str] = ()) -> int:
    """The row-by-row report of a refused import, on stderr; exit code 1."""
    print(f"{filename}: refused, nothing written — {len(problems)} problem(s):", file=sys.stderr)
    for line in capped([str(p) for p in problems], REPORT_LINES):
        print(f"  {line}", file=sys.stderr)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 1


def _import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"error: {path}: file not found", file=sys.stderr)
        return 1
    max_bytes = int(args.max_mb * 1024 * 1024)
    try:
        data = read_file(path, max_bytes)
    except TableError as exc:
        return _refused(path.name, exc.problems)
    if is_offline_export(data):
        return _import_offline(args, path, data)
    instrument = load_instrument(args.instrument) if args.instrument else None
    db = Database(args.db, linger_s=0, wait_s=args.wait)
    with db.cursor() as con:
        campaign_id = args.campaign
        if campaign_id is None:
            active = active_campaign(con)
            if active is None and list_campaigns(con):
                print("error: no open campaign; name the campaign to import into with --campaign ID", file=sys.stderr)
                return 1
            campaign_id = active.campaign_id if active else None
        exists = campaign_id is not None and con.execute("SELECT 1 FROM campaigns WHERE campaign_id = ?", [campaign_id]).fetchone()
        created = ""
        if exists:
            preview = preview_import(
                con, campaign_id, data, path.name, instrument=instrument, max_bytes=max_bytes, default_language=args.language
            )
        else:
            chosen = instrument or default_instrument()
            preview = validate_file(chosen, data, path.name, max_bytes=max_bytes, default_language=args.language)
        if preview.needs_confirmation:
            print(f"{path.name}: columns matched by their text (check them before anything is written):")
            for line in preview.mapping_lines():
                print(f"  {line}")
        if not preview.ok:
            return _refused(path.name, preview.problems, preview.notes)
        if preview.needs_confirmation and not args.confirm_mapping:
            print("nothing written: if this mapping is right, run the same command again with --confirm-mapping", file=sys.stderr)
            return 1
        if not exists:
            campaign_id = campaign_id or slugify(path.stem)
            create_campaign(con, f"Imported from {path.name}", chosen, campaign_id=campaign_id)
            instrument, created = None, f" (new campaign, instrument {chosen.key})"
        try:
            result = run_import(
                con,
                campaign_id,
                data,
                path.name,
                force=args.force,
                instrument=instrument,
                preview=preview,
                max_bytes=max_bytes,
                default_language=args.language,
                actor="command line",
            )
        except ImportRefused as exc:
            return _refused(path.name, exc.problems, exc.preview.notes if exc.preview else ())
    notes = "".join(f"; note: {n}" for n in result.notes)
    again = " again (forced)" if result.forced else ""
    print(
        f"imported {result.rows} responses from {path.name}{again} into campaign '{result.campaign_id}'{created} "
        f"wave {result.wave} (import {result.import_id[:8]}){notes}"
    )
    return 0


def _export_code(args: argparse.Namespace) -> str:
    """The export code from --export-code, else typed (not echoed): it is the key the records were signed with."""
    if args.export_code:
        return args.export_code
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return getpass.getpass("Export code of the offline site: ")


def _import_offline(args: argparse.Namespace, path: Path, data: bytes) -> int:
    """An offline site's export: every record's checksum and answers checked, then the new ones stored, all or nothing."""
    code = _export_code(args)
    db = Database(args.db, linger_s=0, wait_s=args.wait)
    with db.cursor() as con:
        try:
            done = import_export(con, data, path.name, code, campaign_id=args.campaign, actor="command line")
        except OfflineFileError as exc:
            return _refused(path.name, exc.problems)
    print(
        f"imported {done.added} new responses from {path.name} (offline export) into campaign '{done.campaign_id}' wave {done.wave}; "
        f"{done.already} were already imported" + (f", {done.duplicates} repeated in the file" if done.duplicates else "")
    )
    return 0


def _offline(args: argparse.Namespace) -> int:
    db = Database(args.db, linger_s=0, wait_s=args.wait)
    with db.cursor() as con:
        site = write_site(con, args.campaign, args.export_code, args.out, wave=args.wave, idle_s=args.idle_seconds)
    print(
        f"offline survey for campaign '{site.campaign_id}' wave {site.wave} ({site.instrument_key}) in {site.path}: "
        f"{site.size_bytes:,} bytes, one file, no network needed. Export its answers with the export code, then "
        f"`python -m survey import FILE`."
    )
    return 0


def _invites(args: argparse.Namespace) -> int:
    db = Database(args.db, linger_s=0, wait_s=args.wait)
    with db.cursor() as con:
        if args.campaign is None:
            active = active_campaign(con)
            if active is None:
                print(
                    "error: no open campaign; create one first (the app's Campaigns page, or `python -m survey import FILE`) "
                    "or name one with --campaign ID",
                    file=sys.stderr,
                )
                return 1
            campaign_id = active.campaign_id
        else:
            campaign_id = get_campaign(con, args.campaign).campaign_id
        batch = write_invites(con, campaign_id, args.count, args.out, base_url=args.base_url)
    poster = ""
    if args.poster:
        path = open_link_poster(campaign_id, args.base_url, Path(args.out) / "poster-open-link.pdf", "en+nl")
        poster = f", {path.name}"
    print(
        f"{len(batch.links)} one-time invite links for campaign '{campaign_id}' wave {batch.wave} in {args.out}: "
        f"{batch.csv_path.name}, {len(batch.qr_paths)} QR codes in qr/, {batch.sheet_path.name}{poster} "
        "(the links are the only copy of the tokens: hand them out, then delete the folder)"
    )
    return 0


def _hash_password(args: argparse.Namespace) -> int:
    """Print an Argon2id hash for a password typed twice (or one line on stdin); the password itself goes nowhere."""
    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password (at least 10 characters): ")
        if getpass.getpass("Same password again: ") != password:
            print("error: the two passwords differ; nothing was printed", file=sys.stderr)
            return 1
    print(secrets_lines(args.role, hash_password(password)))
    return 0


def _backup(args: argparse.Namespace) -> int:
    db = Database(args.db, linger_s=0, wait_s=args.wait)
    with db.cursor() as con:
        manifest = backup(con, args.out, actor=args.actor)
    print(
        f"backup of {db.path} in {args.out}: {len(manifest.tables)} tables, {manifest.rows} rows, schema version "
        f"{manifest.schema_version}; checksums in manifest.json (invite tokens only as hashes, unfinished drafts left out)"
    )
    return 0


def _restore(args: argparse.Namespace) -> int:
    db = Database(args.db, linger_s=0, wait_s=args.wait)
    with db.cursor() as con:
        result = restore(con, args.dir, force=args.force, actor=args.actor)
    replaced = f", replacing {result.replaced_rows} rows" if result.replaced_rows else ""
    print(f"restored {sum(result.rows.values())} rows in {len(result.rows)} tables from {args.dir} into {db.path}{replaced}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    what = f"wave {args.wave} of campaign '{args.campaign}'" if args.wave is not None else f"campaign '{args.campaign}'"
    if not args.yes:
        print(f"error: this deletes {what} with every answer in it; add --yes to confirm", file=sys.stderr)
        return 1
    db = Database(args.db, linger_s=0, wait_s=args.wait)
    with db.cursor() as con:
        if args.wave is not None:
            done = delete_wave(con, args.campaign, args.wave, args.actor)
        else:
            done = delete_campaign(con, args.campaign, args.actor)
    rows = ", ".join(f"{table} {n}" for table, n in sorted(done.rows.items()) if n) or "no rows"
    print(f"deleted {what}: {rows}\nnote: {done.note}")
    return 0


def _repair(args: argparse.Namespace) -> int:
    path = resolve_db_path(args.db)
    if not path.exists():
        print(f"error: no database at {path}; check --db (or COHERENCE_DB)", file=sys.stderr)
        return 1
    db = Database(path, linger_s=0, wait_s=args.wait, repair_all=True)
    with db.cursor():
        pass
    if not db.findings:
        print(f"nothing to repair: the rows of every response in {path} agree across its tables")
        return 0
    print(f"repaired {path} (recorded in the audit log), removed:")
    for finding in db.findings:
        print(f"  - {finding}")
    return 0


def _add_admin_commands(sub: argparse._SubParsersAction) -> None:
    """hash-password, backup, restore, repair and delete: the facilitator's tools for access, recovery and retention."""
    hp = sub.add_parser("hash-password", help="print an Argon2id hash of a password for secrets.toml (the password is never stored)")
    hp.add_argument("--stdin", action="store_true", help="read the password from the first line of stdin instead of asking twice")
    hp.add_argument(
        "--role",
        choices=[*ROLES, "row_level"],
        default="leader",
        help="which secrets.toml key to print (default leader; row_level: the separate permission to take answer rows out)",
    )
    hp.set_defaults(handler=_hash_password)

    bk = sub.add_parser("backup", help="every table as Parquet + manifest.json with checksums (no tokens, no drafts)")
    bk.add_argument("--out", required=True, help="a new or empty folder")
    rs = sub.add_parser("restore", help="load a backup into an empty database, exactly, in one transaction")
    rs.add_argument("dir", help="the backup folder (with manifest.json)")
    rs.add_argument("--force", action="store_true", help="replace a database that already holds rows")
    rp = sub.add_parser("repair", help="remove the responses and imports whose rows disagree across tables (the file refused to open)")
    rp.add_argument("--wait", type=float, default=60.0, help="seconds to wait while the app holds the database")
    add_db_option(rp)
    rp.set_defaults(handler=_repair)
    dl = sub.add_parser("delete", help="delete a campaign, or one wave of it, with every dependent row")
    dl.add_argument("--campaign", required=True)
    dl.add_argument("--wave", type=int, default=None, help="only this wave (default: the whole campaign)")
    dl.add_argument("--yes", action="store_true", help="confirm the deletion")
    for cmd, handler in ((bk, _backup), (rs, _restore), (dl, _delete)):
        cmd.add_argument("--actor", default="command line", help="who to record in the audit log")
        cmd.add_argument("--wait", type=float, default=60.0, help="seconds to wait while the app holds the database")
        add_db_option(cmd)
        cmd.set_defaults(handler=handler)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m survey", description="Coherence Scan: collect survey answers.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="fill a campaign with realistic synthetic answers")
    demo.add_argument("--respondents", type=int, default=400, help="respondents per full wave (default 400)")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument(
        "--waves",
        type=int,
        default=1,
        help="waves to add (each later wave with smaller gaps; 3 or more on a new campaign: baseline, actions, a pulse, a full follow-up)",
    )
    demo.add_argument("--campaign", default="demo")
    demo.add_argument("--instrument", default=None, help="instrument YAML (default: the shipped one)")
    demo.add_argument("--wait", type=float, default=60.0, help="seconds to wait while the app holds the database")
    add_db_option(demo)
    demo.set_defaults(handler=_demo)

    check = sub.add_parser("check", help="validate an instrument YAML file")
    check.add_argument("file")
    check.set_defaults(handler=_check)

    imp = sub.add_parser("import", help="import wide CSV/XLSX responses: every row valid, or nothing written")
    imp.add_argument("file", help="CSV (UTF-8/UTF-16/Windows-1252; comma, semicolon or tab) or XLSX, one row a respondent")
    imp.add_argument("--instrument", default=None, help="instrument YAML; must match the campaign's current wave, or creates the campaign")
    imp.add_argument("--campaign", default=None, help="campaign id (default: the newest open one; created when it does not exist)")
    imp.add_argument("--force", action="store_true", help="import a file that was already imported into this campaign again")
    imp.add_argument("--language", default=None, help="language of rows without a language column (default: the instrument's first)")
    imp.add_argument(
        "--confirm-mapping",
        action="store_true",
        help="write a file whose columns were matched by question text (Forms, Excel) after checking the mapping shown",
    )
    imp.add_argument("--export-code", default=None, help="for an offline site's export file: its export code (asked when not given)")
    imp.add_argument("--max-mb", type=float, default=DEFAULT_MAX_BYTES / 1_048_576, help="refuse larger files (default 20)")
    imp.add_argument("--wait", type=float, default=60.0, help="seconds to wait while the app holds the database")
    add_db_option(imp)
    imp.set_defaults(handler=_import)

    inv = sub.add_parser("invites", help="one-time invite links, a QR code per link and a printable A4 sheet")
    inv.add_argument("--count", type=int, required=True)
    inv.add_argument("--out", required=True, help="folder for invites.csv, qr/*.png and invites-sheet.pdf")
    inv.add_argument("--campaign", default=None, help="campaign id (default: the newest open one)")
    inv.add_argument("--base-url", default=DEFAULT_BASE_URL, help=f"address of the app (default {DEFAULT_BASE_URL})")
    inv.add_argument("--poster", action="store_true", help="also write poster-open-link.pdf with the open campaign link")
    inv.add_argument("--wait", type=float, default=60.0, help="seconds to wait while the app holds the database")
    add_db_option(inv)
    inv.set_defaults(handler=_invites)

    off = sub.add_parser("offline", help="the survey as one offline HTML file (USB stick, static host, kiosk tablet in flight mode)")
    off.add_argument("--campaign", required=True)
    off.add_argument("--wave", type=int, default=None, help="the wave its answers belong to (default: the current one)")
    off.add_argument(
        "--export-code", required=True, help="the facilitator's code to see and export the queued answers (at least 8 characters)"
    )
    off.add_argument("--out", required=True, help="folder for index.html")
    off.add_argument("--idle-seconds", type=int, default=IDLE_S, help=f"start over after this long without a touch (default {IDLE_S})")
    off.add_argument("--wait", type=float, default=60.0, help="seconds to wait while the app holds the database")
    add_db_option(off)
    off.set_defaults(handler=_offline)

    _add_admin_commands(sub)
    add_action_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(args.handler, args, (InstrumentError, CampaignError, SubmissionError, ValueError, OSError))


if __name__ == "__main__":
    sys.exit(main())
