"""The `actions` table: reading a campaign's actions, and every write checked whole, in one transaction, and audited."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from survey.actions.schema import COLUMNS, EDITABLE, STORED, ActionsRefused, Catalogue, check_rows
from survey.campaigns import CampaignError, current_wave, get_campaign, instrument_by_key, list_waves
from survey.store import audit, transaction
from survey.tables import ImportProblem

_COLS = ", ".join(COLUMNS)
SELECT_ACTIONS = f"SELECT {_COLS} FROM actions WHERE campaign_id = ? ORDER BY created_at, action_id"
INSERT_ACTION = f"INSERT INTO actions ({_COLS}) VALUES ({', '.join('?' for _ in COLUMNS)})"
_SET = ", ".join(f"{c} = ?" for c in EDITABLE if c != "action_id")
UPDATE_ACTION = f"UPDATE actions SET {_SET}, updated_at = ? WHERE action_id = ? AND campaign_id = ?"
_NUMBERED = re.compile(r"^A(\d+)$")


@dataclass(frozen=True)
class SaveResult:
    """What a save changed, by action id: the audit entry says the same."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    published: tuple[str, ...] = ()
    unpublished: tuple[str, ...] = ()
    ids: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)

    def describe(self, words: Mapping[str, str] | None = None) -> str:
        """Each change with its ids ("added A3; updated A2"), named by `words` (a page's language) or in English, as the audit says."""
        parts = [
            f"{(words or {}).get(change, change)} {', '.join(ids)}"
            for change, ids in (
                ("added", self.added),
                ("updated", self.updated),
                ("deleted", self.deleted),
                ("published", self.published),
                ("unpublished", self.unpublished),
            )
            if ids
        ]
        return "; ".join(parts) or "no change"


def campaign_catalogue(con: duckdb.DuckDBPyConnection, campaign_id: str) -> Catalogue:
    """What the campaign's actions may point at: every wave's instrument (full or pulse), every wave number."""
    get_campaign(con, campaign_id)
    waves = list_waves(con, campaign_id)
    keys = dict.fromkeys(w.instrument_key for w in waves)
    return Catalogue.of([instrument_by_key(con, key) for key in keys], [w.wave for w in waves])


