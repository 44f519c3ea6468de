"""Free text that people choose (display names, team and league names) is shown to other players, in
terminals and logs too: it must be printable. Checked in the request bodies' __post_init__, so that a bad
name is a 400 whose message says which character is wrong and where (msgspec reports it as a
validation error), never a database error.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

import msgspec

# Control characters (C0, DEL, C1: NUL, BEL, ESC of ANSI sequences...), lone surrogates (PostgreSQL cannot
# store them) and line breaks that are not "\n"; bidirectional overrides and isolates reorder what follows.
_REFUSED_CATEGORIES = {"Cc": "a control character", "Cs": "a lone surrogate", "Zl": "a line separator"}
_REFUSED_CATEGORIES["Zp"] = "a paragraph separator"
_BIDI_CONTROLS = frozenset([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])

Name = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=100,
        description="Printable text, not blank: no control characters (C0, C1, ANSI escapes, NUL), "
        "line or paragraph separators, or bidirectional overrides.",
    ),
]


def refused_character(value: str) -> str | None:
    """Why `value` is not printable text (the first offending character and its position), or None."""
    for position, char in enumerate(value, start=1):
        code = ord(char)
        kind = _REFUSED_CATEGORIES.get(unicodedata.category(char))
        if kind is None and code in _BIDI_CONTROLS:
            kind = "a bidirectional control character"
        if kind is not None:
            return f"{kind} (U+{code:04X}) at position {position}"
    return None


def check_name(field: str, value: str) -> None:
    """Raise ValueError (a 400 through msgspec) unless `value` is printable and not blank."""
    problem = refused_character(value)
    if problem is not None:
        raise ValueError(f"{field} contains {problem}; use printable characters only")
    if not value.strip():
        raise ValueError(f"{field} is blank; give it at least one visible character")
