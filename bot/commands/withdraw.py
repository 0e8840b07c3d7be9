"""`ippbot withdraw REF [--listing URL]...`: withdraw a complaint, or some of its listings, on the portal.

Each withdrawal is filed exactly once, as every submission is (`bot.run.answers`), under the
account's lease (`--wait` waits for a run that holds it). Exit codes as `ippbot respond`: 0 every
withdrawal is on the portal, 1 some could not be filed (the line says why), 2 bad usage, 3 the
portal is down or a run holds the lease.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands.respond import file_targets
from bot.errors import InputError
from bot.run.answers import Target
from bot.settings import Settings


def withdraw(settings: Settings, reference: str, listings: Sequence[str], *, wait: bool) -> int:
    """Withdraw complaint `reference`, or only its `listings`; the exit code."""
    reference = reference.strip().upper()
    if not reference:
        raise InputError("withdraw takes the complaint's reference (ippbot status lists them)")
    targets = [Target("withdraw", reference, url.strip()) for url in dict.fromkeys(listings)] or [
        Target("withdraw", reference)]
    return file_targets(settings, targets, wait=wait)
