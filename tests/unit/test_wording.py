"""api/lib/wording.py and api/lib/text.py (pure): validation messages in a player's words, the field
they are about, and which characters a name may not hold."""

from __future__ import annotations

import pytest

from api.lib.text import check_name, refused_character
from api.lib.wording import in_words, pattern

CODE = pattern(r"^[A-Z]{4}$", "a four-letter code in capitals")

MESSAGES = [
    # (msgspec's or Litestar's message, the field Litestar names, the words, the field they are about)
    pytest.param(
        f"Expected `str` matching regex '{CODE}' - at `$.drivers[0]`",
        None,
        "drivers[0] must be a four-letter code in capitals",
        "drivers[0]",
        id="registered-pattern",
    ),
    pytest.param(
        "Expected `str` matching regex '^x+$'",
        "name",
        "name must be in the expected format (see the schema)",
        "name",
        id="unregistered-pattern-hides-the-regex",
    ),
    pytest.param(
        "Expected `str` of length >= 1", "name", "name must not be empty", "name", id="min-length-1"
    ),
    pytest.param(
        "Expected `str` of length >= 8 - at `$.password`",
        None,
        "password needs at least 8 characters",
        "password",
        id="min-length-str",
    ),
    pytest.param(
        "Expected `array` of length >= 5",
        "drivers",
        "drivers needs at least 5 items",
        "drivers",
        id="min-length-array",
    ),
    pytest.param(
        "Expected `str` of length <= 100",
        "name",
        "name can have at most 100 characters",
        "name",
        id="max-length",
    ),
    pytest.param(
        "Expected `array` of length <= 1", "x", "x can have at most 1 item", "x", id="max-length-1-item"
    ),
    pytest.param("Expected `int` >= 1", "limit", "limit must be at least 1", "limit", id="ge"),
    pytest.param("Expected `int` <= 200", "limit", "limit must be at most 200", "limit", id="le"),
    pytest.param("Expected `float` > 0.0", "x", "x must be more than 0.0", "x", id="gt"),
    pytest.param("Expected `int` < -1", "x", "x must be less than -1", "x", id="lt-negative"),
    pytest.param(
        "Expected `int`, got `str` - at `$.offset`",
        None,
        "offset must be a whole number, not text",
        "offset",
        id="type",
    ),
    pytest.param(
        "Expected `str | null`, got `array`",
        "name",
        "name must be text or null, not a list",
        "name",
        id="union-type",
    ),
    pytest.param(
        "Expected `datetime`, got `int`",
        "at",
        "at must be a date and time with its time zone, like 2026-03-14T06:00:00Z, not a whole number",
        "at",
        id="datetime",
    ),
    pytest.param(
        "Object missing required field `email`", None, "email is required", "email", id="missing-at-top"
    ),
    pytest.param(
        "Object missing required field `code` - at `$.invite`",
        None,
        "invite.code is required",
        "invite.code",
        id="missing-nested",
    ),
    pytest.param(
        "Object contains unknown field `admin`",
        None,
        "admin is not a field of this request; remove it",
        "admin",
        id="unknown-field",
    ),
    pytest.param(
        "Invalid enum value 'turbo' - at `$.chip`",
        None,
        "chip is not one of the allowed values ('turbo'); see the schema",
        "chip",
        id="enum",
    ),
    pytest.param(
        "Something else entirely", "q", "q: Something else entirely", "q", id="unknown-message-with-field"
    ),
    pytest.param("Something else entirely", None, "Something else entirely", None, id="unknown-message"),
    pytest.param(
        "Expected `int` >= 1 - at `$`", "limit", "limit must be at least 1", "limit", id="root-path"
    ),
    pytest.param("Expected `int` >= 1", None, "the body must be at least 1", None, id="no-field"),
]


@pytest.mark.parametrize(("message", "field", "words", "about"), MESSAGES)
def test_each_validation_message_in_words(
    message: str, field: str | None, words: str, about: str | None
) -> None:
    assert in_words(message, field) == (words, about)


def test_a_pattern_with_backslashes_is_found_as_msgspec_prints_it() -> None:
    regex = pattern(r"^\d{3}$", "three digits")
    printed = regex.replace("\\", "\\\\")
    assert in_words(f"Expected `str` matching regex '{printed}'", "pin") == (
        "pin must be three digits",
        "pin",
    )


NAMES = [
    pytest.param("Max Verstappen", None, id="plain"),
    pytest.param("Équipe 1 \u2013 \U0001f3ce", None, id="unicode"),
    pytest.param("two\nlines", "a control character (U+000A) at position 4", id="newline"),
    pytest.param("a\x00b", "a control character (U+0000) at position 2", id="nul"),
    pytest.param("\x1b[31mred", "a control character (U+001B) at position 1", id="ansi-escape"),
    pytest.param("x\x85", "a control character (U+0085) at position 2", id="c1"),
    pytest.param("a\u2028b", "a line separator (U+2028) at position 2", id="line-separator"),
    pytest.param("a\u2029b", "a paragraph separator (U+2029) at position 2", id="paragraph-separator"),
    pytest.param(
        "abc\u202edcba", "a bidirectional control character (U+202E) at position 4", id="bidi-override"
    ),
    pytest.param("\u2066x", "a bidirectional control character (U+2066) at position 1", id="bidi-isolate"),
    pytest.param("a\ud800", "a lone surrogate (U+D800) at position 2", id="lone-surrogate"),
]


@pytest.mark.parametrize(("value", "why"), NAMES)
def test_which_characters_a_name_may_hold(value: str, why: str | None) -> None:
    assert refused_character(value) == why


def test_check_name_says_what_is_wrong() -> None:
    check_name("name", "Scuderia")
    with pytest.raises(
        ValueError, match=r"^team name contains a control character \(U\+0009\) at position 2"
    ):
        check_name("team name", "a\tb")
    with pytest.raises(ValueError, match=r"^name is blank; give it at least one visible character$"):
        check_name("name", "   ")
