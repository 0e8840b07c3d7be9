"""Actions: the ledger's record of each counter-notice answer and each withdrawal ippbot files, so each is filed once.

`ActionCalls` is mixed into `bot.store.ledger.Ledger`. An action is keyed by what it acts on
(kind, complaint, listing URL, the counter-notice's chance), and moves like an entry's submit::

    (new), not_filed, refused --begin--> submitting     committed BEFORE the final click
    submitting --settle--> done          the portal's records show it
    submitting --settle--> unknown       the answer was lost: look the records up before anything else
    submitting, unknown --settle--> not_filed   the records prove it absent: it may be filed again
    submitting, unknown --settle--> refused     the portal would not take it (nothing waits any more)
    unknown --settle--> needs_human      the records could not tell: a person looks

`begin` refuses an action that is done or in doubt (submitting, unknown, needs_human): the caller
reads the portal's records first (`bot.run.answers`). `needs_human` is settled by a person's look
on the portal, then `settle` (or a new `begin` once it is `not_filed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, insert, select, update

from bot.errors import LedgerError
from bot.store.records import ActionRow
from bot.store.schema import action_table

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["IN_DOUBT", "ActionCalls", "ActionKind", "ActionState"]

ActionKind = Literal["answer", "withdraw"]
ActionState = Literal["submitting", "done", "unknown", "not_filed", "refused", "needs_human"]
IN_DOUBT: frozenset[str] = frozenset({"submitting", "unknown", "needs_human"})
MAY_BEGIN: frozenset[str] = frozenset({"not_filed", "refused"})


class ActionCalls:
    """The answer and withdrawal calls of `Ledger`."""

    if TYPE_CHECKING:
        _engine: Engine

        def _now(self, now: datetime | None) -> datetime: ...

    def begin_action(self, account: str, kind: ActionKind, complaint: str, url: str, chance: int, *,
                     decision: str, note: str = "", evidence: Sequence[Path] = (),
                     now: datetime | None = None) -> ActionRow:
        """Commit `submitting` for this action: call it, and let it commit, BEFORE the final click."""
        at = self._now(now)
        values = {"account": account, "decision": decision, "note": note, "evidence": [str(p) for p in evidence],
                  "state": "submitting", "detail": "about to click submit", "updated_at": at}
        with self._engine.begin() as conn:
            row = _find(conn, kind, complaint, url, chance)
            if row is None:
                conn.execute(insert(action_table), [{**values, "kind": kind, "complaint": complaint, "url": url,
                                                     "chance": chance, "created_at": at}])
            elif row.state in MAY_BEGIN:
                conn.execute(update(action_table).where(action_table.c.id == row.id).values(**values))
            else:
                raise LedgerError(f"{kind} of {complaint} {url or '(whole complaint)'} is {row.state}: "
                                  "look it up on the portal before filing it again")
            found = _find(conn, kind, complaint, url, chance)
            assert found is not None
            return _action_row(found)

    def settle_action(self, action_id: int, state: ActionState, detail: str, *,
                      now: datetime | None = None) -> ActionRow:
        """Record how an action ended (or that its outcome is unknown), with why."""
        at = self._now(now)
        with self._engine.begin() as conn:
            conn.execute(update(action_table).where(action_table.c.id == action_id)
                         .values(state=state, detail=detail, updated_at=at))
            row = conn.execute(select(action_table).where(action_table.c.id == action_id)).one_or_none()
        if row is None:
            raise LedgerError(f"no action {action_id}")
        return _action_row(row)

    def action_for(self, kind: ActionKind, complaint: str, url: str, chance: int) -> ActionRow | None:
        """The action on this target, if ippbot ever began one."""
        with self._engine.connect() as conn:
            row = _find(conn, kind, complaint, url, chance)
        return None if row is None else _action_row(row)

    def actions(self, account: str | None = None) -> list[ActionRow]:
        """Every action (of `account`), oldest first."""
        query = select(action_table).order_by(action_table.c.id)
        if account is not None:
            query = query.where(action_table.c.account == account)
        with self._engine.connect() as conn:
            return [_action_row(row) for row in conn.execute(query)]


def _find(conn: Connection, kind: str, complaint: str, url: str, chance: int) -> Any:
    columns = action_table.c
    return conn.execute(select(action_table).where(columns.kind == kind, columns.complaint == complaint,
                                                   columns.url == url, columns.chance == chance)).one_or_none()


def _action_row(row: Any) -> ActionRow:
    data = dict(row._mapping)
    return ActionRow.model_validate({**data, "evidence": tuple(data["evidence"] or ())})
