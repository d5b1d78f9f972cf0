"""Reading a text file with a hard byte limit, refusing what is not a regular file.

``Path.read_bytes`` trusts nothing but also bounds nothing: ``/dev/zero`` never ends, a FIFO
blocks the reader until someone writes to it, and a ``/proc`` file reports a size of 0 and
then produces text. :func:`read_text` opens without blocking, refuses anything that is not a
regular file, reads at most ``limit + 1`` bytes whatever ``st_size`` says, and refuses a file
whose content does not match the size it reports (a pseudo-file, or one being written).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import ModelFileError

__all__ = ["read_text"]

_CHUNK = 1 << 20

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_text(path: str | os.PathLike, limit: int, what: str = "model file") -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes.

    Parameters
    ----------
    path : str or path-like
        The file.
    limit : int
        Largest size read, in bytes; reading stops at ``limit + 1`` bytes whatever the file
        system reports.
    what : str
        What the file is, for messages (``"model file"``, ``"Vensim file"``).

    Returns
    -------
    str

    Raises
    ------
    ModelFileError
        If the file is missing or unreadable, is not a regular file (directory, FIFO,
        device, socket), is larger than ``limit``, reports a size that its content does not
        have (``/proc`` and ``/sys`` files), or is not UTF-8.
    """
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as err:
        raise ModelFileError(f"cannot read {what} '{path}': {err.strerror or err}.") from None
    try:
        info = os.fstat(descriptor)
        for test, kind in _KINDS:
            if test(info.st_mode):
                raise ModelFileError(
                    f"{what} '{path}' is {kind}, not a regular file; give the path of a file."
                )
        if not stat.S_ISREG(info.st_mode):
            raise ModelFileError(f"{what} '{path}' is not a regular file; give a file.")
        chunks, total = [], 0
        while total <= limit:
            try:
                chunk = os.read(descriptor, min(_CHUNK, limit + 1 - total))
            except OSError as err:
                raise ModelFileError(
                    f"cannot read {what} '{path}': {err.strerror or err}."
                ) from None
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise ModelFileError(
                f"{what} '{path}' is larger than {limit} bytes, the most that is read; "
                "split the model or check that this is the right file."
            )
        if total != info.st_size:
            raise ModelFileError(
                f"{what} '{path}' reports a size of {info.st_size} bytes but holds {total} "
                "(a /proc or /sys pseudo-file, or a file being written); copy it to a "
                "regular file first."
            )
    finally:
        os.close(descriptor)
    raw = b"".join(chunks)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ModelFileError(
            f"{what} '{path}' is not UTF-8 text (byte {err.start}); save it as UTF-8."
        ) from None
