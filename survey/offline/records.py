"""The file a facilitator exports from the offline site: its keys, its signed records, and their all-or-nothing import.

Each record is the canonical JSON text of one response (campaign, wave, instrument, a random UUID, language,
attributes, answers, comments, losses) with an HMAC-SHA256 over its UTF-8 bytes. The HMAC key is derived from
the export code, which only the facilitator knows: the page holds a salted PBKDF2 verifier of it, never the code
or the key, so a respondent who reads the page source or the browser's storage can neither change a record nor
forge one that imports. A plain SHA-256 would catch a damaged file but not a deliberate edit: anyone can recompute it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields

import duckdb

from survey.campaigns import CampaignError, campaign_instrument, get_campaign
from survey.instrument import Instrument
from survey.responses import Submission, check_submission, insert_frames, submission_frames
from survey.store import audit, transaction

FORMAT = "coherence-scan-offline"
FORMAT_VERSION = 1
SOURCE = "offline"
KEY_PREFIX = "offline:"
# OWASP's 2023 figure for PBKDF2-HMAC-SHA256: one guess at the code costs as much as 600,000 hashes.
PBKDF2_ITERATIONS = 600_000
# What an export file may ask the importer to spend on the code: a huge count would hang the import.
MIN_ITERATIONS, MAX_ITERATIONS = 1_000, 10_000_000
MIN_CODE_CHARS = 8
MAX_RECORDS = 100_000
_VERIFY_INFO = b"coherence-scan/offline/verify"
_RECORDS_INFO = b"coherence-scan/offline/records"


@dataclass(frozen=True)
class RecordProblem:
    """One reason an export file cannot be imported, naming the record by its position and UUID (None: the file as a whole)."""

    number: int | None
    uuid: str | None
    reason: str

    def __str__(self) -> str:
        if self.number is None:
            return f"file: {self.reason}"
        return f"record {self.number}" + (f" ({self.uuid})" if self.uuid else "") + f": {self.reason}"


class OfflineFileError(ValueError):
    """An export file that cannot be imported; `problems` names each record and why. Nothing was written."""

    def __init__(self, filename: str, problems: Sequence[RecordProblem]) -> None:
        self.filename = filename
        self.problems = tuple(problems)
        super().__init__(
            f"{filename}: refused, nothing written ({len(self.problems)} problem(s))\n" + "\n".join(f"  {p}" for p in problems)
        )


@dataclass(frozen=True)
class CodeKeys:
    """What the export code yields: a verifier the page may hold, and the record key it must never hold."""

    salt: bytes
    iterations: int
    verifier: bytes
    record_key: bytes


def derive_keys(code: str, salt: bytes, iterations: int = PBKDF2_ITERATIONS) -> CodeKeys:
    """PBKDF2-SHA256 of the code, then two HMACs of that master key: one to check the code, one to sign records.

    The page runs the same derivation with WebCrypto; neither output reveals the other without the code.
    """
    master = hashlib.pbkdf2_hmac("sha256", code.encode("utf-8"), salt, iterations, dklen=32)
    return CodeKeys(
        salt,
        iterations,
        hmac.new(master, _VERIFY_INFO, hashlib.sha256).digest(),
        hmac.new(master, _RECORDS_INFO, hashlib.sha256).digest(),
    )


def new_keys(code: str, iterations: int = PBKDF2_ITERATIONS) -> CodeKeys:
    """Keys for a new site, with a fresh random salt; refuses a code short enough to guess from the page's verifier."""
    if len(code.strip()) < MIN_CODE_CHARS:
        raise ValueError(
            f"the export code needs at least {MIN_CODE_CHARS} characters: the page holds its hash, which can be guessed offline"
        )
    return derive_keys(code, secrets.token_bytes(16), iterations)


def record_mac(record_key: bytes, record_text: str) -> str:
    return hmac.new(record_key, record_text.encode("utf-8"), hashlib.sha256).hexdigest()


def canonical(data: dict) -> str:
    """The record's text as the page writes it: keys sorted, no spaces (what the HMAC covers, byte for byte)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def is_offline_export(data: bytes) -> bool:
    """Whether these bytes are an offline site's export (a JSON document naming our format), not a CSV or workbook."""
    head = data[:400].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and FORMAT.encode() in head


@dataclass(frozen=True)
class OfflineBatch:
    """An export file read and checked: where it goes, and one submission per distinct record."""

    filename: str
    sha256: str
    campaign_id: str
    wave: int
    instrument_key: str
    submissions: tuple[Submission, ...]
    duplicates: int


