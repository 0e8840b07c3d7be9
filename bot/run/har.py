"""HAR scrubbing: a recorded network log rewritten in place, atomically, with its secrets removed.

A HAR of a portal session carries the session itself. `scrub_har` takes out:

* cookies: every request's and response's ``cookies`` array is emptied;
* headers: the values of ``Cookie``, ``Set-Cookie``, ``Authorization`` and ``X-CSRF-Token``;
* form fields named ``password``, ``password_confirm``, ``code``, ``csrf_token``,
  ``slider_token``, or anything `bot.logs` treats as a sensitive key: in ``postData.params``,
  urlencoded, multipart and JSON ``postData.text``, and in query strings;
* in pages (``content.text``): the value of every ``<meta>`` and ``<input>`` whose name is
  sensitive, such as ``<meta name="csrf-token" content=...>`` and the hidden ``csrf_token``;
* every value registered with `bot.logs.register_secret`, wherever it appears.

Every one becomes ``[redacted]`` and everything else stays byte for byte, so the log is still a
faithful record: a page's hidden ``csrf_token`` reads ``[redacted]`` and the form post that
follows carries ``[redacted]`` too (URL-encoded in urlencoded bodies, as a browser sends it).
Bodies stored beside the HAR (``record_har_content="attach"``) are not read; the runner embeds.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from bot.files import PRIVATE, write_atomically
from bot.logs import REDACTED, mask_secrets, redact

SECRET_HEADERS = frozenset({"cookie", "set-cookie", "authorization", "x-csrf-token"})
SECRET_FIELDS = frozenset({"password", "password_confirm", "code", "csrf_token", "slider_token"})

_TAG = re.compile(r"<(?:meta|input)\b[^>]*>", re.IGNORECASE)
_TAG_NAME = re.compile(r"""\bname\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
_TAG_VALUE = re.compile(r"""(\b(?:content|value)\s*=\s*)("[^"]+"|'[^']+'|[^\s"'>]+)""", re.IGNORECASE)
_PART_NAME = re.compile(r'\bname="([^"]*)"')
_BOUNDARY = re.compile(r"boundary=(\"?)([^\";]+)\1")
CRLF = "\r\n"
_TEXTUAL = ("text/", "json", "javascript", "xml", "html", "x-www-form-urlencoded")


def scrub_har(path: Path) -> None:
    """Rewrite the HAR at `path` with every secret replaced by ``[redacted]`` (atomically, 0600)."""
    har = json.loads(path.read_text(encoding="utf-8"))
    write_atomically(path, json.dumps(scrub(har), ensure_ascii=False), mode=PRIVATE)


def scrub(har: dict[str, Any]) -> dict[str, Any]:
    """A HAR object with its secrets replaced; its entries keep their order and number."""
    for entry in har.get("log", {}).get("entries", []):
        _scrub_entry(entry)
    masked: dict[str, Any] = _map_strings(har, mask_secrets)
    return masked


def is_secret_field(name: str) -> bool:
    """Whether a form field, query parameter, JSON key or page input of this name holds a secret."""
    if name.lower() in SECRET_FIELDS:
        return True
    # bot.logs' sensitive-key rule, asked through its public processor so there is only one rule.
    return bool(redact(None, "", {name: "-"})[name] == REDACTED)


def _scrub_entry(entry: dict[str, Any]) -> None:
    request, response = entry.get("request", {}), entry.get("response", {})
    for message in (request, response):
        _scrub_headers(message)
    _scrub_query(request)
    if isinstance(request.get("postData"), dict):
        _scrub_post_data(request["postData"])
    if isinstance(response.get("content"), dict):
        _scrub_content(response["content"])


def _scrub_headers(message: dict[str, Any]) -> None:
    if "cookies" in message:
        message["cookies"] = []
    for header in message.get("headers", []):
        if str(header.get("name", "")).lower() in SECRET_HEADERS:
            header["value"] = REDACTED


