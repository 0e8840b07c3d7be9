"""`ippbot selectors check` against the live portal: every key counted, broken ones named by file and key."""

from __future__ import annotations

from pathlib import Path

from support import V2_SELECTORS, MockPortal, aliexpress, approved, run_ippbot, settings_env

from bot.models import Complaint
from flows.context import FlowContext
from flows.file_complaint import file_complaint

V1_FILES = ("common", "complaint_check", "complaint_detail", "complaint_form", "history", "identity",
            "ipr_confirmation", "ipr_form", "ipr_manage", "login", "register", "user")


def with_a_complaint(member: FlowContext, portal: MockPortal) -> None:
    """Give the account an approved IPR and a filed complaint, so that every page can be shown."""
    ipr = approved(member, portal)
    file_complaint(member, Complaint(platform="aliexpress", ipr=ipr.registration_number,
                                     reason="counterfeit", listings=aliexpress(2)))


def check(member: FlowContext, tmp_path: Path, **overrides: object) -> tuple[int, list[str]]:
    """Run `ippbot selectors check` with the member's settings; its exit code and stdout lines."""
    settings = member.settings.model_copy(update=overrides)
    result = run_ippbot("selectors", "check", env=settings_env(settings), cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout.splitlines()


def test_v1_selectors_all_match_the_v1_portal(member: FlowContext, portal: MockPortal, tmp_path: Path) -> None:
    """On the portal they were written for, every checked key matches as expected and the check exits 0."""
    with_a_complaint(member, portal)
    code, lines = check(member, tmp_path)
    assert code == 0, "\n".join(lines)
    assert not [line for line in lines if line.startswith("BROKEN")]
    for name in V1_FILES:
        assert any(line.startswith(f"ok           selectors/{name}.toml (") for line in lines), name
    assert ("not checked  selectors/verify.toml: needs an account waiting for its emailed code "
            "(the portal sent us to /login.htm)") in lines
    assert lines[-1].endswith("0 broken; 1 file not checked")


def test_pages_without_data_are_reported_not_checked(member: FlowContext, tmp_path: Path) -> None:
    """An account with no IPR and no complaint gets its record pages reported as not checked, with why."""
    code, lines = check(member, tmp_path)
    assert code == 0
    assert "not checked  selectors/ipr_confirmation.toml: needs an IPR on the account" in lines
    assert "not checked  selectors/complaint_detail.toml: needs a complaint on the account" in lines
    assert "not checked  selectors/complaint_check.toml: needs a complaint on the account" in lines


def test_v1_selectors_on_the_v2_portal_are_named(v2_member: FlowContext, portal_v2: MockPortal,
                                                 tmp_path: Path) -> None:
    """Against the redesigned portal the v1 selectors are reported by file, key and count, and it exits 1."""
    with_a_complaint(v2_member, portal_v2)
    code, lines = check(v2_member, tmp_path, timeout_ms=1500)
    assert code == 1
    broken = [line for line in lines if line.startswith("BROKEN")]
    assert "BROKEN       selectors/register.toml: location: matches no element on /register.htm" in broken
    assert "BROKEN       selectors/login.toml: submit: matches no element on /login.htm" in broken
    assert any(line.startswith("BROKEN       selectors/ipr_manage.toml: table, empty: expected exactly one")
               for line in broken)
    assert any(line.startswith("BROKEN       selectors/ipr_form.toml: registration_number: matches no element "
                               "on any of 4 pages") for line in broken)
    files = {line.split()[1].rstrip(":") for line in broken}
    assert files == {f"selectors/{n}.toml" for n in ("complaint_form", "history", "identity", "ipr_form",
                                                      "ipr_manage", "login", "register")}
    assert ("not checked  selectors/complaint_detail.toml: needs a complaint on the account (could not read "
            "the complaint history: selectors/history.toml: table: matches no element)") in lines


def test_v2_selectors_all_match_the_v2_portal(v2_member: FlowContext, portal_v2: MockPortal,
                                              tmp_path: Path) -> None:
    """The v2 selectors set matches the redesigned portal everywhere: a portal change is a data edit."""
    with_a_complaint(v2_member, portal_v2)
    code, lines = check(v2_member, tmp_path, selectors_dir=V2_SELECTORS)
    assert code == 0, "\n".join(lines)
    assert lines[-1].endswith("0 broken; 1 file not checked")
