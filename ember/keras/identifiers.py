"""One resolver for string identifiers (optimizers, losses, metrics, activations, ...).

Unknown names raise ``ValueError`` listing the valid names and the closest match.
"""

import difflib


def closest(name, valid):
    """The valid name closest to ``name`` (or None)."""
    matches = difflib.get_close_matches(str(name).lower(), [v.lower() for v in valid], n=1,
                                        cutoff=0.5)
    if not matches:
        return None
    for v in valid:
        if v.lower() == matches[0]:
            return v
    return None


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
