"""Whether each response's rows agree across tables when a file opens: a never-committed write's leftovers are removed, the rest refused.

One response is a row in `responses` plus rows in `answers` (one per item of its wave's
questionnaire, don't know included), `response_attributes` (at least every required attribute),
`comments` and `value_choices`; an import adds its row in `imports`, whose `rows` counts its
responses. All of it is written in one transaction (`survey.responses.insert_frames`,
`survey.importer.run_import`), so on disk the tables must agree:

1. every row of a table with a `response_id` belongs to a stored response;
2. every response belongs to an existing wave and has exactly one answer per item of that wave's
   questionnaire and every required attribute;
3. every response tagged with an import has that import's record, and every import record counts
   exactly the responses tagged with it.

Why this exists: DuckDB 1.5 could bring back part of an uncommitted transaction after a `kill -9`
during its commit (a torn write-ahead log with row groups already written), which left 600,000
answers with no response and no import record. 2.0 no longer does; this is the net under it, and
under anything else that writes to the file.

Repair or refuse, decided per kind of disagreement:

- **Repaired** (removed, with an audit entry): rows that can only exist if the write that made them
  never committed. A child row without its response, and a response whose import has no record
  (the record is written last, in the same transaction), were never acknowledged to anyone: the
  respondent never saw "thank you", `run_import` never returned. Without their response such rows
  have no campaign, wave or date, so nothing could count them anyway. Keeping them would let an
  import that was killed and then run again count its respondents twice.
- **Refused** (the file does not open; the message names what is wrong): a response with too few or
  too many answers, a missing required attribute or no wave, and an import record whose count does
  not match. These may be answers someone was told were saved, and a half response would skew every
  score it takes part in. Only a person can choose between restoring a backup and removing exactly
  those rows (`python -m survey repair`, which removes them and records it).

Cost: the check runs when a file opens and may hold something not yet checked (see
`survey.store.Database`). It is one aggregate query: sums of hashes of the response ids stand in
for a row-by-row comparison of answers and required attributes with what each response needs
(no join over the answers), plus one anti-join of the smaller child tables; the row-by-row
diagnosis runs only when the totals disagree. On 100,000 respondents (3 million answers) it took
90-180 ms on the 2-core reference machine under load, against 20-40 ms for opening and closing the
file; re-opening a file unchanged since costs nothing. `bench/run.py` reports it as `open_check_ms`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import duckdb

from survey.instrument import InstrumentError, parse_instrument
from survey.store import DatabaseDamaged, audit, forget_wave_cells, transaction

ACTOR = "consistency check"
ACTION = "repair"
EXAMPLES = 3

# Every table whose rows belong to one response (a table added by a later migration is covered without touching this module).
_CHILD_TABLES_SQL = (
    "SELECT table_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' "
    "AND column_name = 'response_id' AND table_name <> 'responses' ORDER BY table_name"
)
_INSTRUMENTS_SQL = "SELECT DISTINCT i.instrument_key, i.source_yaml FROM instruments i JOIN waves w USING (instrument_key)"

# What each wave needs from a response: one answer per item of its questionnaire, and its required attributes.
_NEEDS = """
    required AS (SELECT unnest($keys::VARCHAR[]) AS instrument_key, unnest($attributes::VARCHAR[]) AS attribute),
    needs AS (
        SELECT w.campaign_id, w.wave, w.instrument_key,
               (SELECT count(*) FROM instrument_items i WHERE i.instrument_key = w.instrument_key) AS items,
               (SELECT list(q.attribute ORDER BY q.attribute) FROM required q WHERE q.instrument_key = w.instrument_key) AS required
        FROM waves w
    )"""

# The totals: what the responses need against what is stored, each side as a count and a sum of hashed response ids. A
# missing, surplus or orphaned row changes a sum; equal sums on both sides mean every response has what it needs. An
# attribute required by one questionnaire in use but optional in another can make the sums differ without a fault:
# the diagnosis below then finds nothing.
_TOTALS_SQL = """
WITH {needs},
expected AS (
    SELECT count(*) FILTER (WHERE n.items IS NULL) AS without_wave,
           coalesce(sum(n.items), 0) AS answers,
           coalesce(sum(n.items * hash(r.response_id)::HUGEINT), 0) AS answers_sum,
           coalesce(sum(len(n.required)), 0) AS required,
           coalesce(sum(len(n.required) * hash(r.response_id)::HUGEINT), 0) AS required_sum
    FROM responses r LEFT JOIN needs n USING (campaign_id, wave)
)
SELECT e.without_wave,
       e.answers = a.answers AND e.answers_sum = a.answers_sum AS answers_agree,
       e.required = q.required AND e.required_sum = q.required_sum AS attributes_agree,
       (SELECT count(*) FROM ({others}) ANTI JOIN responses USING (response_id)) AS orphans,
       (SELECT count(*) FROM imports i FULL JOIN (SELECT import_id, count(*) AS n FROM responses WHERE import_id IS NOT NULL GROUP BY ALL) r
            USING (import_id) WHERE i.rows IS DISTINCT FROM r.n) AS imports_off
