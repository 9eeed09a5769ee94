"""ember.plot_history: panels, curves, labels and a readable PNG (from a History, dict or CSV)."""

import struct

import numpy as np
import pytest

import ember
from ember.plotting import history_figure, read_history_csv

HISTORY = {"accuracy": [0.5, 0.7, 0.8], "loss": [1.0, 0.6, 0.4],
           "val_accuracy": [0.4, 0.6, 0.7], "val_loss": [1.1, 0.8, 0.7]}


def png_size(path):
    """(width, height) from a PNG's IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def curves(figure):
    """{panel title: {legend label: (x, y)}} of the visible panels."""
    out = {}
    for ax in figure.axes:
        if ax.get_visible():
            out[ax.get_title()] = {line.get_label(): (list(line.get_xdata()),
                                                      list(line.get_ydata()))
                                   for line in ax.get_lines()}
    return out


def test_one_panel_per_metric_with_train_and_validation():
    figure = history_figure(HISTORY)
    drawn = curves(figure)
    assert list(drawn) == ["Loss", "Accuracy"]  # loss first
    assert drawn["Loss"]["train"] == ([1, 2, 3], [1.0, 0.6, 0.4])
    assert drawn["Loss"]["validation"] == ([1, 2, 3], [1.1, 0.8, 0.7])
    assert drawn["Accuracy"]["validation"] == ([1, 2, 3], [0.4, 0.6, 0.7])
    for ax in figure.axes:
        assert ax.get_xlabel() == "epoch"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "validation"]
    assert [ax.get_ylabel() for ax in figure.axes] == ["loss", "accuracy"]


def test_png_from_a_dict_is_a_readable_image(tmp_path):
    path = ember.plot_history(HISTORY, tmp_path / "sub" / "h.png", title="iris")
    assert path == tmp_path / "sub" / "h.png"
    assert png_size(path) == (920, 400)  # two 4.6 x 3.6 inch panels at 100 dpi, plus a title
    from matplotlib.image import imread

    pixels = imread(path)
    assert pixels.shape[:2] == (400, 920)
    assert pixels[..., :3].std() > 0.05  # curves and text, not a blank canvas


def test_csv_from_csvlogger_and_history_object(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("epoch,accuracy,loss,val_accuracy,val_loss\r\n"
                    "0,0.5,1.0,0.4,1.1\r\n1,0.7,0.6,0.6,0.8\r\n2,0.8,0.4,0.7,0.7\r\n")
    epochs, history = read_history_csv(path)
    assert epochs == [1, 2, 3]
    assert history == HISTORY
    assert curves(history_figure(path)) == curves(history_figure(HISTORY))

    class FakeHistory:  # what fit returns: .history and .epoch
        history = {"loss": [3.0, 2.0], "mae": [1.5, 1.0]}
        epoch = [4, 5]  # resumed with initial_epoch=4

    drawn = curves(history_figure(FakeHistory()))
    assert drawn["Loss"]["train"] == ([5, 6], [3.0, 2.0])
    assert drawn["MAE"]["train"] == ([5, 6], [1.5, 1.0])
    assert png_size(ember.plot_history(FakeHistory(), tmp_path / "f.png")) == (920, 360)


def test_many_metrics_wrap_into_rows(tmp_path):
    history = {name: list(np.linspace(1, 0, 30)) for name in ("loss", "a", "b", "c")}
    figure = history_figure(history)
    assert sum(ax.get_visible() for ax in figure.axes) == 4
    assert png_size(ember.plot_history(history, tmp_path / "m.png")) == (1380, 720)


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match=r"the history is empty \(no epoch was recorded\)"):
        history_figure({"loss": []})
    with pytest.raises(TypeError, match=r"expected a History \(from fit\), a dict of lists or "
                                        r"the path of a CSV file\. Received: int"):
        history_figure(3)
    with pytest.raises(FileNotFoundError, match="plot_history: no such file: .*missing.csv"):
        history_figure(tmp_path / "missing.csv")
    (tmp_path / "notes.csv").write_text("epoch,note\n0,hello\n")
    with pytest.raises(ValueError, match=r"has no numeric columns besides 'epoch'\. Columns: "
                                         r"\['epoch', 'note'\]"):
        history_figure(tmp_path / "notes.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="holds no rows of training history"):
        history_figure(tmp_path / "empty.csv")


def test_history_plot_writes_a_png(tmp_path):
    from ember import keras

    history = keras.callbacks.History()
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 1.0, "val_loss": 1.2})
    history.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.9})
    path = __import__("pathlib").Path(history.plot(tmp_path / "h.png"))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
