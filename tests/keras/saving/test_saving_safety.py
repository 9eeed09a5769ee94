"""Hostile and broken files: every problem is a ValueError naming the file and the problem, no
code runs, nothing is written, and no absurd allocation happens."""

import io
import json
import struct
import zipfile

import h5py
import numpy as np
import pytest

from ember import keras
from ember.keras import layers


@pytest.fixture
def archive(tmp_path):
    """A valid small archive and its members, to be broken by each test."""
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 4), np.float32), np.ones((4, 2), np.float32), verbose=0)
    path = tmp_path / "good.keras"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    return path, members


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def with_config(members, edit):
    config = json.loads(members["config.json"])
    edit(config)
    return {**members, "config.json": json.dumps(config).encode()}


def with_weights(members, edit):
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "a") as f:
        edit(f)
    return {**members, "model.weights.h5": buffer.getvalue()}


def load_error(path, **kwargs):
    with pytest.raises(ValueError) as info:
        keras.saving.load_model(path, **kwargs)
    message = str(info.value)
    assert str(path) in message  # every error names the file
    return message


def test_not_a_zip(tmp_path):
    path = tmp_path / "m.keras"
    path.write_bytes(b"this is not a zip archive at all")
    assert "is not a valid .keras archive" in load_error(path)


def test_truncated_archive(archive, tmp_path):
    path, _ = archive
    broken = tmp_path / "cut.keras"
    broken.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
    load_error(broken)


def test_missing_members(archive, tmp_path):
    _, members = archive
    for name in ("config.json", "model.weights.h5"):
        kept = {k: v for k, v in members.items() if k != name}
        message = load_error(write_zip(tmp_path / f"no_{name}.keras", kept))
        assert f"no '{name}' member" in message


def test_path_traversal_member_names_are_refused(archive, tmp_path):
    _, members = archive
    for bad in ("../evil.json", "/etc/evil.json", "assets/../../evil.json", "a\\..\\evil"):
        path = write_zip(tmp_path / "t.keras", {**members, bad: b"{}"})
        assert "unsafe member name" in load_error(path)
    assert not (tmp_path.parent / "evil.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.keras", "t.keras"]


def test_zip_bomb_member_is_refused_before_reading(archive, tmp_path):
    _, members = archive
    bomb = {**members, "model.weights.h5": b"\0" * (20 << 20)}  # 20 MiB of zeros, ~20 KiB stored
    path = write_zip(tmp_path / "bomb.keras", bomb, compression=zipfile.ZIP_DEFLATED)
    assert "zip bomb" in load_error(path)


def test_declared_sizes_larger_than_the_file_are_refused(archive, tmp_path):
    path, _ = archive
    data = bytearray(path.read_bytes())
    # central directory entry of config.json: patch its compressed size (offset 20) to 2**31
    start = data.index(b"config.json", data.index(b"PK\x01\x02")) - 46
    struct.pack_into("<I", data, start + 20, 2**31)
    bad = tmp_path / "sizes.keras"
    bad.write_bytes(bytes(data))
    message = load_error(bad)
    assert "'config.json' declares 2147483648 stored bytes, more than the file's" in message


def test_config_that_is_not_json_or_not_a_model(archive, tmp_path):
    _, members = archive
    cases = {b"{not json": "is not valid JSON", b"[1, 2]": "must describe a model",
             b"\xff\xfe": "is not valid JSON", b"[" * 100000 + b"]" * 100000: "JSON"}
    for i, (config, expected) in enumerate(cases.items()):
        path = write_zip(tmp_path / f"c{i}.keras", {**members, "config.json": config})
        assert expected in load_error(path)


def test_unknown_class_names(archive, tmp_path):
    _, members = archive

    def rename(config):
        config["config"]["layers"][1]["class_name"] = "TotallyUnknownLayer"

    path = write_zip(tmp_path / "u.keras", with_config(members, rename))
    assert "Unknown layer class 'TotallyUnknownLayer'" in load_error(path)

    def rename_model(config):
        config["class_name"] = "os.system"

    path = write_zip(tmp_path / "m.keras", with_config(members, rename_model))
    assert "Unknown model class 'os.system'" in load_error(path)


def lambda_config(config):
    config["config"]["layers"].append({
        "module": "keras.layers", "class_name": "Lambda", "registered_name": None,
        "config": {"name": "evil", "function": {
            "class_name": "__lambda__",
            "config": {"code": "4wEAAAAAAAAAAAAAAAEAAAADAAAA", "defaults": None, "closure": None}},
            "arguments": {}}})


