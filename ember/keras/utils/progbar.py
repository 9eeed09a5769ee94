"""``Progbar``: Keras 3's progress bar, line for line (``keras.utils.Progbar``).

What it prints (``K:keras/src/utils/progbar.py``)::

    4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - accuracy: 0.9000 - loss: 0.3000      (verbose=1)
    4/4 - 0s - 2ms/step - accuracy: 0.9000 - loss: 0.3000                       (verbose=2)

Two deliberate differences from Keras, both about where the text goes, not what it says:

- On a terminal (or in Jupyter) the line is redrawn in place with ``\\r``, at most once per
  ``interval`` seconds. Anywhere else (a file, a pipe, a batch log) nothing is written until the
  step count is complete, and then only the final line: no ``\\r``/``\\b`` floods in logs.
- Colour and bold codes are written only where the line is redrawn in place.

The per-step cost when a redraw is throttled is one clock read and a few attribute stores.
"""

import math
import os
import sys
import time

_BOLD, _GREEN, _WHITE, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"
_clock = time.time  # read through the module, so tests can substitute a fake clock


def print_msg(message, line_break=True):
    """Write ``message`` to the current ``sys.stdout`` (Keras' ``io_utils.print_msg``)."""
    stream = sys.stdout
    stream.write(message + "\n" if line_break else message)
    stream.flush()


def is_dynamic_display():
    """True when output can be redrawn in place: a terminal or a Jupyter kernel."""
    stream = sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty()) or "ipykernel" in sys.modules


