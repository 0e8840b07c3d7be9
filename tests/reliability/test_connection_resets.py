"""Connections reset before the answer's first byte: the browser never files twice, nothing is lost.

A proxy (tests/reset_proxy.py) that knows only HTTP framing stands between the browser and the
portal, as a load balancer does. For a share of the form posts that come on a reused keep-alive
connection it forwards the post, lets the portal store it, and resets the browser's connection
before a single byte of the answer: the case in which Chromium re-sends a post by itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from reset_proxy import ResetProxy
from support import DOCS, Operator, assert_each_once, kill_at_random, size, write_batch


@pytest.fixture
def proxied(operator: Operator) -> Iterator[tuple[Operator, ResetProxy]]:
    """The operator's portal behind a proxy that resets 25% of the form posts.

    On any connection, not only those that carried a request before: ippbot sends its final post
    on a fresh one, and Chromium counts a socket that sat idle after it was opened as reused too.
    """
    with ResetProxy.for_url(operator.portal.url, reset_share=0.25, seed=5, reset_when="any") as proxy:
        operator.env["IPPBOT_PORTAL_URL"] = proxy.url
        yield operator, proxy


def run_until_done(operator: Operator, runs: int = 4) -> None:
    """Run again while entries remain (what the nightly schedule and the sweeper do)."""
    for _ in range(runs):
        if operator.ippbot("run").returncode == 0 and not operator.states().keys() - {"confirmed", "waiting"}:
            return


def every_kind_batch(path: Path, listings: int) -> Path:
    """One IPR of every other kind (a registered copyright, a patent, an other right, an unregistered
    work) with a complaint on each, the unregistered work named by its name."""
    common = {"registration_place": "CN", "rights_holder": "Demo Brand Ltd"}
    iprs: list[dict[str, Any]] = [
        {"type": "copyright", "name": "Catalogue 2020", "registration_number": "2020SR654321", "work_type": "photo",
         "documents": [str(DOCS / "copyright-certificate.pdf")]},
        {"type": "patent", "name": "Folding stand", "registration_number": "ZL201910654321.1",
         "expiration_date": "2039-09-30", "patent_type": "utility_model",
         "documents": [str(DOCS / "patent-certificate.pdf")]},
        {"type": "other", "name": "Trade dress", "registration_number": "TD-2020-654", "valid_from": "2020-01-01",
         "valid_to": "2032-12-31", "content": "Trade dress of the bottle",
         "documents": [str(DOCS / "other-certificate.pdf")]},
        {"type": "copyright", "name": "Unregistered lookbook", "registered": False, "work_type": "photo",
         "documents": [str(DOCS / "copyright-certificate.pdf")]},
    ]
    handles = [("2020SR654321", "image_copy"), ("ZL201910654321.1", "patent_infringement"),
               ("TD-2020-654", "other"), ("Unregistered lookbook", "content_copy")]
    def urls(i: int) -> list[str]:
        return [f"https://www.aliexpress.com/item/{9100000 + i * 1000 + k}.html" for k in range(listings)]

    complaints = [{"platform": "aliexpress", "ipr": handle, "reason": reason, "listings": urls(i),
                   "note": "Copies the bottle's trade dress"} for i, (handle, reason) in enumerate(handles)]
    path.write_text(yaml.safe_dump({"iprs": [common | i for i in iprs], "complaints": complaints}), encoding="utf-8")
    return path


def test_resets_over_the_whole_journey_file_each_record_once(proxied: tuple[Operator, ResetProxy],
                                                             tmp_path: Path) -> None:
    """IPRs of every kind, then complaints of many listings, through resets: every record on the portal once."""
    operator, proxy = proxied
    n = size(4, 40)
    batch = write_batch(tmp_path / "b.yaml", iprs=n, complaints_per_ipr=1, listings=size(20, 300))
    kinds = every_kind_batch(tmp_path / "kinds.yaml", listings=size(20, 300))
    operator.ippbot("enqueue", str(batch), str(kinds), check=True)
    run_until_done(operator)
    operator.portal.advance(7)
    operator.ippbot("sync", check=True)
    run_until_done(operator)
    assert operator.states() == {"confirmed": 2 * n + 8}
    assert proxy.stats.resets >= 1
    assert_each_once(operator.portal, operator)


def unregistered_batch(path: Path, works: int, listings: int) -> Path:
    """Unregistered works (no registration number) and one complaint on each, naming the work by its name."""
    batch: dict[str, list[dict[str, Any]]] = {"iprs": [], "complaints": []}
    for i in range(works):
        name = f"Photo series {i}"
        batch["iprs"].append({"type": "copyright", "name": name, "registered": False, "registration_place": "CN",
                              "rights_holder": "Demo Brand Ltd", "work_type": "photo",
                              "documents": [str(DOCS / "copyright-certificate.pdf")]})
        urls = [f"https://www.aliexpress.com/item/{8100000 + i * 1000 + k}.html" for k in range(listings)]
        batch["complaints"].append({"platform": "aliexpress", "ipr": name, "reason": "image_copy", "listings": urls})
    path.write_text(yaml.safe_dump(batch), encoding="utf-8")
    return path


def test_duplicate_trap_and_resets_with_unregistered_works(proxied: tuple[Operator, ResetProxy],
                                                          tmp_path: Path) -> None:
    """Works without a number, and complaints naming them, under the duplicate trap and resets: each filed once."""
    operator, proxy = proxied
    n = size(3, 30)
    operator.ippbot("enqueue", str(unregistered_batch(tmp_path / "w.yaml", n, size(5, 50))), check=True)
    operator.portal.faults(commit_then_fail=0.3, seed=8)
    run_until_done(operator)
    operator.portal.advance(7)
    operator.ippbot("sync", check=True)
    run_until_done(operator)
    assert operator.states() == {"confirmed": 2 * n}
    assert operator.portal.fired().get("commit_then_fail", 0) + proxy.stats.resets >= 1
    assert_each_once(operator.portal, operator)
    names = Counter(i["name"] for i in operator.portal.state()["iprs"])
    assert set(names.values()) == {1}


def test_resets_and_kills_at_random_moments(proxied: tuple[Operator, ResetProxy], tmp_path: Path) -> None:
    """Resets of 25% of posts, and runs killed with -9 at random moments, then clean runs: each IPR once."""
    operator, proxy = proxied
    n = size(8, 200)
    operator.ippbot("enqueue", str(write_batch(tmp_path / "batch.yaml", iprs=n)), check=True)
    kill_at_random(operator, seed=9, times=size(4, 30))
    run_until_done(operator)
    assert operator.states() == {"confirmed": n}
    assert proxy.stats.resets >= 1
    assert_each_once(operator.portal, operator)
