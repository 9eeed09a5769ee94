"""Reading ``.keras`` archives defensively.

A ``.keras`` file is a ZIP archive (stored, uncompressed) of ``metadata.json``,
``config.json`` and ``model.weights.h5``. Nothing is ever extracted to disk: members are read
into memory after their names, declared sizes and compression ratios have been checked, so a
hostile archive (path traversal names, zip bombs, truncation, duplicates) raises ``ValueError``
naming the file and the problem before any large allocation.
"""

import io
import json
import os
import posixpath
import zipfile

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"
_JSON_LIMIT = 64 << 20  # a config.json larger than this is not a model description
_WEIGHTS_LIMIT = 64 << 30
_MAX_MEMBERS = 10_000
_MAX_RATIO = 100  # declared / stored size beyond which a member is a decompression bomb
_SMALL = 1 << 20


def check_member_name(name, where):
    """Refuse member names that could point outside a destination folder."""
    bad = (not name or "\x00" in name or "\\" in name or name.startswith("/")
           or (len(name) > 1 and name[1] == ":")
           or any(part == ".." for part in name.split("/")))
    if bad or posixpath.normpath(name).startswith(".."):
        raise ValueError(f"{where}: unsafe member name {name!r} (absolute path, '..' or "
                         "backslash); refusing the archive.")


class Archive:
    """An open ``.keras`` archive whose members have been checked."""

    def __init__(self, source, where):
        self.where = where
        try:
            self.zip = zipfile.ZipFile(source, "r")
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
                NotImplementedError, KeyError, IndexError, OverflowError) as error:
            raise ValueError(f"{where} is not a valid .keras archive (a zip file): "
                             f"{error}") from error
        try:
            self._check_members(source)
        except BaseException:
            self.zip.close()
            raise

    def _check_members(self, source):
        infos = self.zip.infolist()
        if len(infos) > _MAX_MEMBERS:
            raise ValueError(f"{self.where}: the archive has {len(infos)} members; refusing "
                             f"more than {_MAX_MEMBERS}.")
        names = set()
        total = _archive_size(source)
        for info in infos:
            check_member_name(info.filename, self.where)
            if info.filename in names:
                raise ValueError(f"{self.where}: the member '{info.filename}' appears twice.")
            names.add(info.filename)
            if info.flag_bits & 0x1:
                raise ValueError(f"{self.where}: the member '{info.filename}' is encrypted.")
            if total is not None and info.compress_size > total:
                raise ValueError(f"{self.where}: the member '{info.filename}' declares "
                                 f"{info.compress_size} stored bytes, more than the file's "
                                 f"{total}: the archive is truncated or corrupted.")
            if info.file_size > _SMALL and info.file_size > _MAX_RATIO * max(info.compress_size,
                                                                             1):
                raise ValueError(f"{self.where}: the member '{info.filename}' declares "
                                 f"{info.file_size} bytes but stores only {info.compress_size}; "
                                 "refusing a possible zip bomb.")
        self.names = names

    def has(self, name):
        return name in self.names

    def read(self, name, limit):
        """The bytes of member ``name`` (at most ``limit``), with size and CRC checked."""
        if name not in self.names:
            raise ValueError(f"{self.where}: the archive has no '{name}' member. Members: "
                             f"{sorted(self.names)[:20]}")
        info = self.zip.getinfo(name)
        if info.file_size > limit:
            raise ValueError(f"{self.where}: '{name}' declares {info.file_size} bytes; the limit "
                             f"is {limit}.")
        try:
            with self.zip.open(info, "r") as member:
                data = member.read(limit + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError,
                RuntimeError, KeyError, IndexError, OverflowError, MemoryError) as error:
            raise ValueError(f"{self.where}: cannot read '{name}': {error}") from error
        except Exception as error:  # zlib.error and friends from a corrupted stream
            raise ValueError(f"{self.where}: cannot read '{name}': {error}") from error
        if len(data) != info.file_size:
            raise ValueError(f"{self.where}: '{name}' is truncated ({len(data)} of "
                             f"{info.file_size} bytes).")
        return data

    def read_json(self, name):
        return parse_json(self.read(name, _JSON_LIMIT), f"{self.where}: '{name}'")

    def read_weights(self):
        return self.read(WEIGHTS, _WEIGHTS_LIMIT)

    def close(self):
        self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _archive_size(source):
    if isinstance(source, (str, bytes, os.PathLike)):
        try:
            return os.path.getsize(source)
        except OSError:
            return None
    try:
        position = source.tell()
        size = source.seek(0, io.SEEK_END)
        source.seek(position)
        return size
    except (AttributeError, OSError, ValueError):
        return None


def parse_json(data, where):
    """``json.loads`` that reports every failure (bad UTF-8, syntax, nesting) as ValueError."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as error:
        raise ValueError(f"{where} is not valid JSON: {error}") from error


__all__ = ["Archive", "CONFIG", "METADATA", "WEIGHTS", "check_member_name", "parse_json"]
