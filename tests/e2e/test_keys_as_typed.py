"""An entry's key prints exactly as typed, wherever a person reads it: the progress bar on a terminal,
`ippbot status` and the report, even with an emoji code (`:copyright:`) or markup (`[b]`) in it."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import yaml
from playwright.sync_api import Browser
from support import DOCS, EMAIL, ROOT, MockPortal, Operator, registered
from support_cli import report_of

KEY = "ipr:copyright:CN:2020SR[b]654321:smile:"  # rich would print "ipr©CN:2020SR654321😄", in bold
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def on_a_terminal(operator: Operator, *args: str) -> str:
    """What one ippbot command writes to a terminal (a pseudo-terminal, 200 columns), escape codes removed."""
    leader, follower = pty.openpty()
    env = {**operator.env, "COLUMNS": "200", "TERM": "xterm"}
    process = subprocess.Popen([sys.executable, "-m", "bot.commands.cli", *args], cwd=ROOT, env=env,
                               stdout=follower, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closes with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=300) == 0
    return ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))


def test_a_key_with_an_emoji_code_prints_as_typed(portal: MockPortal, browser: Browser, tmp_path: Path) -> None:
    """The progress bar, `ippbot status` and the report show the key as it is in the batch."""
    operator = registered(portal, browser, tmp_path / "data", EMAIL)
    batch = tmp_path / "b.yaml"
    batch.write_text(yaml.safe_dump({"iprs": [{
        "key": KEY, "type": "copyright", "name": "Catalogue 2020", "registration_number": "2020SR654321",
        "registration_place": "CN", "rights_holder": "Demo Brand Ltd", "work_type": "photo",
        "documents": [str(DOCS / "copyright-certificate.pdf")]}]}), encoding="utf-8")
    operator.ippbot("enqueue", str(batch), check=True)
    terminal = on_a_terminal(operator, "run")
    assert f"confirmed  {KEY}" in terminal and "1/1" in terminal
    assert "©" not in terminal
    status = operator.ippbot("status", check=True).stdout
    assert KEY in status and "©" not in status
    report = report_of(terminal).read_text(encoding="utf-8")
    assert KEY in report and "©" not in report
