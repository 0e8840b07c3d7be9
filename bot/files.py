"""Files: the one way ippbot replaces a file it writes (summaries, reports, scrubbed HARs and traces, sessions).

A reader never sees half a file: the content goes to a temporary file beside the target, is
flushed to disk, and takes the target's name in one rename. The temporary file is created with
the target's final mode, so a secret is never readable by others, even for a moment.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE = 0o600  # page content and secrets: the owner only
SHARED = 0o644  # reports and summaries


def write_atomically(path: Path, data: str | bytes, *, mode: int = SHARED) -> None:
    """Replace `path` with `data` (text is UTF-8) in one rename; the file gets `mode`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
            out.flush()
            os.fsync(out.fileno())
        tmp.chmod(mode)  # O_CREAT's mode is masked by the umask; the target gets exactly `mode`
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def replace_atomically(path: Path, tmp: Path, *, mode: int = SHARED) -> None:
    """Give `tmp` (written by a library, such as a zip) the name `path`, with `mode`, in one rename."""
    with tmp.open("rb") as written:
        os.fsync(written.fileno())
    tmp.chmod(mode)
    tmp.replace(path)
