"""One resolver for string identifiers (optimizers, losses, metrics, activations, ...).

Unknown names raise ``ValueError`` listing the valid names and the closest match.
"""

import difflib


def _edit_distance(a, b):
    """Optimal string alignment distance: insertions, deletions, substitutions, swaps."""
    previous2, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def closest(name, valid):
    """The valid name closest to ``name`` (fewest typos; None when nothing is close)."""
    name = str(name).lower()
    best = None
    for candidate in valid:
        key = (_edit_distance(name, candidate.lower()),
               -difflib.SequenceMatcher(None, name, candidate.lower()).ratio())
        if best is None or key < best[0]:
            best = (key, candidate)
    if best is None or best[0][0] > max(2, len(name) // 2):
        return None
    return best[1]


def unknown_identifier_error(kind, name, valid):
    """The ``ValueError`` for an unknown identifier: what came, what is valid, a suggestion."""
    valid = sorted(set(valid))
    hint = closest(name, valid)
    suggestion = f" Did you mean '{hint}'?" if hint else ""
    return ValueError(
        f"Could not interpret {kind} identifier: {name!r}.{suggestion} "
        f"Valid {kind} names: {', '.join(valid)}."
    )


def resolve(kind, identifier, table, case_sensitive=True):
    """Look ``identifier`` up in ``table`` (name -> value); raise a helpful error if absent."""
    key = identifier if case_sensitive else identifier.lower()
    if case_sensitive:
        if key in table:
            return table[key]
    else:
        lowered = {k.lower(): v for k, v in table.items()}
        if key in lowered:
            return lowered[key]
    raise unknown_identifier_error(kind, identifier, table)
