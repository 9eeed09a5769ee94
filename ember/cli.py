"""The ``ember`` command: train built-in recipes, then evaluate, predict, summarize, generate, plot.

``ember`` alone trains the iris recipe (``ember train iris``). Every sub-command's work lives in
``ember.commands``, imported only when it runs, so ``ember --help`` stays fast.

Errors a user can act on (a missing file, an unknown recipe, data not found, a model that does
not fit the data) print one line, ``ember: error: ...``, and exit with status 2.
"""

import argparse
import sys

from . import __version__
from .commands import COMMANDS, UserError

DEFAULT_RECIPE = "iris"
APP_MODULES = {"sklearn", "matplotlib", "h5py", "rich"}  # the [app] extra


def _recipe_list():
    from .recipes import ALIASES, RECIPES

    lines = [f"  {name:<16} {recipe.description}" for name, recipe in RECIPES.items()]
    lines += [f"  {alias:<16} same as {target}" for alias, target in ALIASES.items()]
    return "recipes:\n" + "\n".join(lines)


def build_parser():
    """The argument parser of ``ember`` and its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="ember",
        description="Train and use Keras-style models on NumPy. With no command, "
                    f"runs `ember train {DEFAULT_RECIPE}`.",
        epilog="Run `ember COMMAND --help` for a command's options.")
    parser.add_argument("--version", action="version", version=f"ember {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser(
        "train", help="train a built-in recipe; writes model.keras, history.csv, history.png",
        description="Train a built-in recipe and write model.keras, history.csv, history.png "
                    "and run.json into --out.",
        epilog=_recipe_list(), formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("recipe", nargs="?", default=DEFAULT_RECIPE, metavar="RECIPE",
                       help=f"a recipe name (default: {DEFAULT_RECIPE})")
    train.add_argument("--epochs", type=_positive_int, help="number of epochs")
    train.add_argument("--batch-size", type=_positive_int, help="samples per step")
    train.add_argument("--steps-per-epoch", type=_positive_int,
                       help="steps per epoch (the GPT samples random windows: default 200)")
    train.add_argument("--optimizer", help="an optimizer name (adam, sgd, rmsprop, adamw, ...)")
    train.add_argument("--learning-rate", type=_positive_float, help="the learning rate")
    train.add_argument("--seed", type=int, default=42,
                       help="random seed for weights, shuffling and dropout (default: 42)")
    train.add_argument("--out", help="output folder (default: runs/RECIPE)")
    train.add_argument("--data", metavar="PATH",
                       help="where the data files are (MNIST, Tiny Shakespeare: a file or a "
                            "folder); for table recipes, your own .csv/.npz table")
    train.add_argument("--np", type=_positive_int, metavar="N",
                       help="train data-parallel on N processes (starts mpiexec; needs "
                            "ember[mpi])")
    train.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                       help="0 silent, 1 progress bar (default), 2 one line per epoch")
    train.set_defaults(run="train:train")

    evaluate = commands.add_parser(
        "evaluate", help="loss and metrics of a saved model on data",
        description="Loss and metrics of a saved model on the test split of a data set or on "
                    "a .csv/.npz table.")
    evaluate.add_argument("model", metavar="MODEL", help="a .keras file")
    evaluate.add_argument("--data", metavar="NAME|PATH",
                          help="a data set name (iris, wine, digits, mnist, shakespeare, ...), a "
                               ".csv table (last column = label), a .npz with x and y, or the "
                               "folder of MNIST/text files (default: the model's training data, "
                               "from run.json beside it)")
    evaluate.add_argument("--batch-size", type=_positive_int, default=64)
    evaluate.add_argument("--verbose", type=int, choices=(0, 1, 2), default=0)
    evaluate.set_defaults(run="inference:evaluate")

    predict = commands.add_parser(
        "predict", help="run a saved model on inputs from a .npy/.csv file",
        description="Run a saved model on the inputs of a .npy, .npz or .csv file.")
    predict.add_argument("model", metavar="MODEL", help="a .keras file")
    predict.add_argument("inputs", metavar="INPUT", help="a .npy, .npz or .csv file of inputs")
    predict.add_argument("--out", metavar="FILE",
                         help="write the outputs to FILE (.npy or .csv); default: print them")
    predict.add_argument("--batch-size", type=_positive_int, default=64)
    predict.set_defaults(run="inference:predict")

    summary = commands.add_parser("summary", help="print a saved model's layers and parameters")
    summary.add_argument("model", metavar="MODEL", help="a .keras file")
    summary.set_defaults(run="inference:summary")

    generate = commands.add_parser(
        "generate", help="sample text from a character GPT",
        description="Sample text from a character-level model (ember train shakespeare-gpt).")
    generate.add_argument("model", metavar="MODEL", help="a .keras file")
    generate.add_argument("--prompt", default="\n", help="the text to continue")
    generate.add_argument("--length", type=_positive_int, default=500,
                          help="characters to generate (default: 500)")
    generate.add_argument("--temperature", type=_non_negative_float, default=1.0,
                          help="sampling temperature; 0 always picks the likeliest character")
    generate.add_argument("--seed", type=int, help="random seed of the sampler")
    generate.add_argument("--vocab", metavar="FILE",
                          help="the vocabulary (default: vocab.json beside MODEL)")
    generate.set_defaults(run="inference:generate")

    plot = commands.add_parser("plot", help="draw training curves from a history.csv",
                               description="Draw the curves of a CSVLogger file into a PNG.")
    plot.add_argument("history", metavar="HISTORY_CSV", help="a CSV file written by training")
    plot.add_argument("--out", metavar="FILE.png",
                      help="the PNG to write (default: the CSV's name with .png)")
    plot.add_argument("--title", help="a title above the panels")
    plot.set_defaults(run="inference:plot")
    return parser


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _non_negative_float(text):
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


def _dispatch(args):
    import importlib

    module_name, function = args.run.split(":")
    module = importlib.import_module(f".commands.{module_name}", __package__)
    return getattr(module, function)(args)


def _one_line(error):
    return " ".join(str(error).split()) or type(error).__name__


def main(argv=None):
    """Run ``ember`` with ``argv`` (default: the command line); returns the exit status."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version"):
        argv = ["train", *argv]  # `ember`, `ember mnist-cnn`, `ember --epochs 5`
    args = parser.parse_args(argv)
    try:
        if getattr(args, "np", None) and args.np > 1:
            from . import distributed

            if distributed.size() == 1:  # re-run this command under `mpiexec -n N`
                distributed.launch(argv, args.np)
        return _dispatch(args) or 0
    except UserError as error:
        print(f"ember: error: {_one_line(error)}", file=sys.stderr)
    except FileNotFoundError as error:
        if hasattr(error, "folders"):  # ember.datasets.DataNotFoundError
            print(f"ember: error: {error.dataset} data not found: looked in "
                  f"{', '.join(error.folders)} for {error.wanted}. ember never downloads: pass "
                  f"--data PATH (a file or a folder) or set EMBER_DATA to the folder that holds "
                  f"the files.", file=sys.stderr)
        else:
            print(f"ember: error: no such file: {error.filename or _one_line(error)}",
                  file=sys.stderr)
    except ModuleNotFoundError as error:
        if error.name not in APP_MODULES:
            raise
        print(f"ember: error: the `ember` command needs {error.name}, which is not installed: "
              f"pip install \"ember[app]\" (or pip install \".[app]\" in a checkout).",
              file=sys.stderr)
    except RuntimeError as error:
        if "ember.distributed" not in str(error):
            raise
        print(f"ember: error: {_one_line(error)}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nember: interrupted", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
