"""Accounts and API tokens: argon2 password hashes, random bearer tokens stored as SHA-256.

A client gets a token from POST /api/token (OAuth2 password flow: form fields username and
password) and sends it as `Authorization: Bearer <token>`. The dashboard keeps the same token in
an HttpOnly, SameSite=Strict cookie; requests authenticated by that cookie that change anything
must also carry the header `X-Rareflow: 1`, which a cross-site form cannot add.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rareflow.errors import UserError
from rareflow.web.db import ApiToken, User, now
from rareflow.web.guard import hashing_slot, password_problem

COOKIE = "rareflow_token"
CSRF_HEADER = "x-rareflow"
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 256
TOKEN_DAYS = 30  # a token (API or dashboard cookie) expires this long after it was issued

_hasher = PasswordHasher()


class AuthError(UserError, ValueError):
    """Bad credentials or a bad new account; the message is for the user."""


def hash_password(password: str) -> str:
    with hashing_slot():
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    with hashing_slot():
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# One answer for a name that is taken and any other refusal that depends on existing accounts,
# so that sign-up does not confirm who has an account (issue 16).
CANNOT_CREATE = "username: cannot create an account with this username; choose another"


def create_user(session: Session, username: str, password: str) -> User:
    """A new account. Rules on the text alone (format, password strength) are named; a name
    already in use gets CANNOT_CREATE, after the same argon2 hash a new account costs."""
    if not USERNAME_RE.match(username):
        raise AuthError("username: expected 3 to 64 letters, digits, '.', '_' or '-'")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AuthError(f"password: expected {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    problem = password_problem(username, password)
    if problem is not None:
        raise AuthError(problem)
    # hash first: a taken name must take as long as a free one
    password_hash = hash_password(password)
    if name_in_use(session, username):
        raise AuthError(CANNOT_CREATE)
    user = User(username=username, password_hash=password_hash)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        # another sign-up for the name committed between the check and this insert: the same
        # answer as a name in use, and the session is clean for the request's commit
        session.rollback()
        raise AuthError(CANNOT_CREATE) from None
    return user


def name_in_use(session: Session, username: str) -> bool:
    return session.scalar(select(User.id).where(User.username == username)) is not None


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        # hash anyway so that unknown names take as long as wrong passwords
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


def issue_token(session: Session, user: User, name: str = "") -> str:
    """A new random token for `user`; only its digest is stored."""
    token = secrets.token_urlsafe(32)
    session.execute(delete(ApiToken).where(ApiToken.created < _expiry_cutoff()))
    session.add(ApiToken(user_id=user.id, token_hash=token_digest(token), name=name[:100]))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or row.created < _expiry_cutoff():
        return None
    return session.get(User, row.user_id)


def _expiry_cutoff() -> dt.datetime:
    return now() - dt.timedelta(days=TOKEN_DAYS)


def revoke_token(session: Session, token: str) -> None:
    if not token or len(token) > 200:
        return
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is not None:
        session.delete(row)


_DUMMY_HASH = _hasher.hash("not a real password")  # at import: no slot needed
