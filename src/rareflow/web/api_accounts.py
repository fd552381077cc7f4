"""Accounts and tokens: sign up, sign in (throttled), revoke, who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from rareflow.web import auth
from rareflow.web.deps import (
    SessionDep,
    UserDep,
    sign_in,
    token_of,
)
from rareflow.web.models import (
    NewUser,
    TokenOut,
    UserOut,
)

router = APIRouter()


@router.post("/api/users", status_code=201, response_model=UserOut, tags=["accounts"])
def register(body: NewUser, request: Request, session: SessionDep) -> UserOut:
    """Create an account. Any refusal is 422; a name in use gets the same answer as any other
    name that cannot be had (the answer does not say who has an account)."""
    request.app.state.guard.check_signup(request)
    try:
        user = auth.create_user(session, body.username, body.password)
    except auth.AuthError as exc:
        raise HTTPException(422, str(exc)) from None
    return UserOut(id=user.id, username=user.username)


@router.post(
    "/api/token",
    response_model=TokenOut,
    tags=["accounts"],
    responses={401: {"description": "wrong username or password"}},
)
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
) -> TokenOut:
    """OAuth2 password flow: a bearer token for username and password (429 after repeated
    failures for the account or the address, with Retry-After)."""
    user = sign_in(request, session, form.username, form.password)
    if user is None:
        raise HTTPException(401, "wrong username or password")
    return TokenOut(access_token=auth.issue_token(session, user, "api"))


@router.delete("/api/token", status_code=204, tags=["accounts"])
def revoke(request: Request, user: UserDep, session: SessionDep) -> Response:
    """Revoke the token this request presents (bearer header or dashboard cookie)."""
    auth.revoke_token(session, token_of(request))
    return Response(status_code=204)


@router.get("/api/me", response_model=UserOut, tags=["accounts"])
def me(user: UserDep) -> UserOut:
    return UserOut(id=user.id, username=user.username)
