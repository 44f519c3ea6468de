"""Routes of an account's life: profile edit, e-mail verification, password reset by e-mail, export,
deletion. How a frontend uses them: docs/auth.md."""

from __future__ import annotations

from typing import Any

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from api.domain.accounts.controllers import RATE_LIMITED, user_out
from api.domain.accounts.gate import SessionGate
from api.domain.accounts.guards import CurrentUser
from api.domain.accounts.lifecycle import AccountLife, provide_life
from api.domain.accounts.schemas import Accepted, CodeIn, DeleteIn, ResetAskIn, ResetIn, UserOut
from api.domain.accounts.services import SessionService
from api.errors import responses
from api.lib.passwords import Passwords

Req = Request[CurrentUser, Any, Any]
RESET_ASKED = "if this e-mail has an account, a reset code is on its way"
VERIFICATION_SENT = "a confirmation code is on its way to your e-mail (none if it is confirmed already)"


class AccountController(Controller):
    path = "/api/auth"
    tags = ["accounts"]
    dependencies = {
        "life": Provide(provide_life, sync_to_thread=False),
        "sessions": Provide(create_service_provider(SessionService)),
    }

    @post(
        "/verification",
        operation_id="requestVerification",
        summary="E-mail a confirmation code",
        status_code=HTTP_202_ACCEPTED,
        responses=responses(401, 429),
        opt={RATE_LIMITED: True},
    )
    async def ask_verification(self, request: Req, life: NamedDependency[AccountLife]) -> Accepted:
        """Send a confirmation code to your e-mail (single-use, valid 48 hours; rate-limited)."""
        await life.ask_verification(request.user.id)
        return Accepted(VERIFICATION_SENT)

    @post(
        "/verification/confirm",
        operation_id="confirmVerification",
        summary="Confirm your e-mail with its code",
        status_code=200,
        responses=responses(400, 401, 429),
        opt={RATE_LIMITED: True},
    )
    async def verify(
        self, data: JSONBody[CodeIn], request: Req, life: NamedDependency[AccountLife]
    ) -> UserOut:
        """Send back the code from the e-mail: the address is confirmed (`email_verified`)."""
        return user_out(await life.verify(data.code))

    @post(
        "/password-reset",
        operation_id="requestPasswordReset",
        summary="E-mail a password reset code",
        status_code=HTTP_202_ACCEPTED,
        exclude_from_auth=True,
        security=[{}],
        responses=responses(400, 429),
        opt={RATE_LIMITED: True},
    )
    async def ask_reset(self, data: JSONBody[ResetAskIn], life: NamedDependency[AccountLife]) -> Accepted:
        """Mail a single-use reset code (valid 30 minutes) to the account's e-mail. The answer is the same
        whether or not the e-mail has an account (rate-limited)."""
        await life.ask_reset(data.email)
        return Accepted(RESET_ASKED)

    @post(
        "/password-reset/confirm",
        operation_id="resetPassword",
        summary="Set a new password with the e-mailed code",
        status_code=HTTP_204_NO_CONTENT,
        exclude_from_auth=True,
        security=[{}],
        responses=responses(400, 401, 429),
        opt={RATE_LIMITED: True},
    )
    async def reset(
        self,
        data: JSONBody[ResetIn],
        life: NamedDependency[AccountLife],
        passwords: NamedDependency[Passwords],
        sessions: NamedDependency[SessionService],
        gate: NamedDependency[SessionGate],
    ) -> None:
        """Set a new password with the code from the e-mail (once); every session of the account ends, so
        log in with the new password."""
        user_id = await life.reset(passwords, data.code, data.new_password)
        await sessions.end(gate, user_id)

    @get("/me/export", operation_id="exportAccount", summary="Export your data", responses=responses(401))
    async def export(self, request: Req, life: NamedDependency[AccountLife]) -> dict[str, Any]:
        """Everything stored about you, as one JSON document: account, teams with their picks, rosters,
        transfers and chips, leagues, notifications."""
        return await life.export(request.user.id)

    @post(
        "/me/delete",
        operation_id="deleteAccount",
        summary="Delete your account",
        status_code=HTTP_204_NO_CONTENT,
        responses=responses(400, 401, 429),
        opt={RATE_LIMITED: True},
    )
    async def delete(
        self,
        data: JSONBody[DeleteIn],
        request: Req,
        life: NamedDependency[AccountLife],
        passwords: NamedDependency[Passwords],
        sessions: NamedDependency[SessionService],
        gate: NamedDependency[SessionGate],
    ) -> None:
        """Delete your account (your password confirms it): e-mail, name, password and notifications are
        removed and every session ends; your teams keep their results under neutral names."""
        await life.delete(passwords, request.user.id, data.password)
        await sessions.end(gate, request.user.id)