FROM expected e,
     (SELECT count(*) AS answers, coalesce(sum(hash(response_id)::HUGEINT), 0) AS answers_sum FROM answers) a,
     (SELECT count(*) AS required, coalesce(sum(hash(response_id)::HUGEINT), 0) AS required_sum
      FROM response_attributes WHERE attribute IN (SELECT attribute FROM required)) q
"""

# The diagnosis, row by row (only when the totals disagree).
_ORPHAN_WHERE = "NOT EXISTS (SELECT 1 FROM responses r WHERE r.response_id = t.response_id)"
_ORPHANS_SQL = "SELECT count(*) FROM {table} t WHERE " + _ORPHAN_WHERE
_REMOVE_ORPHANS_SQL = "DELETE FROM {table} t WHERE " + _ORPHAN_WHERE
_UNRECORDED_WHERE = "r.import_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM imports i WHERE i.import_id = r.import_id)"
_UNRECORDED_SQL = f"""
SELECT count(*), list(DISTINCT r.import_id ORDER BY r.import_id)[1:{EXAMPLES}], count(DISTINCT r.import_id)
FROM responses r WHERE {_UNRECORDED_WHERE}
"""
_FAULTY_SQL = """
WITH {needs},
answered AS (
    SELECT a.response_id, count(*) AS answers, count(DISTINCT a.item_id) FILTER (WHERE i.item_id IS NOT NULL) AS known
    FROM answers a JOIN responses r USING (response_id) LEFT JOIN needs n USING (campaign_id, wave)
    LEFT JOIN instrument_items i ON i.instrument_key = n.instrument_key AND i.item_id = a.item_id
    GROUP BY ALL
),
described AS (SELECT response_id, list(DISTINCT attribute) AS attributes FROM response_attributes GROUP BY ALL),
faults AS (
    SELECT r.response_id,
           CASE WHEN n.items IS NULL THEN 'wave'
                WHEN coalesce(a.answers, 0) <> n.items OR coalesce(a.known, 0) <> n.items THEN 'answers'
                WHEN NOT list_has_all(coalesce(d.attributes, []), coalesce(n.required, [])) THEN 'attributes' END AS fault
    FROM responses r LEFT JOIN needs n USING (campaign_id, wave) LEFT JOIN answered a USING (response_id)
    LEFT JOIN described d USING (response_id)
    WHERE NOT ({unrecorded})
)
SELECT fault, list(response_id ORDER BY response_id) FROM faults WHERE fault IS NOT NULL GROUP BY ALL ORDER BY fault
"""
_IMPORTS_OFF_SQL = """
SELECT i.import_id, i.filename, i.rows, count(r.response_id) AS found
FROM imports i LEFT JOIN responses r USING (import_id) GROUP BY ALL HAVING count(r.response_id) <> i.rows ORDER BY i.import_id
"""

_FAULTS = {
    "wave": "{n} response(s) belong to a wave that does not exist",
    "answers": "{n} response(s) do not have exactly one answer per item of their questionnaire",
    "attributes": "{n} response(s) lack a required attribute",
}


class DatabaseInconsistent(DatabaseDamaged):
    """Rows of responses disagree across tables in a way that may hold acknowledged answers; `findings` names each."""

    def __init__(self, message: str, findings: tuple[Finding, ...]) -> None:
        self.findings = findings
        super().__init__(message)


@dataclass(frozen=True)
class Finding:
    """One way the rows disagree: what, how many rows, a few ids, and whether it is a never-committed write's leftover."""

    what: str
    rows: int
    examples: tuple[str, ...]
    repairable: bool
    removes: tuple[str, ...] = ()  # response ids to remove (refused findings; the repairable ones are found by SQL)
    imports: tuple[str, ...] = ()  # import records to remove with their responses

    def __str__(self) -> str:
        shown = ", ".join(e[:12] for e in self.examples)
        return f"{self.what}" + (f" (e.g. {shown})" if shown else "")


@functools.lru_cache(maxsize=32)
def _required_attributes(key: str, source_yaml: str) -> tuple[str, ...]:
    """A questionnaire's required attributes, parsed once per text. A text the parser no longer accepts requires none here:
    refusing to open a file over a questionnaire it once accepted would lock everyone out for nothing."""
    try:
        instrument = parse_instrument(source_yaml, key)
    except InstrumentError:
        return ()
    return tuple(sorted(a for a, spec in instrument.attributes.items() if spec.required))


def _params(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    pairs = [(key, attr) for key, source in con.execute(_INSTRUMENTS_SQL).fetchall() for attr in _required_attributes(key, source)]
    return {"keys": [k for k, _ in pairs], "attributes": [a for _, a in pairs]}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _child_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in con.execute(_CHILD_TABLES_SQL).fetchall()]


