"""Deterministic fuzzing of the loader: 1,020 seeded mutations of valid archives (byte flips,
truncation, member renames, JSON field edits, corrupted HDF5) must each either load or raise
ValueError, never anything else, and never write a file."""

import io
import json
import warnings
import zipfile

import numpy as np
import pytest

from ember import keras
from ember.keras import layers

VALUES = [None, -1, 0, 1, 3, 10**6, 2**40, -2**63, 1.5, float("nan"), "x", "", "Dense",
          "float64", "__keras_tensor__", True, [], {}, [None, -3], [None, 2**40], [[]],
          {"class_name": "__lambda__", "config": {"code": "AAAA"}},
          {"class_name": "Dense", "config": {"units": 2**40}},
          {"module": "os", "class_name": "system", "config": {}}]


def base_archives(folder):
    rng = np.random.default_rng(0)
    sequential = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu"),
                                   layers.Dense(2)])
    inputs = keras.Input((4,), name="x")
    hidden = layers.Dense(3)(inputs)
    functional = keras.Model(inputs, layers.Add()([layers.Dense(3)(hidden), hidden]))
    archives = []
    for i, model in enumerate((sequential, functional)):
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        out = model.output_shape[-1]
        model.fit(rng.random((8, 4), dtype=np.float32), rng.random((8, out), dtype=np.float32),
                  verbose=0, batch_size=4)
        path = folder / f"base{i}.keras"
        model.save(path)
        archives.append(path.read_bytes())
    return archives


def members_of(data):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info.filename, zf.read(info.filename)) for info in zf.infolist()]


def zip_of(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, payload in members:
            zf.writestr(name, payload)
    return buffer.getvalue()


def json_paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from json_paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_paths(item, path + (index,))


def mutate_json(config, rng):
    paths = list(json_paths(config))[1:]
    path = paths[rng.integers(len(paths))]
    parent = config
    for key in path[:-1]:
        parent = parent[key]
    action = rng.integers(4)
    if action == 0 and isinstance(parent, dict):
        del parent[path[-1]]
    elif action == 1 and isinstance(parent, dict):
        parent["unexpected_" + str(rng.integers(100))] = VALUES[rng.integers(len(VALUES))]
    else:
        parent[path[-1]] = VALUES[rng.integers(len(VALUES))]
    return config


def mutant(archives, seed):
    rng = np.random.default_rng(seed)
    data = archives[seed % len(archives)]
    kind = seed % 6
    if kind == 0:  # flip bytes anywhere
        out = bytearray(data)
        for _ in range(rng.integers(1, 9)):
            out[rng.integers(len(out))] ^= int(rng.integers(1, 256))
        return bytes(out)
    if kind == 1:  # truncate
        return data[:rng.integers(len(data))]
    members = members_of(data)
    if kind == 2:  # rename or drop a member
        index = rng.integers(len(members))
        names = ["config.json", "model.weights.h5", "metadata.json", "../x", "assets/a", "c"]
        if rng.random() < 0.3:
            del members[index]
        else:
            members[index] = (names[rng.integers(len(names))], members[index][1])
        return zip_of(members)
    if kind in (3, 4):  # edit config.json fields (kind 4: several edits)
        index = [name for name, _ in members].index("config.json")
        config = json.loads(members[index][1])
        for _ in range(1 if kind == 3 else rng.integers(2, 6)):
            config = mutate_json(config, rng)
        members[index] = ("config.json", json.dumps(config).encode())
        return zip_of(members)
    index = [name for name, _ in members].index("model.weights.h5")  # corrupt the HDF5 file
    weights = bytearray(members[index][1])
    for _ in range(rng.integers(1, 17)):
        weights[rng.integers(len(weights))] ^= int(rng.integers(1, 256))
    members[index] = ("model.weights.h5", bytes(weights))
    return zip_of(members)


@pytest.mark.filterwarnings("ignore")
def test_mutated_archives_raise_only_value_error(tmp_path):
    archives = base_archives(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    path = tmp_path / "mutant.keras"
    outcomes = {"loaded": 0, "ValueError": 0}
    for seed in range(1020):
        path.write_bytes(mutant(archives, seed))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                keras.saving.load_model(path)
                outcomes["loaded"] += 1
            except ValueError as error:
                assert "mutant.keras" in str(error), (seed, str(error)[:300])
                outcomes["ValueError"] += 1
            except Exception as error:  # noqa: BLE001 - the point of the test
                pytest.fail(f"seed {seed}: {type(error).__name__}: {str(error)[:300]}")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before + ["mutant.keras"])
    assert outcomes["ValueError"] > 500 and sum(outcomes.values()) == 1020
