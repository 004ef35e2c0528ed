"""The account administrators' API: end web sessions at once (`DELETE .../sessions`).

Only an admin state account's token may call it (403 otherwise). Ending the sessions signs the
account (or every account) out of the web application at its next request, wherever its cookie
was copied; API tokens are not sessions (`sped accounts token NAME --revoke` ends them). Each
call is a `sessions_ended` event of the audit trail naming the admin.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from pydantic import BaseModel

from sped.landing.accounts import ACCOUNT_NAME, Account, AccountError
from sped.web.auth import ApiAccount, portal
from sped.web.routes.api import ERRORS, Problem

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class SessionsEnded(BaseModel):
    account: str | None
    sessions_ended: int


def _admin(account: Account) -> str:
    if account.role != "state" or not account.is_admin:
        raise HTTPException(403, "Only a state account administrator may end sessions.")
    return f"{account.account} (API token)"


@router.delete(
    "/accounts/{account}/sessions",
    response_model=SessionsEnded,
    responses={**ERRORS, 404: {"model": Problem, "description": "No such account"}},
    summary="Sign an account out of the web application at once (admins)",
)
def end_account_sessions(
    request: Request,
    caller: ApiAccount,
    account: Annotated[str, Path(max_length=64)],
) -> dict:
    actor = _admin(caller)
    if not ACCOUNT_NAME.match(account):
        raise HTTPException(404, "There is no such account.")
    with portal(request).registry() as registry:
        try:
            n = registry.end_sessions(account, actor=actor, why="ended by an admin")
        except AccountError:
            raise HTTPException(404, "There is no such account.") from None
    return {"account": account, "sessions_ended": n}


@router.delete(
    "/sessions",
    response_model=SessionsEnded,
    responses=ERRORS,
    summary="Sign every account out of the web application at once (admins)",
)
def end_every_session(request: Request, caller: ApiAccount) -> dict:
    actor = _admin(caller)
    with portal(request).registry() as registry:
        n = registry.end_sessions(None, actor=actor, why="ended by an admin")
    return {"account": None, "sessions_ended": n}