def _header(doc: object, filename: str) -> tuple[dict, list[dict]]:
    problems = []
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise OfflineFileError(filename, [RecordProblem(None, None, f"not an offline survey export (format '{FORMAT}')")])
    if doc.get("version") != FORMAT_VERSION:
        problems.append(RecordProblem(None, None, f"version: this version reads format version {FORMAT_VERSION}"))
    for key, kind in (("campaign", str), ("wave", int), ("instrument", str), ("salt", str), ("iterations", int), ("records", list)):
        if not isinstance(doc.get(key), kind) or isinstance(doc.get(key), bool):
            problems.append(RecordProblem(None, None, f"{key}: missing or not a {kind.__name__}"))
    if not problems and not MIN_ITERATIONS <= doc["iterations"] <= MAX_ITERATIONS:
        problems.append(
            RecordProblem(None, None, f"iterations: {doc['iterations']}, not between {MIN_ITERATIONS:,} and {MAX_ITERATIONS:,}")
        )
    if not problems and len(doc["records"]) > MAX_RECORDS:
        problems.append(RecordProblem(None, None, f"records: {len(doc['records'])} records, at most {MAX_RECORDS} in one file"))
    if problems:
        raise OfflineFileError(filename, problems)
    return doc, doc["records"]


def _scale_or_none(value: object) -> object:
    return None if value in (None, "dk") else value


def _ratings(record: dict) -> tuple[dict, list[str]]:
    """A record's targets and predictions (the optional rating blocks) as Submission fields, or why they cannot be stored.

    A page made from an instrument with those blocks writes them; a version of Submission without the fields
    refuses such a record rather than import it without them.
    """
    found: dict[str, object] = {}
    targets, predictions = record.get("targets"), record.get("predictions")
    if targets is not None:
        if not isinstance(targets, dict):
            return {}, ["targets: not in the expected shape"]
        found["targets"] = {str(d): _scale_or_none(v) for d, v in targets.items()}
    if predictions is not None:
        if not isinstance(predictions, dict) or not all(isinstance(v, dict) for v in predictions.values()):
            return {}, ["predictions: not in the expected shape"]
        found["predictions"] = {(str(about), str(d)): _scale_or_none(v) for about, per in predictions.items() for d, v in per.items()}
    missing = set(found) - {f.name for f in fields(Submission)}
    if missing:
        return {}, [f"{', '.join(sorted(missing))}: this version of Coherence Scan cannot store them"]
    return found, []


def _submission(record: dict, instrument: Instrument, doc: dict) -> tuple[Submission | None, list[str]]:
    """One verified record as a Submission (don't know and unanswered stored as null), or why it cannot be one."""
    problems = []
    for key, want in (("campaign", doc["campaign"]), ("wave", doc["wave"]), ("instrument", doc["instrument"])):
        if record.get(key) != want:
            problems.append(f"{key}: {record.get(key)!r}, but the file is for {want!r}")
    answers_raw = record.get("answers")
    attributes = record.get("attributes")
    comments = record.get("comments") or {}
    losses = record.get("losses") or []
    if (
        not isinstance(answers_raw, dict)
        or not isinstance(attributes, dict)
        or not isinstance(comments, dict)
        or not isinstance(losses, list)
    ):
        return None, [*problems, "answers, attributes, comments or losses not in the expected shape"]
    answers = {item: (None if answers_raw.get(item) in (None, "dk") else answers_raw.get(item)) for item in instrument.item_ids}
    answers.update({k: v for k, v in answers_raw.items() if k not in answers})  # unknown items are reported, not dropped
    ratings, why = _ratings(record)
    if why:
        return None, [*problems, *why]
    sub = Submission(
        doc["campaign"],
        doc["wave"],
        str(record.get("language")),
        {str(k): str(v) for k, v in attributes.items() if v not in (None, "")},
        answers,
        {str(k): str(v) for k, v in comments.items() if isinstance(v, str) and v.strip()},
        [str(x) for x in losses],
        source=SOURCE,
        submission_key=KEY_PREFIX + str(uuid.UUID(str(record.get("uuid")))),
        **ratings,
    )
    return sub, problems + check_submission(instrument, sub)


