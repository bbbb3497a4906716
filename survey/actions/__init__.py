"""Actions: what leadership decided to do about a gap, blind spot or loss, with an owner, a date and a value hypothesis.

Storage API (every write checked whole, one transaction, one audit-log entry; nothing half-saved):

- `list_actions(con, campaign_id, *, published_only=False) -> pd.DataFrame` — columns `COLUMNS`
  (action_id, campaign_id, answers_wave, target_kind, target_id, group_a, group_b, title, owner,
  due_on [datetime.date|None], status, loss, eur_per_year [float|NaN], kpi, kpi_baseline, notes,
  published [bool], created_at, updated_at), oldest first, checked by `STORED`.
  `published_only=True` is what "you said, we did" may read without sign-in.
- `add_action(con, campaign_id, action: dict, *, actor) -> str` — one new action, returns its id (A1, A2, ...).
- `save_actions(con, campaign_id, frame, *, actor, rows=None, source="actions") -> SaveResult` —
  the campaign's whole list becomes `frame` (rows without action_id are added, ids missing from the
  frame deleted, changed rows updated); any bad row → `ActionsRefused` naming each row and field.
- `set_published(con, campaign_id, action_id, published, *, actor)`, `delete_action(con, campaign_id, action_id, *, actor)`.
- `action_from(target: dict, *, wave=None, title=None, owner="", ...) -> dict` — pure: a planned,
  unpublished action answering a target `{"kind": "dimension"|"item"|"blind_spot"|"loss", "id": ...,
  "a": "level=board", "b": "level=shop_floor", "label": ...}` (gap rows with `unit_type`/`unit` work too).
  `finding_target(finding) -> dict | None` says what a written finding is about, as such a target.
- `check_rows(frame, catalogue, rows=None) -> pd.DataFrame` and `campaign_catalogue(con, campaign_id)`:
  the validation on its own (pandera `raw_schema`), e.g. to check an edited table before asking to save.

Also: `survey.actions.pulse.start_pulse(con, campaign_id, from_wave, action_ids=None, *, actor)` opens a
re-pulse wave (a derived questionnaire, see that module for why); `survey.actions.files.write_actions` /
`import_actions` are the CSV/XLSX round trip behind `python -m survey actions export|import`.

Group pairs are written `attribute=option` (as `analysis.gaps.parse_group` reads them). A target
of kind `blind_spot` names a dimension; `group_a` is who predicts, `group_b` who is predicted.
Actions are deleted with their campaign (`survey.retention`, via the campaign_id column) and are in
every backup (`survey.backup` copies every table); deleting a wave keeps them (`answers_wave` is a
reference, not a `wave` column).
"""

from survey.actions.build import action_from, finding_target, target_of
from survey.actions.schema import COLUMNS, EDITABLE, KINDS, STATUSES, STORED, ActionsRefused, Catalogue, check_rows, raw_schema
from survey.actions.storage import (
    SaveResult,
    add_action,
    campaign_catalogue,
    delete_action,
    list_actions,
    save_actions,
    set_published,
)

__all__ = [
    "COLUMNS",
    "EDITABLE",
    "KINDS",
    "STATUSES",
    "STORED",
    "ActionsRefused",
    "Catalogue",
    "SaveResult",
    "action_from",
    "add_action",
    "campaign_catalogue",
    "check_rows",
    "delete_action",
    "finding_target",
    "list_actions",
    "raw_schema",
    "save_actions",
    "set_published",
    "target_of",
]
