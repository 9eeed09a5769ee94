"""``ember train RECIPE``: fit a built-in recipe, report the test scores, save the run."""

import json
import time
from pathlib import Path

from . import COMMANDS, UserError
from ._common import RUN_FILE, fit_inputs, format_logs

MODEL_FILE, HISTORY_CSV, HISTORY_PNG, VOCAB_FILE = (
    "model.keras", "history.csv", "history.png", "vocab.json")


def _recipe(name):
    from .. import recipes

    try:
        return recipes.get(name)
    except ValueError as error:
        from ..keras.identifiers import closest

        message = str(error)
        command = closest(name, COMMANDS)
        if command and "Did you mean" not in message:
            message += f" (`{command}` is a command: ember {command} ...)"
        raise UserError(message) from None


def _compile(model, recipe, args):
    try:
        optimizer = recipe.make_optimizer(args.optimizer, args.learning_rate)
    except ValueError as error:
        raise UserError(error) from None
    model.compile(optimizer=optimizer, loss=recipe.make_loss(), metrics=list(recipe.metrics))
    return optimizer


def _check_table(model, data, source):
    """Reshape (or refuse) your own table's rows for the recipe's model."""
    data.x_train = fit_inputs(model, data.x_train, source)
    data.x_test = fit_inputs(model, data.x_test, source)


def _describe(recipe, data, args):
    if data.vocab is not None:
        steps = args.steps_per_epoch or recipe.steps_per_epoch
        return (f"{recipe.dataset}: random windows of {data.x_test.shape[1]} characters, "
                f"{steps} steps of {args.batch_size or recipe.batch_size} per epoch; "
                f"{len(data.vocab)}-character vocabulary; {len(data.x_test)} validation windows")
    return (f"{args.data or recipe.dataset}: {len(data.x_train)} train / {len(data.x_test)} test "
            f"samples of shape {tuple(data.x_train.shape[1:])}")


def _check_writers():
    """Fail before training, not after, when what saves the run is not installed."""
    import importlib.util

    for module in ("h5py", "matplotlib"):  # model.keras weights, history.png
        if importlib.util.find_spec(module) is None:
            raise ModuleNotFoundError(f"No module named {module!r}", name=module)


def train(args):
    """Train ``args.recipe`` and write model.keras, history.csv, history.png and run.json."""
    recipe = _recipe(args.recipe)
    _check_writers()
    from .. import distributed, keras, recipes

    out = Path(args.out or Path("runs") / args.recipe)
    keras.utils.set_random_seed(args.seed)
    data = recipes.load_data(recipe, args.data, seed=args.seed)
    model = recipes.build(recipe, data)
    if args.data and data.vocab is None:
        _check_table(model, data, args.data)
    optimizer = _compile(model, recipe, args)
    epochs = args.epochs or recipe.epochs
    batch_size = args.batch_size or recipe.batch_size
    steps = args.steps_per_epoch or recipe.steps_per_epoch
    if distributed.is_primary():
        print(f"ember train {recipe.name}: {recipe.description}")
        print(f"Data: {_describe(recipe, data, args)}")
    out.mkdir(parents=True, exist_ok=True)
    logger = keras.callbacks.CSVLogger(str(out / HISTORY_CSV))
    started = time.perf_counter()
    try:
        history = model.fit(
            data.x_train, data.y_train, epochs=epochs, batch_size=batch_size,
            steps_per_epoch=steps, validation_data=(data.x_test, data.y_test),
            validation_batch_size=max(batch_size, 64), callbacks=[logger], verbose=args.verbose)
    except ValueError as error:
        if args.data:  # your own table: its labels may not fit the recipe's model
            raise UserError(f"the recipe {recipe.name} does not fit the data in {args.data}: "
                            f"{error}") from None
        raise
    seconds = time.perf_counter() - started
    scores = model.evaluate(data.x_test, data.y_test, batch_size=max(batch_size, 64),
                            verbose=0, return_dict=True)  # collective under MPI: every rank
    if not distributed.is_primary():  # data-parallel: rank 0 reports and saves the run
        return 0
    split = "Validation" if data.vocab is not None else "Test"
    ordered = dict(sorted(scores.items(), key=lambda item: item[0] != "loss"))
    print(f"{split} " + format_logs(ordered))
    steps_done = len(history.epoch) * (steps or -(-len(data.x_train) // batch_size))
    epochs = len(history.epoch)
    print(f"Trained {epochs} epoch{'' if epochs == 1 else 's'} ({steps_done} steps) in "
          f"{seconds:.2f} s, validation included.")
    written = _save(out, model, history, data, {
        "recipe": recipe.name, "dataset": recipe.dataset,
        "data": str(Path(args.data).resolve()) if args.data else None,
        "epochs": len(history.epoch), "batch_size": batch_size, "steps_per_epoch": steps,
        "optimizer": type(optimizer).__name__, "learning_rate": _learning_rate(optimizer),
        "seed": args.seed, "train_seconds": round(seconds, 3), split.lower(): scores})
    print("Wrote " + ", ".join(str(p) for p in written))
    if data.vocab is not None:
        print(f"Sample from it: ember generate {written[0]} --prompt 'ROMEO:' --length 300")
    return 0


def _learning_rate(optimizer):
    value = getattr(optimizer, "learning_rate", None)
    try:
        return float(value.numpy() if hasattr(value, "numpy") else value)
    except (TypeError, ValueError):
        return None


def _save(out, model, history, data, run):
    from ..plotting import plot_history

    paths = [out / MODEL_FILE, out / HISTORY_CSV, out / HISTORY_PNG, out / RUN_FILE]
    model.save(paths[0])
    plot_history(history, paths[2], title=f"ember train {run['recipe']}")
    paths[3].write_text(json.dumps(run, indent=2) + "\n")
    if data.vocab is not None:
        paths.append(out / VOCAB_FILE)
        paths[-1].write_text(json.dumps({"chars": data.vocab.chars}) + "\n")
    return paths
