"""``ember evaluate | predict | summary | generate | plot``: use a saved model or a run's files."""

import json
from pathlib import Path

import numpy as np

from . import UserError
from ._common import existing_file, fit_inputs, format_logs, load_model, read_run

PREVIEW_ROWS = 10


def _test_data(model, spec, model_path):
    """``(x, y, description)`` from ``--data``: a data set name, a table file, a data folder, or
    (when absent) the test data of the run that trained the model, as run.json records it."""
    from .. import datasets

    path = Path(spec) if spec else None
    if spec is None or path.is_dir():
        return _run_test_data(model, spec, model_path)
    if path.is_file():
        try:
            x, y = datasets.load_table(path)
        except ValueError as error:
            raise UserError(error) from None
        return fit_inputs(model, x, spec), y, str(path)
    key = spec.replace("-", "_").lower()
    if key in datasets.names() or key == "shakespeare":
        return _named(model, key, None)
    known = datasets.names() + ["shakespeare"]
    from ..keras.identifiers import closest

    hint = closest(spec, known)
    raise UserError(f"--data {spec}: no such file or data set"
                    f"{f' (did you mean {hint!r}?)' if hint else ''}. Data sets: "
                    f"{', '.join(known)}; or a .csv/.npz file.")


def _run_test_data(model, folder, model_path):
    """The held-out data of the ``ember train`` run recorded in run.json beside the model."""
    from .. import recipes

    run = read_run(model_path)
    if "recipe" not in run:
        raise UserError(f"no data given and no {model_path.parent / 'run.json'} to say which "
                        f"data set {model_path} was trained on: pass --data NAME|FILE.")
    recipe = recipes.get(run["recipe"])
    data = recipes.load_data(recipe, folder or run.get("data"))
    split = "validation windows" if data.vocab is not None else "test split"
    source = f"{run.get('data') or recipe.dataset} ({split})"
    return fit_inputs(model, data.x_test, source), data.y_test, source


def _named(model, name, folder):
    from .. import datasets

    if name == "shakespeare":
        from ..models.gpt import context_length, windows
        from ..recipes import RECIPES, VALIDATION_WINDOWS

        text = datasets.load_shakespeare(folder)
        context = context_length(model) or RECIPES["shakespeare-gpt"].options["context"]
        x, y = windows(text.val, context, count=VALIDATION_WINDOWS)
        return x, y, f"shakespeare (validation windows of {context} characters)"
    _, (x, y) = datasets.load(name, folder)
    return fit_inputs(model, x, f"the {name} test split"), y, f"{name} (test split)"


def evaluate(args):
    """Print the model's compiled loss and metrics on the data."""
    model = load_model(args.model)
    if not getattr(model, "compiled", True):
        raise UserError(f"{args.model} was saved without compile(): it has no loss to evaluate.")
    x, y, source = _test_data(model, args.data, Path(args.model))
    try:
        scores = model.evaluate(x, y, batch_size=args.batch_size, verbose=args.verbose,
                                return_dict=True)
    except ValueError as error:
        raise UserError(f"the model does not fit the data in {source}: {error}") from None
    print(f"{source}, {len(x)} samples: {format_logs(scores)}")
    return 0


def _is_distribution(outputs):
    return (outputs.ndim == 2 and outputs.shape[1] > 1 and np.all(outputs >= 0)
            and np.allclose(outputs.sum(axis=1), 1.0, atol=1e-3))