def agrees(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the totals agree: the cheap part, run on every check (and timed by the benchmark)."""
    others = " UNION ALL ".join(f"SELECT response_id FROM {_quote(t)}" for t in _child_tables(con) if t != "answers")
    sql = _TOTALS_SQL.format(needs=_NEEDS, others=others or "SELECT NULL::VARCHAR AS response_id WHERE false")
    without_wave, answers_agree, attributes_agree, orphans, imports_off = con.execute(sql, _params(con)).fetchone()
    return without_wave == 0 and bool(answers_agree) and bool(attributes_agree) and orphans == 0 and imports_off == 0


_IMPORTS_OF_SQL = "SELECT DISTINCT import_id FROM responses WHERE import_id IS NOT NULL AND response_id IN (SELECT unnest($ids::VARCHAR[]))"
_RECOUNT_IMPORT_SQL = "UPDATE imports SET rows = (SELECT count(*) FROM responses WHERE import_id = $id) WHERE import_id = $id"


def inspect(con: duckdb.DuckDBPyConnection) -> tuple[Finding, ...]:
    """Every disagreement between the rows of responses, repairable ones first; empty when the tables agree."""
    if agrees(con):
        return ()
    findings: list[Finding] = []
    for table in _child_tables(con):
        orphans = con.execute(_ORPHANS_SQL.format(table=_quote(table))).fetchone()[0]
        if orphans:
            findings.append(Finding(f"{orphans} row(s) in {table} without their response", orphans, (), True))
    rows, imports, n_imports = con.execute(_UNRECORDED_SQL).fetchone()
    if rows:
        findings.append(Finding(f"{rows} response(s) of {n_imports} import(s) that have no import record", rows, tuple(imports), True))
    sql = _FAULTY_SQL.format(needs=_NEEDS, unrecorded=_UNRECORDED_WHERE)
    for fault, ids in con.execute(sql, _params(con)).fetchall():
        findings.append(Finding(_FAULTS[fault].format(n=len(ids)), len(ids), tuple(ids[:EXAMPLES]), False, removes=tuple(ids)))
    for import_id, filename, recorded, found in con.execute(_IMPORTS_OFF_SQL).fetchall():
        what = f"import {import_id[:12]} ('{filename}') records {recorded} response(s) but {found} are stored"
        findings.append(Finding(what, found, (), False, imports=(import_id,)))
    return tuple(findings)


def refusal_message(where: str, findings: tuple[Finding, ...]) -> str:
    """What a person reads instead of a dashboard: what disagrees, why nothing was removed, and the two ways out."""
    refused = [f for f in findings if not f.repairable]
    lines = [f"The database {where} was not opened: the rows of some responses do not agree across its tables."]
    lines += [f"  - {f}" for f in refused]
    lines.append(
        "These may be answers someone was told were saved, so nothing was removed automatically.\n"
        f"Recovery: stop every process using it; copy {where} and {where}.wal (if there is one) aside as a backup; then either "
        f"restore the last backup into a new file (`python -m survey restore DIR --db NEW_FILE`), or remove exactly the rows "
        f"named above with `python -m survey repair --db {where}` (recorded in the audit log; an import removed this way can "
        "be imported again)."
    )
    return "\n".join(lines)


def verify(con: duckdb.DuckDBPyConnection, where: str, *, repair_all: bool = False) -> tuple[Finding, ...]:
    """Check the file as it opens; remove what a never-committed write left (audited) and return what was found.

    Raises DatabaseInconsistent, with nothing changed, when a disagreement may involve acknowledged answers,
    unless `repair_all` (the `repair` command: a person decided) removes those responses and imports too.
    """
    findings = inspect(con)
    if not findings:
        return ()
    if not repair_all and any(not f.repairable for f in findings):
        raise DatabaseInconsistent(refusal_message(where, findings), findings)
    removed = [f for f in findings if repair_all or f.repairable]
    with transaction(con):
        con.execute(f"DELETE FROM responses r WHERE {_UNRECORDED_WHERE}")
        responses = [rid for f in removed for rid in f.removes]
        imports = [iid for f in removed for iid in f.imports]
        if responses:
            touched = con.execute(_IMPORTS_OF_SQL, {"ids": responses}).fetchall()
            con.execute("DELETE FROM responses WHERE response_id IN (SELECT unnest($ids::VARCHAR[]))", {"ids": responses})
            for (import_id,) in touched:  # the import keeps its other responses, and its record counts what is left
                con.execute(_RECOUNT_IMPORT_SQL, {"id": import_id})
        if imports:
            con.execute("DELETE FROM responses WHERE import_id IN (SELECT unnest($ids::VARCHAR[]))", {"ids": imports})
            con.execute("DELETE FROM imports WHERE import_id IN (SELECT unnest($ids::VARCHAR[]))", {"ids": imports})
        for table in _child_tables(con):
            con.execute(_REMOVE_ORPHANS_SQL.format(table=_quote(table)))
        forget_wave_cells(con)  # derived from the responses; rebuilt by the next read
        how = "on request" if repair_all and any(not f.repairable for f in findings) else "left by a write that never committed"
        audit(con, ACTOR, ACTION, f"removed rows {how}: " + "; ".join(str(f) for f in removed))
    return findings