def test_lambda_bytecode_is_refused_in_safe_mode(archive, tmp_path):
    _, members = archive
    path = write_zip(tmp_path / "l.keras", with_config(members, lambda_config))
    message = load_error(path)
    assert "deserialization of a Python lambda" in message and "safe_mode=False" in message
    # with safe_mode=False ember still never turns bytes into code: a clear error remains
    assert "Lambda" in load_error(path, safe_mode=False)


def test_wrong_weight_shapes_dtypes_and_counts(archive, tmp_path):
    _, members = archive

    def reshape(f):
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = np.zeros((5, 3), np.float32)

    def strings(f):
        del f["layers/dense/vars/1"]
        f["layers/dense/vars/1"] = np.array([b"a", b"b", b"c"])

    def missing(f):
        del f["layers/dense_1/vars/1"]

    def extra(f):
        f["layers/dense_1/vars/2"] = np.zeros(2, np.float32)

    def int_for_float(f):
        del f["optimizer/vars/0"]
        f["optimizer/vars/0"] = np.float64(3.5)

    cases = {reshape: r"'layers/dense/vars/0' has shape \(5, 3\)",
             strings: r"'layers/dense/vars/1' holds \|S1 values",
             missing: r"expected 2 variables, but received 1",
             extra: r"expected 2 variables, but received 3"}
    for i, (edit, pattern) in enumerate(cases.items()):
        path = write_zip(tmp_path / f"w{i}.keras", with_weights(members, edit))
        with pytest.raises(ValueError, match=pattern):
            keras.saving.load_model(path)
    # optimizer state that does not fit is skipped with a warning, as in Keras
    path = write_zip(tmp_path / "opt.keras", with_weights(members, int_for_float))
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        keras.saving.load_model(path)


def test_links_in_weights_are_refused(archive, tmp_path):
    _, members = archive

    def soft(f):
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = h5py.SoftLink("/layers/dense_1/vars/0")

    def external(f):
        del f["layers/dense/vars/1"]
        f["layers/dense/vars/1"] = h5py.ExternalLink("/etc/passwd", "/x")

    for i, edit in enumerate((soft, external)):
        path = write_zip(tmp_path / f"link{i}.keras", with_weights(members, edit))
        assert "links are not allowed" in load_error(path)


def test_corrupted_weights_file(archive, tmp_path):
    _, members = archive
    weights = bytearray(members["model.weights.h5"])
    weights[:8] = b"garbage!"
    path = write_zip(tmp_path / "h5.keras", {**members, "model.weights.h5": bytes(weights)})
    assert "is not a valid HDF5 file" in load_error(path)


def test_absurd_sizes_in_config_fail_before_allocating(archive, tmp_path):
    _, members = archive

    def huge_units(config):
        config["config"]["layers"][1]["config"]["units"] = 10**12

    def huge_input(config):
        config["config"]["layers"][0]["config"]["batch_shape"] = [None, 10**6, 10**6]
        config["build_config"]["input_shape"] = [None, 10**6, 10**6]

    path = write_zip(tmp_path / "units.keras", with_config(members, huge_units))
    assert "asks for a weight of shape (4, 1000000000000)" in load_error(path)
    path = write_zip(tmp_path / "input.keras", with_config(members, huge_input))
    assert "values per example; refusing it" in load_error(path)


def test_weights_only_loading_checks_the_same_way(archive, tmp_path):
    _, members = archive
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Dense(2)])
    path = tmp_path / "bad.weights.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(ValueError, match="bad.weights.h5.*not a valid HDF5 file"):
        model.load_weights(path)
    with pytest.raises(ValueError, match="File format not supported"):
        model.load_weights(tmp_path / "x.pkl")
    with pytest.raises(ValueError, match="File not found"):
        keras.saving.load_model(tmp_path / "absent.keras")


def test_no_pickle_anywhere():
    import pathlib
    import re

    root = pathlib.Path(keras.saving.__file__).parent
    files = list(root.glob("*.py")) + [root.parent / "saving_config.py",
                                       root.parent / "models" / "functional_config.py",
                                       root.parent / "callbacks" / "backup_and_restore.py"]
    forbidden = re.compile(r"^\s*(import|from)\s+(pickle|marshal|dill|cloudpickle|shelve)\b|"
                           r'\b(eval|exec|__import__)\(|importlib\.import_module\((?!f"ember\.keras\.)',
                           re.M)
    for path in files:
        assert not forbidden.search(path.read_text()), path
