"""Save a model, but SIGKILL this process in the middle of the write (run as a subprocess).

    python _kill_during_save.py PATH     (PATH ends in .keras or .weights.h5)
"""

import os
import signal
import sys
import zipfile

import numpy as np

from ember import keras
from ember.keras import layers
from ember.keras.saving import api


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def main(path):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(64), layers.Dense(2)])
    for variable in model.weights:
        variable.assign(np.full(variable.shape, 7.0))
    if path.endswith(".keras"):
        original = zipfile.ZipFile.writestr

        def writestr(self, name, data, *args, **kwargs):
            if name == "model.weights.h5":  # metadata and config are already on disk
                original(self, name, data[: len(data) // 2], *args, **kwargs)
                self.fp.flush()
                die()
            return original(self, name, data, *args, **kwargs)

        zipfile.ZipFile.writestr = writestr
        model.save(path)
    else:
        original = api.write_entries

        def write_entries(h5file, entries):
            original(h5file, entries[:1])
            h5file.flush()
            die()

        api.write_entries = write_entries
        model.save_weights(path)


if __name__ == "__main__":
    main(sys.argv[1])
