"""Where ember looks for data files, and the error that says so when they are absent.

ember never downloads. A file is looked up, in order, in: the ``path=`` argument (a file or a
folder), else each folder of the ``EMBER_DATA`` environment variable (``os.pathsep``-separated),
then ``~/.ember/datasets`` (and, for files Keras caches, ``~/.keras/datasets``).
"""

import os
from pathlib import Path

DEFAULT_HOME = "~/.ember/datasets"
KERAS_HOME = "~/.keras/datasets"


class DataNotFoundError(FileNotFoundError):
    """A data set whose files are not on disk; the message names every folder and file tried.

    >>> try:
    ...     find_data("mnist", ["mnist.npz"], path="/nonexistent")
    ... except DataNotFoundError as error:
    ...     print(error)
    mnist: data not found. Looked in /nonexistent for mnist.npz. ember never downloads: \
pass path=... (a file or a folder) or set EMBER_DATA to the folder that holds the files.
    """

    def __init__(self, dataset, folders, wanted):
        self.dataset = dataset
        self.folders = [str(f) for f in folders]
        self.wanted = wanted
        super().__init__(
            f"{dataset}: data not found. Looked in {', '.join(self.folders)} for {wanted}. "
            f"ember never downloads: pass path=... (a file or a folder) or set EMBER_DATA to "
            f"the folder that holds the files.")


def search_dirs(path=None, keras_cache=False):
    """The folders searched, in order: ``path``, else ``$EMBER_DATA`` then ``~/.ember/datasets``."""
    if path is not None:
        return [Path(path).expanduser()]
    dirs = [Path(p).expanduser() for p in os.environ.get("EMBER_DATA", "").split(os.pathsep) if p]
    dirs.append(Path(DEFAULT_HOME).expanduser())
    if keras_cache:
        dirs.append(Path(KERAS_HOME).expanduser())
    return dirs


def find_data(dataset, names, path=None, keras_cache=False, wanted=None):
    """The first existing file among ``names`` (relative paths) in the search folders.

    ``path`` may also name the file itself. Raises ``DataNotFoundError`` when nothing is found.
    """
    _, files = find_group(dataset, [(name,) for name in names], path, keras_cache, wanted)
    return files[0]


def find_group(dataset, groups, path=None, keras_cache=False, wanted=None):
    """The first folder holding every file of one of ``groups`` (tuples of relative paths).

    Returns ``(group_index, [paths])``: folders are searched in order, and in each folder the
    groups in order. A ``path`` that is a file is taken as the whole answer (group index -1).
    ``wanted`` describes the files in the error message (default: each group's first file).
    """
    if path is not None and Path(path).expanduser().is_file():
        return -1, [Path(path).expanduser()]
    folders = search_dirs(path, keras_cache)
    for folder in folders:
        for index, group in enumerate(groups):
            files = [folder / name for name in group]
            if all(f.is_file() for f in files):
                return index, files
    if wanted is None:
        wanted = " or ".join(dict.fromkeys(group[0] for group in groups))
    raise DataNotFoundError(dataset, folders, wanted)
