"""Tiny Shakespeare and the character vocabulary."""

import numpy as np
import pytest

from ember import datasets
from ember.datasets import CharVocabulary, DataNotFoundError


def test_tiny_shakespeare_splits_and_vocabulary(shared_data, monkeypatch):
    monkeypatch.setenv("EMBER_DATA", str(shared_data))
    data = datasets.load_shakespeare()
    text = (shared_data / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
    assert len(text) == 1_115_394
    assert len(data.vocab) == 65
    assert data.vocab.chars == "".join(sorted(set(text)))
    assert len(data.train) == int(0.9 * len(text)) == 1_003_854
    assert len(data.train) + len(data.val) == len(text)
    assert data.train.dtype == np.int64
    assert data.vocab.decode(data.train[:14]) == "First Citizen:"
    assert data.vocab.decode(data.val) == text[len(data.train):]
    assert data.vocab.encode(text[:1000]).tolist() == [data.vocab.chars.index(c)
                                                      for c in text[:1000]]


def test_a_text_file_given_by_path(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_text("abcab" * 4, encoding="utf-8")
    data = datasets.load_shakespeare(path)
    assert data.vocab.chars == "abc"
    assert data.train.tolist() == [0, 1, 2, 0, 1] * 3 + [0, 1, 2]  # the first 18 of 20
    assert data.vocab.decode(data.val) == "ab"


def test_missing_text_says_where_ember_looked(tmp_path, monkeypatch):
    monkeypatch.delenv("EMBER_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(DataNotFoundError, match=(
            f"shakespeare: data not found. Looked in {tmp_path / '.ember' / 'datasets'} for "
            f"tinyshakespeare/input.txt or tinyshakespeare.txt or shakespeare.txt.")):
        datasets.load_shakespeare()


def test_vocabulary_round_trip_and_errors():
    vocab = CharVocabulary.from_text("hello, world\n")
    assert vocab.chars == "\n ,dehlorw"
    ids = vocab.encode("world hello")
    assert ids.dtype == np.int64
    assert vocab.decode(ids) == "world hello"
    with pytest.raises(ValueError, match=r"The character 'é' is not in the vocabulary of 10 "
                                         r"characters"):
        vocab.encode("héllo")
    with pytest.raises(ValueError, match=r"decode: ids must lie in \[0, 10\)\. Received values "
                                         r"from 0 to 10"):
        vocab.decode([0, 10])
    with pytest.raises(ValueError, match="characters must be unique"):
        CharVocabulary("aba")
