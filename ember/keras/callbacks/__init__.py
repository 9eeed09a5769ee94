"""Callbacks: hooks into ``fit``, ``evaluate`` and ``predict`` (``keras.callbacks``)."""

from .callback import Callback, CallbackList
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .history import History
from .lambda_callback import LambdaCallback
from .learning_rate_scheduler import LearningRateScheduler
from .model_checkpoint import ModelCheckpoint
from .progbar_logger import ProgbarLogger
from .reduce_lr_on_plateau import ReduceLROnPlateau
from .terminate_on_nan import TerminateOnNaN

__all__ = [
    "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History", "LambdaCallback",
    "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger",
    "ReduceLROnPlateau", "TerminateOnNaN",
]

try:  # written separately; exported when present
    from .backup_and_restore import BackupAndRestore  # noqa: F401
except ModuleNotFoundError as error:
    if error.name != f"{__name__}.backup_and_restore":
        raise
else:
    __all__.append("BackupAndRestore")
