"""Crash-safe writes: a temporary file in the destination's folder, flushed and fsynced, then
renamed into place with ``os.replace``. A process killed at any moment leaves either the old file
or the new one, never half of one (a stray ``.<name>.tmp-*`` file at worst)."""

import contextlib
import os
import tempfile

_UMASK = os.umask(0o022)  # read once (os.umask can only be read by setting it) and restored
os.umask(_UMASK)


def _fsync_directory(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms/filesystems cannot open folders; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_file(path):
    """Flush a closed file's contents to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(filepath):
    """Yield a temporary path next to ``filepath``; on success it replaces ``filepath``.

    >>> with atomic_path("/tmp/ember_doctest.txt") as tmp:  # doctest: +SKIP
    ...     open(tmp, "w").write("hello")
    """
    filepath = os.fspath(filepath)
    folder = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(folder):
        raise ValueError(f"Cannot write '{filepath}': the folder '{folder}' does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(filepath)}.tmp-", dir=folder)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; give the usual mode
        fsync_file(tmp)
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(folder)


def atomic_write_bytes(filepath, data):
    """Write ``data`` to ``filepath`` atomically (see the module docstring)."""
    with atomic_path(filepath) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


__all__ = ["atomic_path", "atomic_write_bytes", "fsync_file"]
