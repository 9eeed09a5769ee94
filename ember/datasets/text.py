"""Character-level text corpora: Tiny Shakespeare and a character vocabulary.

The vocabulary is the sorted set of characters of the whole file (65 symbols for Tiny
Shakespeare); the first 90% of the characters train, the last 10% validate.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._paths import find_data

SHAKESPEARE_FILES = ("tinyshakespeare/input.txt", "tinyshakespeare.txt", "shakespeare.txt")
TRAIN_FRACTION = 0.9


class CharVocabulary:
    """Maps characters to integer ids (their rank in ``chars``) and back.

    >>> vocab = CharVocabulary.from_text("hello")
    >>> vocab.chars, vocab.encode("hole").tolist(), vocab.decode([2, 1])
    ('ehlo', [1, 3, 2, 0], 'lh')
    """

    def __init__(self, chars):
        chars = "".join(chars)
        if len(set(chars)) != len(chars):
            raise ValueError("CharVocabulary: characters must be unique. Received repeated "
                             f"characters in {chars!r:.80}")
        self.chars = chars
        codes = _codes(chars)
        self._lookup = np.full(int(codes.max(initial=0)) + 1, -1, np.int64)
        self._lookup[codes] = np.arange(len(chars))

    @classmethod
    def from_text(cls, text):
        """The sorted set of characters of ``text``."""
        return cls(sorted(set(text)))

    def __len__(self):
        return len(self.chars)

    def __repr__(self):
        return f"CharVocabulary({len(self)} characters)"

    def encode(self, text):
        """``text`` as an int64 array of ids; a character outside the vocabulary is an error."""
        codes = _codes(text)
        ids = np.full(len(codes), -1, np.int64)
        known = codes < len(self._lookup)
        ids[known] = self._lookup[codes[known]]
        if (ids < 0).any():
            bad = text[int(np.flatnonzero(ids < 0)[0])]
            raise ValueError(f"The character {bad!r} is not in the vocabulary of {len(self)} "
                             f"characters: {self.chars!r}")
        return ids

    def decode(self, ids):
        """Ids (any iterable of ints) back to a string."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"decode: ids must lie in [0, {len(self)}). Received values from "
                             f"{ids.min()} to {ids.max()}")
        return "".join(self.chars[i] for i in ids)


def _codes(text):
    return np.frombuffer(text.encode("utf-32-le"), np.uint32).astype(np.int64)


@dataclass
class TextSplits:
    """A character corpus: ``train`` and ``val`` id arrays (int64), the ``vocab`` and the text."""

    train: np.ndarray
    val: np.ndarray
    vocab: CharVocabulary
    text: str


def load_text(path, train_fraction=TRAIN_FRACTION):
    """A UTF-8 text file split into train/validation ids over its own character vocabulary."""
    text = Path(path).read_text(encoding="utf-8")
    if not text:
        raise ValueError(f"{path}: the text file is empty.")
    vocab = CharVocabulary.from_text(text)
    ids = vocab.encode(text)
    cut = int(len(ids) * train_fraction)
    return TextSplits(train=ids[:cut], val=ids[cut:], vocab=vocab, text=text)


def load_shakespeare(path=None):
    """Tiny Shakespeare (1,115,394 characters, 65 symbols) as ``TextSplits``.

    Looks for ``tinyshakespeare/input.txt`` (or ``tinyshakespeare.txt``) in ``path``,
    ``$EMBER_DATA`` and ``~/.ember/datasets``; ``path`` may also be the file. Never downloads.

    >>> data = load_shakespeare()  # doctest: +SKIP
    >>> len(data.vocab), len(data.train), len(data.val)  # doctest: +SKIP
    (65, 1003854, 111540)
    """
    return load_text(find_data("shakespeare", SHAKESPEARE_FILES, path))
