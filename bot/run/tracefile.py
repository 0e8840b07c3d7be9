"""Scrubbing a Playwright trace (.zip) of secrets before anyone can share it.

A trace records the actions (a `fill` of the password field carries the password), the
network (cookie headers) and the pages' resources (CSRF tokens in the HTML). Every text
member of the zip is rewritten: registered secrets (`bot.logs.register_secret`: the
password, session cookies, verification codes) are masked, and so are cookie headers and
CSRF token values wherever they appear. Binary members (screenshots) are kept as they are.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from bot.files import PRIVATE, replace_atomically
from bot.logs import REDACTED, mask_secrets

_PATTERNS = (
    # "name": "cookie", "value": "..."  (HAR-style header objects in trace.network)
    re.compile(r'("name"\s*:\s*"(?:cookie|set-cookie|x-csrf-token|authorization)"\s*,\s*"value"\s*:\s*")'
               r'((?:[^"\\]|\\.)*)(")', re.IGNORECASE),
    # cookies arrays: "value": "..." inside {"name": "IPP_SESSION", ...}
    re.compile(r'("name"\s*:\s*"[^"]*(?:session|sid|token)[^"]*"\s*,\s*"value"\s*:\s*")((?:[^"\\]|\\.)*)(")',
               re.IGNORECASE),
    # <meta name="csrf-token" content="...">  and  name="csrf_token" value="..."
    re.compile(r'(name=\\?"csrf[-_]token\\?"\s+(?:content|value)=\\?")([^"\\]*)(\\?")', re.IGNORECASE),
)


def scrub_text(text: str) -> str:
    """A text with every registered secret, cookie header and CSRF token masked."""
    text = mask_secrets(text)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)
    return text


def scrub_trace(path: Path) -> None:
    """Rewrite a trace zip in place (atomically, 0600 like a HAR: both hold page content) with
    every text member scrubbed."""
    tmp = path.with_suffix(".scrubbing")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, _scrubbed(source.read(info)))
    replace_atomically(path, tmp, mode=PRIVATE)


def _scrubbed(data: bytes) -> bytes:
    try:
        return scrub_text(data.decode("utf-8")).encode("utf-8")
    except UnicodeDecodeError:
        return data  # binary (screenshots): no text secret in it