def read_export(con: duckdb.DuckDBPyConnection, data: bytes, filename: str, code: str, *, campaign_id: str | None = None) -> OfflineBatch:
    """Check every record of an export file: its HMAC, its campaign and wave, every answer; raise OfflineFileError naming each bad one.

    A record whose HMAC does not match was changed after it left the page (or was never made by it):
    it is refused by its position and UUID, and with it the whole file, so a facilitator never imports
    half of a file that someone edited.
    """
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OfflineFileError(filename, [RecordProblem(None, None, f"not readable as JSON ({exc})")]) from exc
    doc, records = _header(doc, filename)
    if campaign_id is not None and campaign_id != doc["campaign"]:
        raise OfflineFileError(
            filename, [RecordProblem(None, None, f"the file's answers belong to campaign '{doc['campaign']}', not '{campaign_id}'")]
        )
    try:
        get_campaign(con, doc["campaign"])
        instrument = campaign_instrument(con, doc["campaign"], doc["wave"])
    except CampaignError as exc:
        raise OfflineFileError(filename, [RecordProblem(None, None, f"campaign: {exc}")]) from exc
    if instrument.key != doc["instrument"]:
        raise OfflineFileError(
            filename, [RecordProblem(None, None, f"instrument {doc['instrument']}: wave {doc['wave']} was asked with {instrument.key}")]
        )
    try:
        keys = derive_keys(code, bytes.fromhex(doc["salt"]), doc["iterations"])
    except ValueError as exc:
        raise OfflineFileError(filename, [RecordProblem(None, None, "salt: not hexadecimal")]) from exc
    if "verifier" in doc and not hmac.compare_digest(str(doc["verifier"]), keys.verifier.hex()):
        raise OfflineFileError(filename, [RecordProblem(None, None, "wrong export code: it is not the code this site was made with")])
    problems: list[RecordProblem] = []
    subs: dict[str, Submission] = {}
    for number, entry in enumerate(records, start=1):
        text = entry.get("record") if isinstance(entry, dict) else None
        ident = str(entry.get("uuid"))[:40] if isinstance(entry, dict) and entry.get("uuid") else None
        if not isinstance(text, str) or not isinstance(entry.get("hmac"), str):
            problems.append(RecordProblem(number, ident, "no record text or no checksum"))
            continue
        if not hmac.compare_digest(record_mac(keys.record_key, text), entry["hmac"].lower()):
            problems.append(
                RecordProblem(number, ident, "checksum does not match: the record was changed after export (tampered or damaged)")
            )
            continue
        try:
            record = json.loads(text)
            if not isinstance(record, dict) or str(uuid.UUID(str(record.get("uuid")))) != str(uuid.UUID(str(entry.get("uuid")))):
                raise ValueError("the UUID inside the record differs from the one outside")
            sub, why = _submission(record, instrument, doc)
        except (ValueError, TypeError, AttributeError) as exc:
            problems.append(RecordProblem(number, ident, f"not a valid record ({exc})"))
            continue
        problems.extend(RecordProblem(number, ident, reason) for reason in why)
        if sub is not None and not why:
            subs.setdefault(sub.submission_key or "", sub)
    if problems:
        raise OfflineFileError(filename, problems)
    return OfflineBatch(
        filename,
        hashlib.sha256(data).hexdigest(),
        doc["campaign"],
        doc["wave"],
        instrument.key,
        tuple(subs.values()),
        len(records) - len(subs),
    )


@dataclass(frozen=True)
class OfflineImport:
    """What an import of an export file did: responses added, and those already stored by an earlier file."""

    import_id: str | None
    campaign_id: str
    wave: int
    added: int
    already: int
    duplicates: int


def import_export(
    con: duckdb.DuckDBPyConnection, data: bytes, filename: str, code: str, *, campaign_id: str | None = None, actor: str = "facilitator"
) -> OfflineImport:
    """Import every record not stored yet, in one transaction, or nothing.

    Each response's UUID is its submission key, so the same file twice, or two files that overlap
    (exported on two days without clearing the tablet in between), store each response once.
    """
    batch = read_export(con, data, filename, code, campaign_id=campaign_id)
    instrument = campaign_instrument(con, batch.campaign_id, batch.wave)
    import_id = uuid.uuid4().hex
    with transaction(con):
        keys = [s.submission_key for s in batch.submissions]
        stored = (
            {k for (k,) in con.execute("SELECT submission_key FROM responses WHERE submission_key IN ?", [keys]).fetchall()}
            if keys
            else set()
        )
        new = [s for s in batch.submissions if s.submission_key not in stored]
        if new:
            insert_frames(con, submission_frames(instrument, new, import_id=import_id), instrument)
            con.execute(
                "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, current_date)",
                [import_id, batch.campaign_id, batch.wave, batch.sha256, filename, len(new)],
            )
        audit(
            con,
            actor,
            "import",
            f"{len(new)} responses from offline export '{filename}' (sha256 {batch.sha256}) into {batch.campaign_id} wave {batch.wave}; "
            f"{len(stored)} already imported",
        )
    return OfflineImport(import_id if new else None, batch.campaign_id, batch.wave, len(new), len(stored), batch.duplicates)