def predict(args):
    """Run the model on the inputs; write ``--out`` (.npy/.csv) or print a preview."""
    from ..datasets import read_array

    if args.out and Path(args.out).suffix.lower() not in (".npy", ".csv"):
        raise UserError(f"--out {args.out}: expected a .npy or .csv file name.")
    model = load_model(args.model)
    source = existing_file(args.inputs, "input file")
    try:
        x = read_array(source)
    except ValueError as error:
        raise UserError(error) from None
    x = fit_inputs(model, x, str(source))
    try:
        outputs = model.predict(x, batch_size=args.batch_size, verbose=0)
    except ValueError as error:
        raise UserError(f"the model does not fit the data in {source}: {error}") from None
    classes = outputs.argmax(axis=1) if _is_distribution(outputs) else None
    if args.out:
        _write_outputs(Path(args.out), outputs, classes)
        print(f"Wrote {len(outputs)} predictions of shape {outputs.shape[1:]} to {args.out}")
        return 0
    for row, values in enumerate(outputs[:PREVIEW_ROWS]):
        label = f"class {classes[row]} " if classes is not None else ""
        print(f"{row}: {label}{np.array2string(np.asarray(values), precision=4)}")
    if len(outputs) > PREVIEW_ROWS:
        print(f"... {len(outputs)} rows in all; pass --out FILE.npy|FILE.csv to save them.")
    return 0


def _write_outputs(path, outputs, classes):
    if path.parent != Path(""):
        path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".npy":
        np.save(path, outputs)
        return
    table = outputs.reshape(-1, 1) if outputs.ndim == 1 else outputs
    if table.ndim != 2:
        raise UserError(f"--out {path}: the model's outputs have shape {outputs.shape}, more "
                        f"than a table can hold; write a .npy file instead.")
    header = [f"output_{i}" for i in range(table.shape[1])]
    columns = [table]
    if classes is not None:
        header.append("class")
        columns.append(classes.reshape(-1, 1))
    with path.open("w") as handle:
        handle.write(",".join(header) + "\n")
        for row in np.hstack(columns).tolist():
            cells = [f"{v:.6g}" for v in row[:table.shape[1]]]
            if classes is not None:
                cells.append(str(int(row[-1])))
            handle.write(",".join(cells) + "\n")


def summary(args):
    """Print the model's layers, output shapes and parameter counts."""
    load_model(args.model).summary()
    return 0


def _vocabulary(args):
    from ..datasets import CharVocabulary

    path = Path(args.vocab) if args.vocab else Path(args.model).parent / "vocab.json"
    if not path.is_file():
        raise UserError(f"no vocabulary for {args.model}: looked for {path}. Pass --vocab FILE "
                        f"(the vocab.json that `ember train shakespeare-gpt` writes).")
    try:
        return CharVocabulary(json.loads(path.read_text())["chars"])
    except (ValueError, KeyError, TypeError) as error:
        raise UserError(f"{path} is not a vocabulary file ({{\"chars\": \"...\"}}): "
                        f"{error}") from None


def generate(args):
    """Continue ``--prompt`` with ``--length`` sampled characters, printed as they come."""
    import sys

    from ..models.gpt import sample_ids

    model = load_model(args.model)
    vocab = _vocabulary(args)
    outputs = model.output_shape[-1] if model.output_shape else None
    if outputs != len(vocab):
        raise UserError(f"the model does not fit the vocabulary: it predicts {outputs} symbols "
                        f"but the vocabulary holds {len(vocab)}.")
    if not args.prompt:
        raise UserError("--prompt must hold at least one character.")
    try:
        prompt = vocab.encode(args.prompt)
    except ValueError as error:
        raise UserError(f"--prompt: {error}") from None
    sys.stdout.write(args.prompt)
    for i in sample_ids(model, prompt, args.length, args.temperature,
                        np.random.default_rng(args.seed)):
        sys.stdout.write(vocab.chars[i])
        sys.stdout.flush()
    sys.stdout.write("\n")
    return 0


def plot(args):
    """Draw a history.csv into a PNG."""
    from ..plotting import plot_history

    source = existing_file(args.history, "history file")
    out = Path(args.out) if args.out else source.with_suffix(".png")
    try:
        written = plot_history(source, out, title=args.title)
    except ValueError as error:
        raise UserError(error) from None
    print(f"Wrote {written}")
    return 0
