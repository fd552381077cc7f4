"""Answers that are safe whatever the client sent: no echo of secrets, no recursion, no 500.

- Validation errors (422) list where and what was expected, never the rejected input: the input
  may be a password, and its text may not even be encodable (a lone surrogate from JSON).
- A lone surrogate reaching the database or a response is a 422 naming it, not a 500.
- User data is converted with a depth bound, so 900 levels of JSON cannot exhaust the stack.
- Every response carries security headers (CSP, nosniff, frame-ancestors, Referrer-Policy).
"""

from __future__ import annotations

import base64
import hashlib
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_DATA_DEPTH = 64  # nesting of user data the service converts; a scenario uses about 5

# the one-line starters of the dashboard pages (pages.py): allowed by hash, no other inline script
PAGE_STARTERS = ("rareflow.home();", "rareflow.editor();", "rareflow.run();")
_HASHES = " ".join(
    f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
    for s in PAGE_STARTERS
)
# 'unsafe-inline' styles: plotly sets element styles; scripts only from this origin (the
# dashboard's scripts and the vendored plotly.js are files under /static*) and the starters.
CSP = (
    f"default-src 'self'; script-src 'self' {_HASHES}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# the offline report carries plotly.js inline: served in a sandbox (an opaque origin that
# cannot read the dashboard's cookie or call the API), with nothing loaded from anywhere
REPORT_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; sandbox allow-scripts allow-downloads; "
    "frame-ancestors 'none'"
)
HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class TooDeepError(ValueError):
    """User data nested deeper than MAX_DATA_DEPTH."""


def clean_text(value: str) -> str:
    """`value` with any lone surrogate written as a backslash escape (e.g. \\ud800), so it can be
    encoded as UTF-8."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def json_safe(value: Any, depth: int = 0) -> Any:
    """Plain JSON: non-finite floats as null, keys as text, dates as ISO text; depth-bounded."""
    if depth > MAX_DATA_DEPTH:
        raise TooDeepError(f"expected data nested at most {MAX_DATA_DEPTH} levels deep")
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v, depth + 1) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _loc_part(part: Any) -> str | int:
    return part if isinstance(part, int) else clean_text(str(part))[:100]


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [
        {
            "loc": [_loc_part(p) for p in err.get("loc", ())],
            "msg": clean_text(str(err.get("msg", "invalid")))[:300],
            "type": str(err.get("type", "value_error")),
        }
        for err in errors[:20]
    ]
    return JSONResponse({"detail": detail}, status_code=422)


async def _unencodable(_request: Request, exc: Exception) -> JSONResponse:
    bad = ""
    if isinstance(exc, UnicodeEncodeError) and isinstance(exc.object, str):
        bad = f", got \\u{ord(exc.object[exc.start]):04x}"
    return JSONResponse({"detail": f"expected text without lone surrogates{bad}"}, status_code=422)


async def _too_deep(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=422)


class SecurityHeaders:
    """Adds HEADERS to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def install(app: FastAPI) -> None:
    """The handlers and the header middleware on `app`."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(UnicodeEncodeError, _unencodable)
    app.add_exception_handler(TooDeepError, _too_deep)
    app.add_middleware(SecurityHeaders)
