"""Request and response bodies of the accounts domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

EMAIL_PATTERN = r"^[^@\s\x00]{1,64}@[^@\s\x00]+\.[^@\s\x00]+$"
NAME_PATTERN = r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$"  # printable, not blank

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=EMAIL_PATTERN)]
Password = Annotated[str, msgspec.Meta(min_length=10, max_length=128, pattern=r"^[^\x00]*$")]
DisplayName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=NAME_PATTERN)]
TokenText = Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]


class RegisterIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    display_name: DisplayName


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class RefreshIn(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: TokenText


class TokenPair(msgspec.Struct):
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token is valid
    refresh_expires_in: int
    token_type: str = "bearer"  # noqa: S105


class UserOut(msgspec.Struct):
    id: int
    email: str
    display_name: str
    created_at: datetime
