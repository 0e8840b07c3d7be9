"""States: the one table of an entry's states and the moves between them (`LEGAL`), drawn below.

The state machine (every move is also a row in ``transitions``)::

          add
           |
           v        claim_next            mark_submitting               confirm
        pending -----------------> claimed --------------> submitting -----------> confirmed
         |  ^ ^                     | | |                      |                     ^    ^
         |  | |     retry_later,    | | |                      | mark_unknown,       |    |
         |  | +---- recover_stale --+ | +-- fail --> failed    | recover_stale       |    |
         |  |                         |                        v                     |    |
         |  |                         +--- confirm(existing=True) -------------------+    |
         |  |                                                unknown -- reconcile: found -+
         |  +------------ reconcile: proven absent ------------+  |
         v  |                                                     +-- reconcile: cannot tell
        waiting   a complaint whose IPR is not approved yet:          (or needs_human) --> needs_human
                  parked by claim_next, woken once it is

        dead: from claimed (retry_later, recover_stale) and from unknown (reconcile: proven
        absent) once `max_attempts` are used up; from pending or waiting by give_up. It says why.

Every legal move, with the `Ledger` call that makes it (`LEGAL` is the machine; nothing else is)::

    pending -> claimed       claim_next
    pending -> waiting       claim_next (the complaint's IPR is not approved)
    pending -> dead          give_up
    waiting -> pending       claim_next, set_portal_status (the IPR is now approved)
    waiting -> dead          give_up
    claimed -> submitting    mark_submitting: committed BEFORE the submit click
    claimed -> pending       retry_later (transient, before the click), recover_stale
    claimed -> failed        fail (permanent, with the portal's reason)
    claimed -> confirmed     confirm(existing=True): the pre-submit lookup found it
    claimed -> dead          retry_later, recover_stale: attempts used up
    submitting -> confirmed  confirm, with the portal's reference
    submitting -> unknown    mark_unknown (crash, timeout, lost session after the click),
                             recover_stale (the worker's lease ran out)
    unknown -> confirmed     reconcile: found on the portal
    unknown -> pending       reconcile: proven absent (only with proof)
    unknown -> dead          reconcile: proven absent, attempts used up
    unknown -> needs_human   reconcile: cannot tell; needs_human

`confirmed`, `failed`, `dead` and `needs_human` have no way out for the bot (a person resolves
`needs_human`). What the portal's review later says about a confirmed entry goes in its own
column, `portal_status` (`set_portal_status`, from `ippbot sync`), not in the state.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["ANY", "FINAL", "LEGAL", "STATES", "State"]

State = Literal[
    "pending",
    "waiting",
    "claimed",
    "submitting",
    "unknown",
    "confirmed",
    "failed",
    "needs_human",
    "dead",
]
STATES: tuple[State, ...] = get_args(State)

LEGAL: dict[State, frozenset[State]] = {
    "pending": frozenset({"claimed", "waiting", "dead"}),
    "waiting": frozenset({"pending", "dead"}),
    "claimed": frozenset({"submitting", "pending", "failed", "confirmed", "dead"}),
    "submitting": frozenset({"confirmed", "unknown"}),
    "unknown": frozenset({"confirmed", "pending", "dead", "needs_human"}),
    "confirmed": frozenset(),
    "failed": frozenset(),
    "needs_human": frozenset(),
    "dead": frozenset(),
}
FINAL: frozenset[State] = frozenset(s for s, targets in LEGAL.items() if not targets)
ANY: frozenset[State] = frozenset(STATES)
