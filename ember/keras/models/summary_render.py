"""Drawing the summary table: with ``rich`` when installed, else the same characters by hand.

Keras draws ``model.summary()`` with a ``rich`` table (heavy head, a line between rows, fixed
column widths). ``rich`` is optional for ember, so ``plain_text`` reproduces what rich prints
without colour: the same column-width reduction (``rich.table`` shrinks fixed columns evenly when
they and their padding do not fit), the same word wrapping inside cells, ``…`` for words wider
than their column. A test checks both give identical text.

Cells are lists of ``(text, style)`` segments; styles are rich style strings (or None).
"""

import re
from typing import NamedTuple


class TableSpec(NamedTuple):
    header: list  # column titles
    alignment: list  # "left", "right" or "center" per column
    widths: list  # content widths asked for, per column
    rows: list  # rows of cells; a cell is a list of (text, style)
    line_length: int  # the table's total width


def render(title, table, footer, capture):
    """Print (``capture`` False) or return as plain text the title line, table and footer.

    With rich installed and ``capture`` False, rich prints (in colour on a terminal) and this
    returns None; otherwise the plain text is returned for the caller to write.
    """
    try:
        import rich.console  # noqa: F401  (optional: imported here, not at start-up)
    except ImportError:
        return plain_text(title, table, footer)
    return _rich_text(title, table, footer, capture)


def _rich_text(title, table, footer, capture):
    from rich.console import Console
    from rich.table import Column, Table
    from rich.text import Text

    columns = [Column(name, justify=align, width=width)
               for name, align, width in zip(table.header, table.alignment, table.widths)]
    grid = Table(*columns, width=table.line_length, show_lines=True)
    for row in table.rows:
        grid.add_row(*[Text.assemble(*cell) for cell in row])
    if capture:
        console = Console(highlight=False, force_terminal=False, color_system=None)
        console.begin_capture()
    else:
        console = Console(highlight=False)
    if console.width < table.line_length:
        console.width = table.line_length
    console.print(Text.assemble(*title))
    console.print(grid)
    for line in footer:
        console.print(Text.assemble(*line))
    return console.end_capture() if capture else None


# ----- the same table without rich ---------------------------------------------------------------
def plain_text(title, table, footer):
    """The text rich prints for this title, table and footer, without colour."""
    lines = ["".join(text for text, _ in title)]
    lines += _table_lines(table)
    lines += ["".join(text for text, _ in line) for line in footer]
    return "\n".join(lines) + "\n"


def _table_lines(table):
    n = len(table.widths)
    available = table.line_length - (n + 1)  # the vertical borders
    # one space of padding on each side; no single column wider than the table
    widths = [min(w + 2, available) for w in table.widths]
    if sum(widths) > available:
        widths = _ratio_reduce(sum(widths) - available, [1] * n, widths, widths)

    def rule(left, middle, right, fill):
        return left + middle.join(fill * w for w in widths) + right

    def row_lines(cells, vertical, bottom=False):
        wrapped = [_wrap("".join(text for text, _ in cell), w - 2, align)
                   for cell, w, align in zip(cells, widths, table.alignment)]
        height = max(len(lines) for lines in wrapped)
        if bottom:  # rich aligns header cells to the bottom
            wrapped = [[" " * (w - 2)] * (height - len(lines)) + lines
                       for lines, w in zip(wrapped, widths)]
        out = []
        for i in range(height):
            parts = [" " + (lines[i] if i < len(lines) else " " * (w - 2)) + " "
                     for lines, w in zip(wrapped, widths)]
            out.append(vertical + vertical.join(parts) + vertical)
        return out

    header = [[(name, "bold")] for name in table.header]
    lines = [rule("┏", "┳", "┓", "━")] + row_lines(header, "┃", bottom=True)
    lines.append(rule("┡", "╇", "┩", "━"))
    for i, row in enumerate(table.rows):
        if i:
            lines.append(rule("├", "┼", "┤", "─"))
        lines += row_lines(row, "│")
    lines.append(rule("└", "┴", "┘", "─"))
    return lines


def _ratio_reduce(total, ratios, maximums, values):
    """``rich._ratio.ratio_reduce``: take ``total`` away from ``values`` in proportion."""
    ratios = [ratio if maximum else 0 for ratio, maximum in zip(ratios, maximums)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    remaining = total
    result = []
    for ratio, maximum, value in zip(ratios, maximums, values):
        if ratio and total_ratio > 0:
            distributed = min(maximum, round(ratio * remaining / total_ratio))
            result.append(value - distributed)
            remaining -= distributed
            total_ratio -= ratio
        else:
            result.append(value)
    return result


_WORD = re.compile(r"\s*\S+\s*")


def _break_offsets(text, width):
    """Where rich breaks ``text`` into lines of ``width`` (words too long stay whole)."""
    breaks, offset = [], 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group()
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            if start:
                breaks.append(start)
            offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    return breaks


def _wrap(text, width, align):
    """The lines of one cell, each exactly ``width`` wide."""
    if width <= 0:  # a column squeezed to its padding shows nothing
        return [""]
    bounds = [0] + _break_offsets(text, width) + [len(text)]
    lines = []
    for start, stop in zip(bounds, bounds[1:]):
        line = text[start:stop]
        if len(line) > width:  # trailing spaces beyond the width go first
            spaces = len(line) - len(line.rstrip())
            line = line[:len(line) - min(spaces, len(line) - width)]
        if align != "left":
            line = line.rstrip()
        if len(line) > width:
            line = line[:width - 1] + "…"
        if align == "right":
            line = " " * (width - len(line)) + line
        elif align == "center":
            line = " " * ((width - len(line)) // 2) + line
        lines.append(line.ljust(width))
    return lines
