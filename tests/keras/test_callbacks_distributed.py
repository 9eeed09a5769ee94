"""Under data-parallel training only rank 0 prints and writes files."""

from ember import distributed, keras


def test_writing_callbacks_are_dropped_on_other_ranks(monkeypatch, tmp_path):
    csv = keras.callbacks.CSVLogger(str(tmp_path / "log.csv"))
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "m.keras"))
    stopper = keras.callbacks.EarlyStopping()
    monkeypatch.setattr(distributed, "is_primary", lambda: False)
    callbacks = keras.callbacks.CallbackList([csv, checkpoint, stopper], add_history=True,
                                             add_progbar=True)
    kinds = [type(c).__name__ for c in callbacks.callbacks]
    assert kinds == ["EarlyStopping", "History"]
    monkeypatch.setattr(distributed, "is_primary", lambda: True)
    callbacks = keras.callbacks.CallbackList([csv, checkpoint, stopper], add_progbar=True)
    assert len(callbacks.callbacks) == 4