def _frame(rows: Sequence[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(COLUMNS)).astype(object)
    frame["answers_wave"] = frame["answers_wave"].astype("int64")
    frame["eur_per_year"] = frame["eur_per_year"].astype(float)
    frame["published"] = frame["published"].astype(bool)
    for column in ("created_at", "updated_at"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    frame = frame.where(frame.notna(), None) if len(frame) else frame
    frame["eur_per_year"] = frame["eur_per_year"].astype(float)
    return STORED.validate(frame)


def list_actions(con: duckdb.DuckDBPyConnection, campaign_id: str, *, published_only: bool = False) -> pd.DataFrame:
    """The campaign's actions, oldest first, in the columns of `COLUMNS` (checked by `STORED` on the way out).

    `published_only` is what a page open without sign-in may read: nothing leadership kept to itself.
    """
    rows = con.execute(SELECT_ACTIONS, [campaign_id]).fetchall()
    if published_only:
        rows = [r for r in rows if r[COLUMNS.index("published")]]
    return _frame(rows)


def _next_ids(con: duckdb.DuckDBPyConnection, count: int) -> list[str]:
    """A1, A2, ... across all campaigns: short enough to type in `repulse --actions A1,A3`."""
    taken = [int(m.group(1)) for (aid,) in con.execute("SELECT action_id FROM actions").fetchall() if (m := _NUMBERED.match(aid))]
    start = max(taken, default=0) + 1
    return [f"A{start + i}" for i in range(count)]


def _foreign_ids(
    con: duckdb.DuckDBPyConnection, campaign_id: str, checked: pd.DataFrame, rows: Sequence[int | None]
) -> list[ImportProblem]:
    """An id another campaign already uses would let one campaign's list overwrite another's action."""
    others = {r[0] for r in con.execute("SELECT action_id FROM actions WHERE campaign_id <> ?", [campaign_id]).fetchall()}
    return [
        ImportProblem(rows[pos], "action_id", aid, "already used by an action of another campaign; leave it empty for a new action")
        for pos, aid in enumerate(checked["action_id"])
        if aid in others
    ]


def _values(record: Mapping[str, object]) -> list[object]:
    return [record[c] for c in EDITABLE if c != "action_id"]


def save_actions(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    frame: pd.DataFrame,
    *,
    actor: str,
    rows: Sequence[int | None] | None = None,
    source: str = "actions",
) -> SaveResult:
    """Make the campaign's action list exactly `frame`: rows without an id are added, missing ids deleted, the rest updated.

    All or nothing: every row is checked first (ActionsRefused names each bad row and field, nothing
    is written), then every change is written in one transaction with one audit entry. `rows` gives
    the row number a person sees for each frame row (a file's line; default position + 1).
    """
    checked = check_rows(frame, campaign_catalogue(con, campaign_id), rows, source)
    numbers = list(rows) if rows is not None else list(range(1, len(checked) + 1))
    foreign = _foreign_ids(con, campaign_id, checked, numbers)
    if foreign:
        raise ActionsRefused(foreign, source)
    now = dt.datetime.now().replace(microsecond=0)
    default_wave = current_wave(con, campaign_id).wave
    with transaction(con):
        existing = {r["action_id"]: r for r in list_actions(con, campaign_id).to_dict("records")}
        new_ids = iter(_next_ids(con, int(checked["action_id"].isna().sum())))
        added, updated, published, unpublished, ids = [], [], [], [], []
        for record in checked.to_dict("records"):
            record["campaign_id"] = campaign_id
            if record["answers_wave"] is None:
                record["answers_wave"] = default_wave
            old = existing.get(record["action_id"])
            if old is None:
                record["action_id"] = record["action_id"] or next(new_ids)
                record["created_at"] = record["updated_at"] = now
                con.execute(INSERT_ACTION, [record[c] for c in COLUMNS])
                added.append(record["action_id"])
                (published if record["published"] else []).append(record["action_id"])
            elif _values(record) != _values(_comparable(old)):
                con.execute(UPDATE_ACTION, [*_values(record), now, record["action_id"], campaign_id])
                updated.append(record["action_id"])
                if record["published"] != old["published"]:
                    (published if record["published"] else unpublished).append(record["action_id"])
            ids.append(record["action_id"])
        deleted = [aid for aid in existing if aid not in set(ids)]
        for aid in deleted:
            con.execute("DELETE FROM actions WHERE action_id = ? AND campaign_id = ?", [aid, campaign_id])
        result = SaveResult(tuple(added), tuple(updated), tuple(deleted), tuple(published), tuple(unpublished), tuple(ids))
        if result.changed:
            audit(con, actor, "actions save", f"campaign {campaign_id} ({source}): {result.describe()}")
    return result


def _comparable(stored: Mapping[str, object]) -> dict[str, object]:
    """A stored row in the types `check_rows` gives, so an unchanged row compares equal and is not rewritten."""
    out = {c: (None if stored[c] is None or (isinstance(stored[c], float) and pd.isna(stored[c])) else stored[c]) for c in COLUMNS}
    out["answers_wave"] = int(stored["answers_wave"])
    out["published"] = bool(stored["published"])
    return out


def add_action(con: duckdb.DuckDBPyConnection, campaign_id: str, action: Mapping[str, object], *, actor: str) -> str:
    """Add one action (a dict of `EDITABLE` fields, e.g. from `action_from`) and return its new id; checked like a saved list."""
    fields = {k: v for k, v in action.items() if k != "action_id"}
    checked = check_rows(pd.DataFrame([fields]), campaign_catalogue(con, campaign_id), source="action")
    record = checked.to_dict("records")[0]
    now = dt.datetime.now().replace(microsecond=0)
    with transaction(con):
        record.update(campaign_id=campaign_id, action_id=_next_ids(con, 1)[0], created_at=now, updated_at=now)
        if record["answers_wave"] is None:
            record["answers_wave"] = current_wave(con, campaign_id).wave
        con.execute(INSERT_ACTION, [record[c] for c in COLUMNS])
        audit(con, actor, "action add", f"campaign {campaign_id}: {record['action_id']} on {record['target_kind']} {record['target_id']}")
    return str(record["action_id"])


def _require(con: duckdb.DuckDBPyConnection, campaign_id: str, action_id: str) -> None:
    if not con.execute("SELECT 1 FROM actions WHERE action_id = ? AND campaign_id = ?", [action_id, campaign_id]).fetchone():
        raise CampaignError(f"campaign '{campaign_id}' has no action '{action_id}'")


def set_published(con: duckdb.DuckDBPyConnection, campaign_id: str, action_id: str, published: bool, *, actor: str) -> None:
    """Show an action on the public "you said, we did" page, or take it off; audited because it is a publication."""
    with transaction(con):
        _require(con, campaign_id, action_id)
        con.execute(
            "UPDATE actions SET published = ?, updated_at = ? WHERE action_id = ? AND campaign_id = ?",
            [bool(published), dt.datetime.now().replace(microsecond=0), action_id, campaign_id],
        )
        audit(con, actor, "action publish" if published else "action unpublish", f"campaign {campaign_id}: {action_id}")


def delete_action(con: duckdb.DuckDBPyConnection, campaign_id: str, action_id: str, *, actor: str) -> None:
    """Remove one action, recorded in the audit log."""
    with transaction(con):
        _require(con, campaign_id, action_id)
        con.execute("DELETE FROM actions WHERE action_id = ? AND campaign_id = ?", [action_id, campaign_id])
        audit(con, actor, "action delete", f"campaign {campaign_id}: {action_id}")
