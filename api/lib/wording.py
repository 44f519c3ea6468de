"""Validation messages in words. msgspec says "Expected `str` matching regex '^[A-Z]{3}$' - at
`$.drivers[0]`"; a player should read "drivers[0] must be a driver's three-letter code in capitals". Each
pattern a schema uses is registered here with its words (`pattern(regex, words)`): no regex is shown."""

from __future__ import annotations

import re

_PATTERN_WORDS: dict[str, str] = {}
_TYPES = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "object": "a JSON object",
    "array": "a list",
    "null": "null",
    "datetime": "a date and time with its time zone, like 2026-03-14T06:00:00Z",
    "date": "a date like 2026-03-14",
}
_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Expected `str` matching regex '(?P<regex>.*)'$"), "pattern"),
    (re.compile(r"^Expected `(?P<kind>\w+)` of length >= (?P<n>\d+)$"), "min_length"),
    (re.compile(r"^Expected `(?P<kind>\w+)` of length <= (?P<n>\d+)$"), "max_length"),
    (re.compile(r"^Expected `(?P<kind>\w+)` >= (?P<n>[-\d.]+)$"), "ge"),
    (re.compile(r"^Expected `(?P<kind>\w+)` <= (?P<n>[-\d.]+)$"), "le"),
    (re.compile(r"^Expected `(?P<kind>\w+)` > (?P<n>[-\d.]+)$"), "gt"),
    (re.compile(r"^Expected `(?P<kind>\w+)` < (?P<n>[-\d.]+)$"), "lt"),
    (re.compile(r"^Expected `(?P<kind>[\w |]+)`, got `(?P<got>\w+)`$"), "type"),
    (re.compile(r"^Object missing required field `(?P<name>[^`]+)`$"), "missing"),
    (re.compile(r"^Object contains unknown field `(?P<name>[^`]+)`$"), "unknown"),
    (re.compile(r"^Invalid enum value (?P<value>.*)$"), "enum"),
]
_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)


def pattern(regex: str, words: str) -> str:
    """Register what `regex` means in words (for messages and the schema); return the regex."""
    _PATTERN_WORDS[regex] = words
    _PATTERN_WORDS[regex.replace("\\", "\\\\")] = words  # as msgspec prints it, backslashes doubled
    return regex


def _kind(kind: str) -> str:
    return " or ".join(_TYPES.get(k.strip(), k.strip()) for k in kind.split("|"))


def in_words(message: str, field: str | None = None) -> tuple[str, str | None]:
    """(the message in words, the field it is about) for one msgspec or Litestar validation message.
    `field` is the parameter or body field Litestar names; a path inside the body (`$.drivers[0]`) wins."""
    split = _AT.match(message.strip())
    text, path = (split["message"], split["path"]) if split else (message, None)
    if path:
        field = path.lstrip(".") or field
    subject = field or "the body"
    for rule, kind in _RULES:
        found = rule.match(text)
        if found is None:
            continue
        values = found.groupdict()
        if kind == "pattern":
            words = _PATTERN_WORDS.get(values["regex"], "in the expected format (see the schema)")
            return f"{subject} must be {words}", field
        if kind in ("min_length", "max_length"):
            n = int(values["n"])
            unit = "character" if values["kind"] == "str" else "item"
            plural = "" if n == 1 else "s"
            if kind == "min_length":
                return (
                    f"{subject} must not be empty" if n == 1 else f"{subject} needs at least {n} {unit}s"
                ), field
            return f"{subject} can have at most {n} {unit}{plural}", field
        if kind in ("ge", "le", "gt", "lt"):
            words = {"ge": "at least", "le": "at most", "gt": "more than", "lt": "less than"}[kind]
            return f"{subject} must be {words} {values['n']}", field
        if kind == "type":
            return f"{subject} must be {_kind(values['kind'])}, not {_kind(values['got'])}", field
        if kind == "missing":
            name = f"{field}.{values['name']}" if field else values["name"]
            return f"{name} is required", name
        if kind == "unknown":
            name = f"{field}.{values['name']}" if field else values["name"]
            return f"{name} is not a field of this request; remove it", name
        return f"{subject} is not one of the allowed values ({values['value']}); see the schema", field
    return (f"{subject}: {text}" if field else text), field