def _scrub_query(request: dict[str, Any]) -> None:
    _redact_named(request.get("queryString", []))
    url = request.get("url")
    if isinstance(url, str) and "?" in url:
        base, _, rest = url.partition("?")
        query, hash_mark, fragment = rest.partition("#")
        request["url"] = f"{base}?{scrub_urlencoded(query)}{hash_mark}{fragment}"


def _scrub_post_data(post: dict[str, Any]) -> None:
    _redact_named(post.get("params", []))
    if isinstance(post.get("text"), str):
        post["text"] = scrub_body(post["text"], str(post.get("mimeType", "")))


def _redact_named(pairs: list[dict[str, Any]]) -> None:
    for pair in pairs:
        if is_secret_field(str(pair.get("name", ""))) and pair.get("value"):
            pair["value"] = REDACTED


def _scrub_content(content: dict[str, Any]) -> None:
    text, mime = content.get("text"), str(content.get("mimeType", ""))
    if not isinstance(text, str) or not any(kind in mime.lower() for kind in _TEXTUAL):
        return
    if content.get("encoding") == "base64":
        decoded = base64.b64decode(text).decode("utf-8", errors="surrogateescape")
        clean = mask_secrets(scrub_body(decoded, mime))
        content["text"] = base64.b64encode(clean.encode("utf-8", errors="surrogateescape")).decode("ascii")
    else:
        content["text"] = scrub_body(text, mime)


def scrub_body(text: str, mime: str) -> str:
    """A request or response body with its secret fields replaced, as its media type says."""
    kind = mime.lower()
    if "x-www-form-urlencoded" in kind:
        return scrub_urlencoded(text)
    if "multipart/form-data" in kind:
        return scrub_multipart(text, mime)
    if "json" in kind:
        return _scrub_json_text(text)
    if "html" in kind or "xml" in kind:
        return scrub_html(text)
    return text


def scrub_urlencoded(text: str) -> str:
    """``a=1&password=x`` with each secret field's value replaced (as a browser would encode it)."""
    return "&".join(_scrub_pair(pair) for pair in text.split("&"))


def _scrub_pair(pair: str) -> str:
    name, equals, value = pair.partition("=")
    if equals and value and is_secret_field(unquote_plus(name)):
        return f"{name}={quote_plus(REDACTED)}"
    return pair


def scrub_multipart(text: str, mime: str) -> str:
    """A multipart/form-data body with each secret field's value replaced (file parts untouched)."""
    found = _BOUNDARY.search(mime)
    if not found:
        return text
    delimiter = "--" + found.group(2)
    return delimiter.join(_scrub_part(part) for part in text.split(delimiter))


def _scrub_part(part: str) -> str:
    head, separator, body = part.partition(CRLF * 2)
    name = _PART_NAME.search(head)
    if not separator or not name or "filename=" in head or not body.strip(CRLF):
        return part
    if not is_secret_field(name.group(1)):
        return part
    ending = CRLF if body.endswith(CRLF) else ""
    return f"{head}{separator}{REDACTED}{ending}"


def scrub_html(text: str) -> str:
    """A page with the value of every ``<meta>``/``<input>`` whose name is sensitive replaced."""
    return _TAG.sub(_scrub_tag, text)


def _scrub_tag(match: re.Match[str]) -> str:
    tag = match.group(0)
    name = _TAG_NAME.search(tag)
    if not name or not is_secret_field(next(g for g in name.groups() if g is not None)):
        return tag
    return _TAG_VALUE.sub(lambda m: f'{m.group(1)}"{REDACTED}"', tag)  # empty values do not match


def _scrub_json_text(text: str) -> str:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text
    return json.dumps(_redact_keys(data), ensure_ascii=False)


def _redact_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if is_secret_field(str(k)) and v not in (None, "") else _redact_keys(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_keys(item) for item in value]
    return value


def _map_strings(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {k: _map_strings(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, change) for item in value]
    return value
