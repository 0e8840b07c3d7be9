"""States: the one table of an entry's states and the moves between them (`LEGAL`), drawn below.

What each state means and what the operator does about it is `MEANS` and `OPERATOR_DOES`
(`ippbot history` prints them); which moves only a person makes is `BY_OPERATOR`. Every move
is also a row in ``transitions``.

The bot's path, from a batch file to the portal::

          add
           |
           v        claim_next            mark_submitting               confirm
        pending -----------------> claimed --------------> submitting -----------> confirmed
         |  ^ ^                     | | | |                    |                     ^    ^
         |  | |     retry_later,    | | | |                    | mark_unknown,       |    |
         |  | +---- recover_stale --+ | | +-- fail --> failed  | recover_stale       |    |
         |  |                         | |                      v                     |    |
         |  |                         | +-- confirm(existing=True) ------------------+    |
         |  |                         |                      unknown -- reconcile: found -+
         |  +------------ reconcile: proven absent ------------+  |
         |                            |                           +-- reconcile: cannot tell,
         |                            +-- park: a human check        needs_human ----+
         |                                in a headless run --> needs_human <--------+
         v                                                     (parked | cannot tell)
        waiting, blocked: a complaint held for its IPR (below)

        dead: from claimed (retry_later, recover_stale) and from unknown (reconcile: proven
        absent) once `max_attempts` are used up; from pending, waiting or blocked by give_up.

A complaint held for its IPR (claim_next looks before it claims one; set_portal_status and
recheck look again at every held complaint)::

        pending ---- its IPR is in line or in review ----------------------> waiting
        pending ---- its IPR is rejected, failed, dead, expired, cancelled --> blocked
        waiting <--- the same, as its IPR moves -----------------------------> blocked
        waiting, blocked ---- its IPR is approved ---> pending (keeping its place in line)

The operator's moves (`ippbot retry`, `ippbot resolve`, `ippbot cancel`, and `ippbot enqueue` of a
corrected IPR), each with a line in the entry's history::

        failed, dead, needs_human (parked) ------------ retry -----------> pending
                                                          (attempts counted afresh)
        unknown, needs_human (cannot tell) ---- resolve --filed REF -----> confirmed
        unknown, needs_human (cannot tell) ---- resolve --not-filed -----> pending
        pending, waiting, blocked, failed, dead,
        needs_human (parked) ------------------------- cancel -----------> cancelled
        confirmed (an IPR the review rejected), failed,
        dead, pending, waiting (IPRs) ---- enqueue with corrects: KEY ---> pending

    Nothing may be in flight for a cancel: never from claimed or submitting (a run has it),
    nor from unknown or a needs_human that cannot tell (it may be on the portal: resolve it
    first), nor from confirmed (it is filed: withdraw it on the portal).

Every legal move, with the `Ledger` call that makes it (`LEGAL` is the machine; nothing else is)::

    pending -> claimed         claim_next
    pending -> waiting         claim_next (the complaint's IPR is in line or in review)
    pending -> blocked         claim_next (the complaint's IPR is rejected, failed, dead, expired
                               or cancelled)
    pending -> dead            give_up
    pending -> cancelled       cancel
    waiting -> pending         claim_next, set_portal_status, recheck (the IPR is now approved)
    waiting -> blocked         claim_next, set_portal_status, recheck
    waiting -> dead            give_up
    waiting -> cancelled       cancel
    blocked -> pending         claim_next, set_portal_status, recheck (the IPR is now approved)
    blocked -> waiting         claim_next, set_portal_status, recheck (the IPR is in line or
                               in review again)
    blocked -> dead            give_up
    blocked -> cancelled       cancel
    claimed -> submitting      mark_submitting: committed BEFORE the submit click
    claimed -> pending         retry_later (transient, before the click), recover_stale
    claimed -> failed          fail (permanent, with the portal's reason)
    claimed -> confirmed       confirm(existing=True): the pre-submit lookup found it
    claimed -> dead            retry_later, recover_stale: attempts used up
    claimed -> needs_human     park (a human check met in a headless run; nothing was clicked)
    submitting -> confirmed    confirm, with the portal's reference
    submitting -> unknown      mark_unknown (crash, timeout, lost session after the click),
                               recover_stale (the worker's lease ran out)
    unknown -> confirmed       reconcile: found on the portal; resolve --filed REF
    unknown -> pending         reconcile: proven absent (only with proof); resolve --not-filed
    unknown -> dead            reconcile: proven absent, attempts used up
    unknown -> needs_human     reconcile: cannot tell; needs_human
    failed -> pending          retry
    failed -> cancelled        cancel
    dead -> pending            retry
    dead -> cancelled          cancel
    needs_human -> pending     retry (parked), resolve --not-filed (cannot tell)
    needs_human -> confirmed   resolve --filed REF (cannot tell)
    needs_human -> cancelled   cancel (parked)
    confirmed -> pending       enqueue of a correction (`corrects: KEY`): an IPR the portal's review
                               rejected, filed again through its record's edit form; failed and
                               dead IPRs are corrected the same way (-> pending), and one not filed
                               yet takes the new fields where it is (bot.store.corrections)

`cancelled` has no way out, nor has `confirmed` but for a rejected IPR the operator corrects.
`failed`, `dead` and `needs_human` have none for the bot: only a person moves them on. What the
portal's review later says about a confirmed entry goes in its own column, `portal_status`
(`set_portal_status`, from `ippbot sync`), not in the state; why a person is needed goes in
`human_reason` (`PARKED` or `CANNOT_TELL`).
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "ANY",
    "BY_OPERATOR",
    "CANNOT_TELL",
    "FINAL",
    "HELD",
    "LEGAL",
    "MEANS",
    "OPERATOR_DOES",
    "PARKED",
    "STATES",
    "HumanReason",
    "State",
]

State = Literal[
    "pending",
    "waiting",
    "blocked",
    "claimed",
    "submitting",
    "unknown",
    "confirmed",
    "failed",
    "needs_human",
    "dead",
    "cancelled",
]
STATES: tuple[State, ...] = get_args(State)

# Why a needs_human entry waits for a person: the two cases `ippbot retry` and `ippbot resolve` tell apart.
HumanReason = Literal["parked", "cannot_tell"]
PARKED: HumanReason = "parked"  # a human check met in a headless run, before any click: retry puts it back
CANNOT_TELL: HumanReason = "cannot_tell"  # the portal's records could not settle an unknown outcome: resolve it

LEGAL: dict[State, frozenset[State]] = {
    "pending": frozenset({"claimed", "waiting", "blocked", "dead", "cancelled"}),
    "waiting": frozenset({"pending", "blocked", "dead", "cancelled"}),
    "blocked": frozenset({"pending", "waiting", "dead", "cancelled"}),
    "claimed": frozenset({"submitting", "pending", "failed", "confirmed", "dead", "needs_human"}),
    "submitting": frozenset({"confirmed", "unknown"}),
    "unknown": frozenset({"confirmed", "pending", "dead", "needs_human"}),
    "confirmed": frozenset({"pending"}),  # only a rejected IPR, corrected by the operator (corrects: KEY)
    "failed": frozenset({"pending", "cancelled"}),
    "needs_human": frozenset({"pending", "confirmed", "cancelled"}),
    "dead": frozenset({"pending", "cancelled"}),
    "cancelled": frozenset(),
}

# The moves only a person makes (retry, resolve, cancel, give_up); the bot makes every other one.
BY_OPERATOR: frozenset[tuple[State, State]] = frozenset(
    {(source, "cancelled") for source, targets in LEGAL.items() if "cancelled" in targets}
    | {(source, "dead") for source in ("pending", "waiting", "blocked")}
    | {("failed", "pending"), ("dead", "pending"), ("needs_human", "pending"), ("needs_human", "confirmed"),
       ("confirmed", "pending")}
)
# States the bot never moves an entry out of: a person does, or nobody.
FINAL: frozenset[State] = frozenset(
    s for s, targets in LEGAL.items() if all((s, t) in BY_OPERATOR for t in targets)
)
HELD: tuple[State, ...] = ("waiting", "blocked")  # a complaint held for its IPR
ANY: frozenset[State] = frozenset(STATES)

MEANS: dict[State, str] = {
    "pending": "in line to be filed",
    "waiting": "a complaint waiting for its IPR, in line or in the portal's review",
    "blocked": "a complaint whose IPR is rejected, failed, dead, expired or cancelled",
    "claimed": "a run is working it, before the submit click",
    "submitting": "a run is clicking submit",
    "unknown": "submitted, but the portal's answer was lost; the next run looks it up first",
    "confirmed": "on the portal, with its reference",
    "failed": "the portal refused it for good",
    "needs_human": "a person must act (parked: a human check; cannot tell: the portal's records did not say)",
    "dead": "given up after its attempts ran out",
    "cancelled": "given up by the operator on purpose; never filed",
}
OPERATOR_DOES: dict[State, str] = {
    "pending": "nothing: the next run files it (ippbot cancel to give it up)",
    "waiting": "nothing: ippbot sync reads the IPR's review, and it goes on once approved",
    "blocked": "correct or file its IPR (ippbot retry --state blocked says why); it goes on once the IPR is approved",
    "claimed": "nothing: the run moves it on (a killed run's entries are handed back by the next)",
    "submitting": "nothing: the run confirms it, or the next run looks it up",
    "unknown": "nothing: the next run looks it up on the portal (or ippbot resolve after looking yourself)",
    "confirmed": "nothing (to take it back: ippbot withdraw; an IPR the review rejected: enqueue it corrected, "
                 "with corrects: KEY)",
    "failed": "correct what the portal refused, then ippbot retry KEY",
    "needs_human": "parked: clear the human check, then ippbot retry; cannot tell: check the portal, ippbot resolve",
    "dead": "see why in ippbot history KEY, then ippbot retry KEY",
    "cancelled": "nothing",
}
