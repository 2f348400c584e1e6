"""Files that appear only when complete: written to a temporary file beside the target, synced,
then renamed over it, so a reader or a killed run never sees half a file. The file gets the mode
it would have if written in place (the old file's, else 0666 less the umask), not the 0600 of a
temporary file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator


@contextlib.contextmanager
def open_atomically(path: Path | str) -> Iterator[IO[str]]:
    """A text file to stream into; it replaces ``path`` when the block ends without error."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        os.chmod(tmp, _mode(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode(path: Path) -> int:
    """The mode the file would have if written in place: the old file's, else 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_atomically(path: Path | str, text: str) -> None:
    with open_atomically(path) as fh:
        fh.write(text)
