"""The ``ember`` sub-commands (``ember.cli`` parses the command line and calls them)."""

COMMANDS = ("train", "evaluate", "predict", "summary", "generate", "plot")


class UserError(Exception):
    """An error in what the user asked for: printed on one line, exit status 2."""
