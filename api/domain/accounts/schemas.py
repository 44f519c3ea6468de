"""Request and response bodies of the accounts domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.lib.password_policy import MAX_LENGTH, MIN_LENGTH
from api.lib.text import Name, check_name
from api.lib.wording import pattern

EMAIL_PATTERN = pattern(
    r"^[^@\s\x00-\x1f\x7f-\x9f]{1,64}@[^@\s\x00-\x1f\x7f-\x9f]+\.[^@\s\x00-\x1f\x7f-\x9f]+$",
    "an e-mail address like name@example.com",
)

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=EMAIL_PATTERN)]
Password = Annotated[
    str,
    msgspec.Meta(
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        description="At least 10 characters, and not a common or easily guessed password.",
    ),
]
TokenText = Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]


class RegisterIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    display_name: Name

    def __post_init__(self) -> None:
        check_name("display_name", self.display_name)
        check_name("email", self.email)


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_LENGTH)]


class RefreshIn(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: TokenText


class PasswordChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_LENGTH)]
    new_password: Password


class Accepted(msgspec.Struct):
    """The same answer whether or not the e-mail already had an account."""

    detail: str


class TokenPair(msgspec.Struct):
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token is still valid
    refresh_expires_in: int  # seconds the refresh token is still valid
    token_type: str = "bearer"  # noqa: S105


class UserOut(msgspec.Struct):
    id: int
    email: str
    display_name: str
    created_at: datetime
    email_verified: bool = False  # the player confirmed the e-mail's code


class ProfileIn(msgspec.Struct, forbid_unknown_fields=True):
    display_name: Name | None = None
    email: Email | None = None  # a new e-mail is unverified until its code comes back

    def __post_init__(self) -> None:
        if self.display_name is not None:
            check_name("display_name", self.display_name)
        if self.email is not None:
            check_name("email", self.email)


class CodeIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=200, description="the code from the e-mail")]


class ResetAskIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email


class ResetIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=200, description="the code from the e-mail")]
    new_password: Password


class DeleteIn(msgspec.Struct, forbid_unknown_fields=True):
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_LENGTH)]