def _stdout_is_terminal():
    try:
        return os.isatty(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # a captured or in-memory stream
        return False


def bar_glyph():
    """``━`` (U+2501) when stdout can encode it, else ``=`` as Keras falls back."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        "━".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "="
    return "━"


def format_value(value, verbose=1):
    """A metric value as Keras prints it: ``.4f``, or ``.4e`` for small magnitudes.

    verbose=1 compares ``abs(value) > 1e-3``; verbose=2 compares ``value > 1e-3`` (so negative
    values print in e-notation there), as Keras does.
    """
    if isinstance(value, str):
        return value
    value = float(value)
    large = abs(value) > 1e-3 if verbose == 1 else value > 1e-3
    return f"{value:.4f}" if large else f"{value:.4e}"


def format_step_time(seconds, unit_name="step"):
    """`` 2ms/step``: seconds per unit in s, ms or us, with Keras' leading space."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit_name}"
    return f" {seconds * 1e6:.0f}us/{unit_name}"


def format_eta(seconds):
    """Time left: ``42s``, ``3:05`` or ``1:02:03``."""
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


class Progbar:
    """A progress bar in Keras 3's format.

    Args:
        target: total number of steps, or None if unknown.
        width: bar width in characters (20).
        verbose: 0 silent, 1 live bar, 2 one line when the target is reached.
        interval: minimum seconds between two redraws of the live bar.
        stateful_metrics: names shown as given (not averaged). If neither this nor
            ``stateless_metrics`` is given, every value is averaged over the steps, as in Keras.
        stateless_metrics: names averaged over the steps; all others are shown as given.
        unit_name: ``"step"`` in ``2ms/step``.

    >>> from ember.keras.utils.progbar import Progbar
    >>> bar = Progbar(3, verbose=2, stateless_metrics=set())
    >>> for step in (1, 2, 3):
    ...     bar.update(step, [("loss", 1.0 / step)])  # doctest: +ELLIPSIS
    3/3 - 0s - ...s/step - loss: 0.3333
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Progbar: pass `stateful_metrics` or `stateless_metrics`, not both. Received: "
                f"stateful_metrics={stateful_metrics}, stateless_metrics={stateless_metrics}"
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        # averaged names: everything except the stateful ones, or exactly the stateless ones
        self._stateful = set(stateful_metrics) if stateful_metrics is not None else None
        self._stateless = set(stateless_metrics) if stateless_metrics is not None else None
        self._averages_nothing = self._stateless is not None and not self._stateless
        self._dynamic_display = is_dynamic_display()
        self._colour = self._dynamic_display and "NO_COLOR" not in os.environ
        self._glyph = bar_glyph()
        self._values = {}  # name -> [sum, count]
        self._latest = None  # the last values given, when nothing needs averaging
        self._seen_so_far = 0
        self._start = _clock()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._prev_total_width = 0
        self._live = None  # rich's live display, on real terminals
        self._real_terminal = self._dynamic_display and _stdout_is_terminal()

    def update(self, current, values=None, finalize=None):
        """Record step ``current`` (1-based) and redraw if it is time to.

        Args:
            current: index of the current step.
            values: ``(name, value)`` pairs (a dict also works) for this step.
            finalize: whether this is the last update; defaults to ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        now = _clock()
        if current == 1 and self._time_after_first_step is None:
            self._time_after_first_step = now
        if values:
            if self._averages_nothing:
                self._latest = values  # read only when a line is drawn
            else:
                self._accumulate(current, values, finalize)
        self._seen_so_far = current
        if not finalize:
            if self.verbose != 1 or not self._dynamic_display:
                return
            if now - self._last_update < self.interval:
                return
        if self.verbose == 1:
            self._draw_bar(current, now, finalize)
        elif self.verbose == 2 and finalize:
            self._draw_line(current, now)
        self._last_update = now

    def add(self, n, values=None):
        """Advance by ``n`` steps."""
        self.update(self._seen_so_far + n, values)

    # ----- values ----------------------------------------------------------------------------
    def _is_averaged(self, name):
        if self._stateless is not None:
            return name in self._stateless
        return name not in self._stateful if self._stateful is not None else True

    def _accumulate(self, current, values, finalize):
        pairs = values.items() if isinstance(values, dict) else values
        for name, value in pairs:
            if finalize or not self._is_averaged(name) or isinstance(value, str):
                self._values[name] = [value, 1]
                continue
            weight = max(current - self._seen_so_far, 1)
            entry = self._values.get(name)
            if entry is None:
                self._values[name] = [float(value) * weight, weight]
            else:
                entry[0] += float(value) * weight
                entry[1] += weight

    def _metric_text(self, verbose):
        if self._averages_nothing:
            latest = self._latest or ()
            pairs = latest.items() if isinstance(latest, dict) else latest
            return "".join(f" - {k}: {format_value(v, verbose)}" for k, v in pairs)
        parts = []
        for name, (total, count) in self._values.items():
            value = total if isinstance(total, str) else float(total) / max(1, count)
            parts.append(f" - {name}: {format_value(value, verbose)}")
        return "".join(parts)

    # ----- timing ----------------------------------------------------------------------------
    def _step_time(self, current, now):
        """Seconds per step; the first step (often slow) is left out once there are others."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            return (now - self._time_after_first_step) / (current - 1)
        return (now - self._start) / current

    # ----- drawing ---------------------------------------------------------------------------
    def _style(self, code, text):
        return f"{code}{text}{_RESET}" if self._colour else text

    def _draw_bar(self, current, now, finalize):
        per_step = self._step_time(current, now)
        target = self.target
        if target is not None and target > 0:
            digits = int(math.log10(target)) + 1
            count = f"{current:>{digits}d}/{target}"
            done = min(int(self.width * current / target), self.width)
            filled = self._style(_GREEN, self._glyph * done) if done > 0 else ""
            bar = (self._style(_BOLD, count) + " " + filled
                   + self._style(_WHITE, self._glyph * (self.width - done)))
            plain_width = len(count) + 1 + self.width
        else:
            bar = f"{current:7d}/Unknown"
            plain_width = len(bar)
        if target is not None and target > 0 and not finalize:
            clock = format_eta(per_step * (target - current))
        else:
            clock = f"{now - self._start:.0f}s"
        step_text = format_step_time(per_step, self.unit_name)
        metrics = self._metric_text(1)
        info = " " + self._style(_BOLD, clock) + step_text + metrics
        total_width = plain_width + 1 + len(clock) + len(step_text) + len(metrics)
        line = bar + info
        if self._real_terminal and self._show_live(line, finalize):
            return
        if self._dynamic_display:
            pad = " " * max(self._prev_total_width - total_width, 0)
            line = "\r" + line + pad
        self._prev_total_width = total_width
        print_msg(line + ("\n" if finalize else ""), line_break=False)

    def _show_live(self, line, finalize):
        """Redraw the line in place with rich's live display; False when rich is missing."""
        if self._live is None:
            try:
                from rich.console import Console
                from rich.live import Live
            except ImportError:
                return False
            console = Console(file=sys.stdout, highlight=False, no_color=not self._colour)
            self._live = Live(console=console, auto_refresh=False, transient=False)
            self._live.start()
        from rich.text import Text

        self._live.update(Text.from_ansi(line), refresh=True)
        if finalize:
            self._live.stop()
            self._live = None
        return True

    def _draw_line(self, current, now):
        target = self.target
        if target is None or target <= 0:
            return
        digits = int(math.log10(target)) + 1
        per_step = self._step_time(current, now)
        line = (f"{current:>{digits}d}/{target} - {now - self._start:.0f}s -"
                f"{format_step_time(per_step, self.unit_name)}{self._metric_text(2)}")
        print_msg(line)
