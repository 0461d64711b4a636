"""Writing a result file whole or not at all, and only where a file may be written.

The text goes to a hidden temporary file beside the target, which is then renamed over it: an
error or an interruption leaves no partial file and an older file as it was. Before that, the
target is checked, since a rename replaces whatever has the name: a read-only file, a symbolic
link (it would be replaced, not written through), a FIFO or a device node (it would become a
regular file), a folder, or one of the command's own input files is refused with a clear error.
The new file gets the permissions a shell redirection would give it (0666 less the umask), or
keeps those of the file it replaces."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
from collections.abc import Iterable, Iterator
from types import FrameType
from typing import TextIO

__all__ = ["atomic_file", "check_target", "write_atomic"]


def _kind(mode: int) -> str | None:
    if stat.S_ISLNK(mode):
        return "a symbolic link (it would be replaced, not written through; name the file it points to)"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return None


def _same(path: str, other: str) -> bool:
    with contextlib.suppress(OSError):
        return os.path.samefile(path, other)
    return False


def check_target(path: str, inputs: Iterable[str] = ()) -> None:
    """Raises OSError (with the path) when ``path`` is no place to write a result file."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    if info is not None:
        kind = _kind(info.st_mode)
        if kind is not None:
            raise OSError(f"cannot write the output to {path}: it is {kind}")
        if not info.st_mode & stat.S_IWUSR or not os.access(path, os.W_OK):
            raise OSError(f"cannot write the output to {path}: the file is read-only")
    target = os.path.abspath(path)
    for source in inputs:
        if info is not None and _same(path, source):
            raise OSError(f"cannot write the output to {path}: it is an input of this command")
        if os.path.isdir(source) and _same(os.path.dirname(target), source):
            raise OSError(
                f"cannot write the output to {path}: it is inside the input folder {source}"
            )


def _mode_for(path: str) -> int:
    with contextlib.suppress(OSError):
        return stat.S_IMODE(os.stat(path).st_mode)  # a replaced file keeps its permissions
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a killed job, a closed session) ends the process without running ``finally``
    blocks; for the moment a temporary file exists it raises instead, so that it is removed."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: signals cannot be caught here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def atomic_file(path: str, inputs: Iterable[str] = ()) -> Iterator[TextIO]:
    """A text file to write the result into, streamed (a large result is not held in memory
    first): it appears under ``path`` only when the block ends without an exception."""
    check_target(path, inputs)
    directory = os.path.dirname(os.path.abspath(path))
    mode = _mode_for(path)
    with _terminate_as_interrupt():
        fd, temporary = tempfile.mkstemp(
            prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                yield handle
                handle.flush()
                os.fchmod(handle.fileno(), mode)
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise


def write_atomic(path: str, text: str | bytes, inputs: Iterable[str] = ()) -> None:
    """The whole text (or a workbook's bytes) at once, through ``atomic_file``."""
    with atomic_file(path, inputs) as handle:
        if isinstance(text, bytes):
            handle.flush()
            handle.buffer.write(text)
        else:
            handle.write(text)
