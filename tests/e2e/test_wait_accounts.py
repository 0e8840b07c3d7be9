"""The wait's commands with an accounts file: `sync` works every account in turn (one without its password never
stops the others), and `counter-notices`, `respond`, `withdraw` and `standing` take `--account EMAIL`."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from support import DOCS, MockPortal, Operator
from wait_support import portal_listings, urls, waiting_on_portal

ACCOUNTS = {"acme@agency.example": ("50000001", 7300000), "zeta@agency.example": ("50000002", 7400000)}


def agency(portal: MockPortal, tmp_path: Path, missing: str = "") -> Operator:
    """An operator with both accounts in an accounts file, their passwords in variables (but `missing`'s)."""
    path = tmp_path / "accounts.toml"
    path.write_text("".join(f'[[account]]\nemail = "{email}"\npassword_env = "PW_{email.split("@")[0].upper()}"\n\n'
                            for email in ACCOUNTS), encoding="utf-8")
    operator = Operator(portal, tmp_path / "data")
    operator.env.pop("IPPBOT_PASSWORD", None)
    operator.env["IPPBOT_ACCOUNTS_FILE"] = str(path)
    operator.env.update({f"PW_{e.split('@')[0].upper()}": f"Pw-{e[:4]}-Wait-7731" for e in ACCOUNTS if e != missing})
    return operator


def batch(tmp_path: Path, email: str) -> str:
    """One trademark and one complaint of 2 counter-noticed listings and 1 plain, for `email`'s account."""
    number, start = ACCOUNTS[email]
    ipr = {"type": "trademark", "name": f"MARK{number[-1]}", "registration_number": number,
           "registration_place": "CN", "rights_holder": "Demo Brand Ltd", "expiration_date": "2034-01-01",
           "classes": [9], "documents": [str(DOCS / "trademark-certificate.pdf")]}
    complaint = {"platform": "aliexpress", "ipr": number, "reason": "trademark_misuse", "listings": urls(2, 1, start)}
    path = tmp_path / f"{email.split('@')[0]}.yaml"
    path.write_text(yaml.safe_dump({"account": email, "iprs": [ipr], "complaints": [complaint]}), encoding="utf-8")
    return str(path)


def filed_and_noticed(operator: Operator, tmp_path: Path) -> None:
    """Both accounts registered, their batches filed, and the clock on until the 4 counter-notices arrive."""
    for email in ACCOUNTS:
        operator.ippbot("account", "register", "--account", email, check=True)
    operator.ippbot("enqueue", *(batch(tmp_path, email) for email in ACCOUNTS), check=True)
    operator.ippbot("run", check=True)
    operator.portal.advance(7)
    synced = operator.ippbot("sync", check=True)
    assert [line for line in synced.stdout.splitlines() if line.startswith("account ")] == \
        [f"account {email}:" for email in ACCOUNTS]
    assert synced.stdout.count("synced 1 IPRs") == 2
    operator.ippbot("run", check=True)
    for _ in range(10):
        if len(waiting_on_portal(operator.portal)) == 4:
            break
        operator.portal.advance(1)
    assert len(waiting_on_portal(operator.portal)) == 4


def owner(portal: MockPortal) -> dict[str, str]:
    """complaint reference -> the login email of the account that filed it."""
    state = portal.state()
    emails = {a["id"]: a["login_email"] for a in state["accounts"]}
    return {c["ref"]: emails[c["account_id"]] for c in state["complaints"]}


def test_the_wait_per_account(portal: MockPortal, tmp_path: Path) -> None:
    """sync reads both accounts; counter-notices, respond, withdraw and standing act on --account's alone."""
    operator = agency(portal, tmp_path)
    filed_and_noticed(operator, tmp_path)
    operator.ippbot("sync", check=True)
    whose = owner(portal)
    everyone = json.loads(operator.ippbot("counter-notices", "--json", check=True).stdout)
    assert {(n["complaint"], n["url"]) for n in everyone} == waiting_on_portal(portal)
    assert {n["account"] for n in everyone} == set(ACCOUNTS) and all(whose[n["complaint"]] == n["account"]
                                                                     for n in everyone)
    zeta = json.loads(operator.ippbot("counter-notices", "--json", "--account", "zeta@agency.example",
                                      check=True).stdout)
    assert len(zeta) == 2 and {n["account"] for n in zeta} == {"zeta@agency.example"}
    refused = operator.ippbot("respond", zeta[0]["url"], "--reject")
    assert refused.returncode == 2 and "--account" in refused.stderr
    done = operator.ippbot("respond", zeta[0]["url"], "--reject", "--account", "zeta@agency.example", check=True)
    assert done.stdout.startswith(f"filed: answer of {zeta[0]['complaint']} {zeta[0]['url']}")
    assert portal_listings(portal)[(zeta[0]["complaint"], zeta[0]["url"])]["response"] == "reject"
    acme = [n for n in everyone if n["account"] == "acme@agency.example"]
    operator.ippbot("withdraw", acme[0]["complaint"], "--listing", acme[0]["url"], "--account",
                    "acme@agency.example", check=True)
    assert portal_listings(portal)[(acme[0]["complaint"], acme[0]["url"])]["status"] == "withdrawn"
    read = json.loads(operator.ippbot("standing", "--json", "--account", "acme@agency.example", check=True).stdout)
    assert {"takedown_rate", "counter_notice_success_rate", "qualifies"} <= set(read)
    one = operator.ippbot("sync", "--account", "zeta@agency.example", check=True)
    assert "account zeta@agency.example:" in one.stdout and "acme" not in one.stdout


def test_sync_goes_on_past_an_account_without_its_password(portal: MockPortal, tmp_path: Path) -> None:
    """One account's password variable not set: one line naming it, exit 3, and the other account synced."""
    filed_and_noticed(agency(portal, tmp_path), tmp_path)
    done = agency(portal, tmp_path, missing="acme@agency.example").ippbot("sync")
    assert done.returncode == 3
    assert "ippbot: account acme@agency.example: its password variable PW_ACME is not set" in done.stderr
    assert "account zeta@agency.example:" in done.stdout and "2 counter-notices wait for an answer" in done.stdout
