"""The ``ember`` command, run in subprocesses: train, summary, evaluate, predict, plot, generate,
and every error a user can act on (exit status 2, one line, no traceback)."""

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def run_ember(*args, cwd=None, env=None, executable=None):
    environment = dict(os.environ, PYTHONPATH=str(REPO), MPLBACKEND="Agg")
    environment.pop("EMBER_DATA", None)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        environment.setdefault(name, "1")  # small models; many test processes share the cores
    environment.update(env or {})
    command = [executable] if executable else [sys.executable, "-m", "ember.cli"]
    return subprocess.run(command + [str(a) for a in args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=240)


def png_size(path):
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def assert_user_error(result, message):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ember: error: ")
    assert message in lines[0], lines[0]


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    """`ember train iris` for 3 epochs; returns (output folder, the command's result)."""
    out = tmp_path_factory.mktemp("runs") / "iris"
    result = run_ember("train", "iris", "--epochs", 3, "--out", out, "--verbose", 2)
    assert result.returncode == 0, result.stderr
    return out, result


@pytest.fixture(scope="module")
def iris_test():
    from ember import datasets

    return datasets.load_iris()[1]


def test_train_iris_writes_model_history_and_picture(iris_run, iris_test):
    out, result = iris_run
    lines = result.stdout.splitlines()
    assert lines[0] == "ember train iris-mlp: the seed script: an MLP on the iris flowers"
    assert lines[1] == "Data: iris: 120 train / 30 test samples of shape (4,)"
    assert [line for line in lines if line.startswith("Epoch ")] == [
        "Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    test_line = next(line for line in lines if line.startswith("Test "))
    assert sorted(p.name for p in out.iterdir()) == [
        "history.csv", "history.png", "model.keras", "run.json"]
    rows = (out / "history.csv").read_text().splitlines()
    assert rows[0] == "epoch,accuracy,loss,val_accuracy,val_loss"
    assert [row.split(",")[0] for row in rows[1:]] == ["0", "1", "2"]
    last = dict(zip(rows[0].split(","), map(float, rows[-1].split(","))))
    # the validation data is the test split, so the last val_ scores are the test scores
    assert test_line == f"Test loss: {last['val_loss']:.4f} - accuracy: {last['val_accuracy']:.4f}"
    assert png_size(out / "history.png") == (920, 400)
    run = json.loads((out / "run.json").read_text())
    assert run["recipe"] == "iris-mlp" and run["dataset"] == "iris" and run["epochs"] == 3
    assert run["optimizer"] == "Adam" and run["batch_size"] == 32 and run["seed"] == 42
    # the saved model gives the printed scores on the seed's test split
    from ember import keras

    model = keras.models.load_model(out / "model.keras")
    loss, accuracy = model.evaluate(*iris_test, verbose=0)
    assert test_line == f"Test loss: {loss:.4f} - accuracy: {accuracy:.4f}"


def test_no_arguments_trains_iris_into_runs(tmp_path):
    result = run_ember(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Epoch 100/100" in result.stdout
    run = json.loads((tmp_path / "runs" / "iris" / "run.json").read_text())
    assert run["epochs"] == 100 and run["recipe"] == "iris-mlp"
    assert run["test"]["accuracy"] >= 0.9  # the seed script's model learns iris
    for name in ("model.keras", "history.csv", "history.png"):
        assert (tmp_path / "runs" / "iris" / name).is_file()


def test_summary(iris_run):
    result = run_ember("summary", iris_run[0] / "model.keras")
    assert result.returncode == 0, result.stderr
    assert 'Model: "sequential' in result.stdout
    assert "Trainable params: 165 (660.00 B)" in result.stdout  # 4*10+10 + 10*8+8 + 8*3+3


def test_predict_npy_and_csv(iris_run, iris_test, tmp_path):
    from ember import keras

    x_test, _ = iris_test
    model = keras.models.load_model(iris_run[0] / "model.keras")
    expected = model.predict(x_test, verbose=0)
    np.save(tmp_path / "x.npy", x_test)
    result = run_ember("predict", iris_run[0] / "model.keras", tmp_path / "x.npy",
                       "--out", tmp_path / "p.npy")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Wrote 30 predictions of shape (3,) to {tmp_path / 'p.npy'}"
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), expected, rtol=1e-5, atol=1e-7)

    header = "sepal length,sepal width,petal length,petal width\n"
    rows = "\n".join(",".join(f"{v:g}" for v in row) for row in x_test[:4])
    (tmp_path / "x.csv").write_text(header + rows + "\n")
    result = run_ember("predict", iris_run[0] / "model.keras", tmp_path / "x.csv",
                       "--out", tmp_path / "p.csv")
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "output_0,output_1,output_2,class"
    table = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    np.testing.assert_allclose(table[:, :3], expected[:4], rtol=1e-4, atol=1e-6)
    assert table[:, 3].tolist() == expected[:4].argmax(axis=1).tolist()

    result = run_ember("predict", iris_run[0] / "model.keras", tmp_path / "x.csv")
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"0: class {expected[0].argmax()} [")


