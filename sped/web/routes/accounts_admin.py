"""Account administration for state administrators (`/admin/accounts`): list the accounts, add
one (role, LEAs, admin), change a district account's LEAs, disable one, set a password, issue
or revoke API tokens. The same rules
and audit events as `sped accounts`: each change goes through the registry's account functions
(sped/landing/accounts.py via `Registry`), which check the rules and record the event, with the
administrator as the actor. Only a state account that is an administrator may open these
pages; every form carries the session's CSRF token."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from sped.landing.accounts import ROLES, Account, AccountError
from sped.web.auth import AdminAccount, check_csrf, portal
from sped.web.pages import render

router = APIRouter(prefix="/admin/accounts", include_in_schema=False)
Name = Annotated[str, Form(max_length=64)]
Csrf = Annotated[str, Form(max_length=200)]


def _state_admin(account: Account) -> Account:
    if account.role != "state":
        raise HTTPException(403, "Only a state account administrator may manage accounts.")
    return account


def _actor(account: Account) -> str:
    return f"{account.account} (web)"


def _page(request: Request, account: Account, *, status: int = 200, **extra) -> Response:
    with portal(request).registry() as registry:
        accounts = registry.list_accounts()
    return render(
        request,
        "admin/accounts.html",
        {"accounts": accounts, "roles": ROLES, "form": {}, **extra},
        account=account,
        status_code=status,
    )


@router.get("")
def accounts_page(request: Request, account: AdminAccount) -> Response:
    _state_admin(account)
    return _page(request, account, done=request.query_params.get("done", "")[:200])


def _change(request: Request, account: Account, csrf: str, form: dict, change) -> Response:
    """Run one change; a refused one shows the page again with the reason and what was typed."""
    _state_admin(account)
    check_csrf(request, csrf)
    try:
        with portal(request).registry() as registry:
            message = change(registry)
    except AccountError as exc:
        return _page(request, account, status=422, error=str(exc), form=form)
    if message.startswith("token:"):  # a token is shown once, on this answer only
        return _page(request, account, token=message[len("token:") :], done="")
    return RedirectResponse(f"/admin/accounts?{_done(message)}", status_code=303)


def _lea_ids(typed: str) -> tuple[str, ...]:
    """LEA ids as typed in a form: separated by commas or spaces."""
    return tuple(x for x in typed.replace(",", " ").split() if x)


def _done(message: str) -> str:
    return urlencode({"done": message})


@router.post("/add")
def add(
    request: Request,
    account: AdminAccount,
    csrf: Csrf,
    name: Name,
    role: Annotated[str, Form(max_length=20)],
    leas: Annotated[str, Form(max_length=2000)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    admin: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    lea_ids = _lea_ids(leas)
    form = {"name": name, "role": role, "leas": leas, "display_name": display_name}

    def change(registry) -> str:
        made = registry.add_account(
            name.strip(),
            role,
            lea_ids,
            display_name.strip(),
            password=password or None,
            is_admin=bool(admin),
            actor=_actor(account),
        )
        return f"Added the {made.role} account {made.account}."

    return _change(request, account, csrf, form, change)


@router.post("/{name}/disable")
def disable(request: Request, name: str, account: AdminAccount, csrf: Csrf) -> Response:
    def change(registry) -> str:
        if name == account.account:
            raise AccountError("you may not disable your own account")
        registry.disable_account(name, actor=_actor(account))
        return f"Disabled {name}; its API tokens are revoked."

    return _change(request, account, csrf, {}, change)


@router.post("/{name}/leas")
def leas(
    request: Request,
    name: str,
    account: AdminAccount,
    csrf: Csrf,
    leas: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    lea_ids = _lea_ids(leas)

    def change(registry) -> str:
        now = registry.set_account_leas(name, lea_ids, actor=_actor(account))
        return f"{name} now belongs to {', '.join(now)}."

    return _change(request, account, csrf, {}, change)


@router.post("/{name}/password")
def password(
    request: Request,
    name: str,
    account: AdminAccount,
    csrf: Csrf,
    new_password: Annotated[str, Form(max_length=200)],
) -> Response:
    def change(registry) -> str:
        registry.set_password(name, new_password, actor=_actor(account))
        return f"Set a new password for {name}."

    return _change(request, account, csrf, {}, change)


@router.post("/{name}/token")
def token(request: Request, name: str, account: AdminAccount, csrf: Csrf) -> Response:
    def change(registry) -> str:
        if registry.account(name) is None:
            raise AccountError(f"no account {name!r}")
        return "token:" + registry.create_token(name, actor=_actor(account))

    return _change(request, account, csrf, {}, change)


@router.post("/{name}/revoke")
def revoke(request: Request, name: str, account: AdminAccount, csrf: Csrf) -> Response:
    def change(registry) -> str:
        n = registry.revoke_tokens(name, actor=_actor(account))
        return f"Revoked {n} API token(s) of {name}."

    return _change(request, account, csrf, {}, change)
