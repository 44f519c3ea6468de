"""argon2id password hashing, off the event loop (a hash costs tens of milliseconds by design)."""

from __future__ import annotations

from functools import cached_property

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    """argon2id with argon2-cffi's default (RFC 9106) cost unless told otherwise."""

    def __init__(self, time_cost: int | None = None, memory_kib: int | None = None) -> None:
        defaults = PasswordHasher()
        self._hasher = PasswordHasher(
            time_cost=time_cost or defaults.time_cost, memory_cost=memory_kib or defaults.memory_cost
        )

    @cached_property
    def _dummy_hash(self) -> str:
        """Verified when the e-mail is unknown, so that a miss costs as much as a wrong password."""
        return self._hasher.hash("not a password of anyone")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when the password matches; False for a wrong password, an unknown user or no usable hash."""
        return await anyio.to_thread.run_sync(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return (
                self._hasher.verify(password_hash or self._dummy_hash, password) and password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False