def test_evaluate_from_run_json_and_from_a_table(iris_run, iris_test, tmp_path):
    from ember import keras

    model_path = iris_run[0] / "model.keras"
    loss, accuracy = keras.models.load_model(model_path).evaluate(*iris_test, verbose=0)
    expected = f"iris (test split), 30 samples: accuracy: {accuracy:.4f} - loss: {loss:.4f}"
    result = run_ember("evaluate", model_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
    x_test, y_test = iris_test
    np.savez(tmp_path / "t.npz", x=x_test, y=y_test)
    result = run_ember("evaluate", model_path, "--data", tmp_path / "t.npz")
    assert result.stdout.strip() == expected.replace("iris (test split)", str(tmp_path / "t.npz"))


def test_plot_a_history_csv(iris_run, tmp_path):
    result = run_ember("plot", iris_run[0] / "history.csv", "--out", tmp_path / "h.png")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Wrote {tmp_path / 'h.png'}"
    assert png_size(tmp_path / "h.png") == (920, 360)


def test_generate_with_a_small_gpt(tmp_path):
    from ember import keras
    from ember.datasets import CharVocabulary
    from ember.models.gpt import generate_ids
    from ember.recipes import build_char_gpt

    vocab = CharVocabulary.from_text("abcdefgh \n")
    model = build_char_gpt(len(vocab), context=8, width=16, layers=1, heads=2)
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ids = vocab.encode("abcdefgh")[None]
    model.train_on_batch(ids[:, :-1], ids[:, 1:])
    model.save(tmp_path / "model.keras")
    (tmp_path / "vocab.json").write_text(json.dumps({"chars": vocab.chars}))
    expected = vocab.decode(generate_ids(model, vocab.encode("bad"), 12, temperature=0))
    result = run_ember("generate", tmp_path / "model.keras", "--prompt", "bad", "--length", 12,
                       "--temperature", 0)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "bad" + expected + "\n"
    sampled = run_ember("generate", tmp_path / "model.keras", "--prompt", "a", "--length", 30,
                        "--seed", 3)
    assert len(sampled.stdout) == 32 and set(sampled.stdout) <= set(vocab.chars)
    assert_user_error(run_ember("generate", tmp_path / "model.keras", "--prompt", "xyz"),
                      "--prompt: The character 'x' is not in the vocabulary of 10 characters")
    (tmp_path / "vocab.json").unlink()
    assert_user_error(run_ember("generate", tmp_path / "model.keras"),
                      f"no vocabulary for {tmp_path / 'model.keras'}: looked for "
                      f"{tmp_path / 'vocab.json'}. Pass --vocab FILE")


def test_train_gpt_on_a_text_file(tmp_path):
    (tmp_path / "poem.txt").write_text("to be or not to be, that is the question\n" * 60)
    out = tmp_path / "gpt"
    result = run_ember("train", "shakespeare-gpt", "--data", tmp_path / "poem.txt", "--epochs", 1,
                       "--steps-per-epoch", 2, "--out", out, "--verbose", 0)
    assert result.returncode == 0, result.stderr
    assert f"Sample from it: ember generate {out / 'model.keras'} --prompt" in result.stdout
    scores = next(line for line in result.stdout.splitlines() if line.startswith("Validation "))
    loss, accuracy = (part.split(": ")[1] for part in scores[len("Validation "):].split(" - "))
    result = run_ember("evaluate", out / "model.keras")  # the run's data, from run.json
    poem = (tmp_path / "poem.txt").resolve()
    assert result.stdout.strip() == (f"{poem} (validation windows), 3 samples: "
                                     f"accuracy: {accuracy} - loss: {loss}")
    vocab = json.loads((out / "vocab.json").read_text())["chars"]
    assert vocab == "".join(sorted(set("to be or not to be, that is the question\n")))
    result = run_ember("generate", out / "model.keras", "--prompt", "to be", "--length", 5)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("to be") and len(result.stdout) == 11


def test_train_a_table_recipe_on_your_own_csv(tmp_path, iris_test):
    x, y = iris_test
    rows = [",".join(f"{v:g}" for v in row) + f",{label}" for row, label in zip(x, y)]
    (tmp_path / "mine.csv").write_text("a,b,c,d,label\n" + "\n".join(rows) + "\n")
    result = run_ember("train", "iris", "--data", tmp_path / "mine.csv", "--epochs", 2,
                       "--out", tmp_path / "run", "--verbose", 0)
    assert result.returncode == 0, result.stderr
    assert f"Data: {tmp_path / 'mine.csv'}: 24 train / 6 test samples of shape (4,)" in (
        result.stdout)
    wide = np.hstack([np.zeros((10, 13)), np.arange(10)[:, None] % 3])
    np.savetxt(tmp_path / "wide.csv", wide, delimiter=",")
    assert_user_error(run_ember("train", "iris", "--data", tmp_path / "wide.csv"),
                      f"the model does not fit the data: it takes inputs of shape (None, 4) but "
                      f"{tmp_path / 'wide.csv'} holds samples of shape (13,).")


def test_unknown_recipe_names_the_closest():
    assert_user_error(run_ember("train", "iris-mpl"),
                      "Unknown recipe 'iris-mpl'. Did you mean 'iris-mlp'? Recipes: digits-cnn,")
    assert_user_error(run_ember("trian"), "(`train` is a command: ember train ...)")


def test_unknown_optimizer_names_the_closest():
    assert_user_error(run_ember("train", "iris", "--optimizer", "adma", "--epochs", 1),
                      "Could not interpret optimizer identifier: 'adma'. Did you mean 'adam'?")


def test_missing_files(tmp_path):
    assert_user_error(run_ember("summary", tmp_path / "model.kears"),
                      f"no such model file: {tmp_path / 'model.kears'}.")
    (tmp_path / "model.keras").write_text("not a zip")
    assert_user_error(run_ember("summary", tmp_path / "model.kears"),
                      f"Did you mean {tmp_path / 'model.keras'}?")
    assert_user_error(run_ember("summary", tmp_path / "model.keras"),
                      f"{tmp_path / 'model.keras'}")
    from ember import recipes

    recipes.build_iris_mlp().save(tmp_path / "uncompiled.keras")
    assert_user_error(run_ember("evaluate", tmp_path / "uncompiled.keras", "--data", "iris"),
                      "uncompiled.keras was saved without compile(): it has no loss to evaluate.")
    assert_user_error(run_ember("plot", tmp_path / "history.csv"),
                      f"no such history file: {tmp_path / 'history.csv'}.")


def test_data_not_found_says_where_ember_looked(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_ember("train", "mnist-mlp", "--data", empty, env={"HOME": str(tmp_path)})
    assert_user_error(result, f"mnist data not found: looked in {empty} for mnist.npz or the "
                              f"IDX files t10k-images-idx3-ubyte.gz")
    assert "pass --data PATH (a file or a folder) or set EMBER_DATA" in result.stderr
    result = run_ember("train", "shakespeare-gpt", env={"HOME": str(tmp_path),
                                                         "EMBER_DATA": str(empty)})
    assert_user_error(result, f"shakespeare data not found: looked in {empty}, "
                              f"{tmp_path / '.ember' / 'datasets'} for tinyshakespeare/input.txt")


def test_model_that_does_not_fit_the_data(iris_run, tmp_path):
    model_path = iris_run[0] / "model.keras"
    np.save(tmp_path / "wide.npy", np.zeros((5, 13), np.float32))
    assert_user_error(run_ember("predict", model_path, tmp_path / "wide.npy"),
                      f"the model does not fit the data: it takes inputs of shape (None, 4) but "
                      f"{tmp_path / 'wide.npy'} holds samples of shape (13,).")
    assert_user_error(run_ember("evaluate", model_path, "--data", "wine"),
                      "the model does not fit the data: it takes inputs of shape (None, 4) but "
                      "the wine test split holds samples of shape (13,).")
    np.savez(tmp_path / "labels.npz", x=np.zeros((4, 4), np.float32), y=np.array([0, 1, 7, 2]))
    result = run_ember("evaluate", model_path, "--data", tmp_path / "labels.npz")
    assert_user_error(result, "the model does not fit the data in")
    assert_user_error(run_ember("evaluate", model_path, "--data", "irsi"),
                      "--data irsi: no such file or data set (did you mean 'iris'?)")
    assert_user_error(run_ember("predict", model_path, tmp_path / "wide.npy", "--out", "p.txt"),
                      "--out p.txt: expected a .npy or .csv file name.")


def test_help_is_lazy():
    code = ("import sys; from ember.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('sklearn', 'matplotlib', 'ember.keras.layers', 'h5py', 'rich')"
            " if m in sys.modules]\nprint('heavy:', heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=60)
    assert "usage: ember" in result.stdout
    assert result.stdout.strip().endswith("heavy: []")


def test_installed_entry_point():
    executable = shutil.which("ember", path=str(Path(sys.executable).parent))
    if executable is None:
        pytest.skip("the `ember` script is not installed in this environment (pip install -e .)")
    result = run_ember("--version", executable=executable)
    assert result.returncode == 0 and result.stdout.strip().startswith("ember ")
    assert_user_error(run_ember("train", "nope", executable=executable), "Unknown recipe 'nope'.")
