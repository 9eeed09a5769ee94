"""On a real terminal the progress bar is drawn live by rich, with Keras' content."""

import os
import pty
import subprocess
import sys
import time

import pytest

SCRIPT = """
import numpy as np
from ember import keras
model = keras.Sequential([keras.layers.Dense(3, input_shape=(4,), activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(np.random.rand(64, 4), np.random.randint(0, 3, 64), epochs=2, batch_size=16)
print("DONE")
"""


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_fit_on_a_terminal_shows_the_keras_line():
    pytest.importorskip("rich")
    leader, follower = pty.openpty()
    env = dict(os.environ, COLUMNS="120", TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([sys.executable, "-c", SCRIPT], stdin=follower, stdout=follower,
                               stderr=follower, env=env, close_fds=True)
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=30)
    os.close(leader)
    text = output.decode("utf-8", "replace")
    plain = __import__("re").sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    assert process.returncode == 0, text[-2000:]
    assert "Epoch 2/2" in plain and "DONE" in plain
    assert "4/4 ━━━━━━━━━━━━━━━━━━━━" in plain
    assert " - accuracy: " in plain and " - loss: " in plain
    assert "\x1b[?25l" in text  # rich's live display hides the cursor while it redraws
