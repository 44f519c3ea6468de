"""The password policy (OWASP ASVS 2.1): at least 10 characters, at most 128, and not easy to guess.

"Easy to guess" is zxcvbn's estimate: it knows the most common passwords of public breaches, words,
names, keyboard walks, repeats, sequences and dates, and the player's own e-mail and name. A score
below 3 (about 10^8 guesses) is refused, with zxcvbn's advice as the reason.
"""

from __future__ import annotations

import anyio.to_thread
from zxcvbn import zxcvbn

from api.errors import ErrorCode, Invalid

MIN_LENGTH = 10
MAX_LENGTH = 128
MIN_SCORE = 3


def password_problem(password: str, user_inputs: list[str]) -> str | None:
    """Why the password is refused, in words, or None."""
    if len(password) < MIN_LENGTH:
        return f"the password is too short: use at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"the password is too long: use at most {MAX_LENGTH} characters"
    result = zxcvbn(password, user_inputs=user_inputs, max_length=MAX_LENGTH)
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    advice = " ".join([feedback.get("warning") or "", *feedback.get("suggestions", [])]).strip()
    return "the password is too easy to guess" + (f": {advice}" if advice else "; choose a longer one")


async def check_password(password: str, *user_inputs: str) -> None:
    """400 with the reason unless the password meets the policy (checked off the event loop)."""
    inputs = [part for value in user_inputs for part in (value, *value.split("@"))]
    problem = await anyio.to_thread.run_sync(password_problem, password, inputs)
    if problem is not None:
        raise Invalid(problem, code=ErrorCode.WEAK_PASSWORD)
