"""Dashboard pages: server-rendered HTML and a small vanilla script (no build step, no CDN).

Sign-in sets the same API token the API hands out, in an HttpOnly SameSite=Strict cookie; the
script (static/app.js) calls the JSON API with that cookie and the X-Rareflow header. plotly.js
is served from the installed plotly package, so the dashboard works without internet access.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from rareflow.data.schema import STAGES
from rareflow.web import auth
from rareflow.web.db import User
from rareflow.web.deps import SessionDep, sign_in
from rareflow.web.guard import check_origin
from rareflow.web.scenarios import safe_id

STATIC = Path(__file__).parent / "static"


def plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _page(title: str, body: str, user: User | None = None, scripts: tuple[str, ...] = ()) -> str:
    who = (
        f'<span class="who">{html.escape(user.username)}</span>'
        '<form method="post" action="/logout" class="inline">'
        '<button type="submit" id="sign-out">Sign out</button></form>'
        if user is not None
        else ""
    )
    tags = "".join(f'<script src="{s}"></script>' for s in scripts)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · rareflow</title>
<link rel="stylesheet" href="/static/style.css">{tags}</head>
<body><header><a href="/" class="brand">rareflow</a><nav>{who}</nav></header>
<main>{body}</main></body></html>"""


def _signed_in(request: Request, session: SessionDep) -> User | None:
    token = request.cookies.get(auth.COOKIE, "")
    return auth.user_for_token(session, token) if token else None


def _with_cookie(response: Response, token: str, request: Request) -> Response:
    response.set_cookie(
        auth.COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=30 * 24 * 3600,
    )
    return response


def _login_page(message: str = "", signup_error: str = "", signup_username: str = "") -> str:
    """The sign-in page; a refused sign-up shows its message under the sign-up form and keeps
    the username typed there (never the password)."""
    note = f'<p class="error" id="login-error">{html.escape(message)}</p>' if message else ""
    signup_note = (
        f'<p class="error" id="signup-error">{html.escape(signup_error)}</p>'
        if signup_error
        else ""
    )
    typed = html.escape(signup_username, quote=True)
    return _page(
        "Sign in",
        f"""<section class="narrow"><h1>Sign in</h1>{note}
<form method="post" action="/login" id="login-form">
<label>Username <input name="username" id="username" autocomplete="username" required></label>
<label>Password <input name="password" id="password" type="password"
 autocomplete="current-password" required></label>
<button type="submit" id="sign-in">Sign in</button></form>
<h2>New here?</h2>
<form method="post" action="/signup" id="signup-form">
<label>Username <input name="username" id="signup-username" autocomplete="username"
 value="{typed}" required></label>
<label>Password (8 characters or more) <input name="password" type="password"
 autocomplete="new-password" required></label>
<button type="submit" id="sign-up">Create account</button></form>{signup_note}</section>""",
    )


# Outage, demand and tariff levers (issue 18): the stage names are the schema's own list.
_STAGE_NAMES = ",".join(STAGES)
_OTHER_LEVERS = f"""<fieldset><legend>Outage (a facility, or a region's whole stage)</legend>
<label>Facility <select id="f-out-facility"></select></label>
<label>or region <select id="f-out-region"></select></label>
<label>and stage ({html.escape(", ".join(STAGES))}) <select id="f-out-stage"
 data-values="{_STAGE_NAMES}"></select></label>
<label>Share of capacity lost (0 to 1; 1 shuts it, 0.3 leaves 70%) <input id="f-out-share"
 type="number" min="0" max="1" step="0.05"></label>
<label>From <input id="f-out-start" placeholder="2025-06"></label>
<label>Until <input id="f-out-end" placeholder="(empty: open)"></label></fieldset>
<fieldset><legend>Demand change</legend>
<label>Region <select id="f-dem-region"></select></label>
<label>Sector <select id="f-dem-sector"></select></label>
<label>Change (share: -0.3 is 30% less, 0.2 is 20% more) <input id="f-dem-change"
 type="number" min="-1" step="0.05"></label>
<label>From <input id="f-dem-start" placeholder="2026-01"></label></fieldset>
<fieldset><legend>Import tariff</legend>
<label>Importer <select id="f-tar-importer"></select></label>
<label>Origins (comma separated; empty: every origin) <input id="f-tar-origins"
 placeholder="CHN"></label>
<label>Materials (comma separated) <input id="f-tar-materials" placeholder="magnet:*"></label>
<label>Rate (0 or more: 0.25 is 25%, 1.45 is 145%) <input id="f-tar-rate" type="number" min="0"
 step="0.05"></label>
<label>From <input id="f-tar-start" placeholder="2025-04"></label></fieldset>"""


router = APIRouter()


def add_pages(app: FastAPI) -> None:
    """The dashboard: static files and the HTML pages."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(router, include_in_schema=False)


@router.get("/static-vendor/plotly.min.js", include_in_schema=False)
def plotly_bundle() -> FileResponse:
    return FileResponse(plotly_js(), media_type="text/javascript")


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    return Response(status_code=204)  # no icon; answers so browsers do not log a 404


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page() -> HTMLResponse:
    return HTMLResponse(_login_page())


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=auth.MAX_PASSWORD)],
) -> Response:
    check_origin(request)  # login CSRF: a cross-site form must not sign anyone in
    user = sign_in(request, session, username, password)
    if user is None:
        return HTMLResponse(_login_page("Wrong username or password."), status_code=401)
    token = auth.issue_token(session, user, "dashboard")
    return _with_cookie(RedirectResponse("/", status_code=303), token, request)


@router.post("/signup", include_in_schema=False)
def signup(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=auth.MAX_PASSWORD)],
) -> Response:
    check_origin(request)
    try:
        request.app.state.guard.check_signup(request)
        user = auth.create_user(session, username, password)
    except auth.AuthError as exc:
        page = _login_page(signup_error=str(exc), signup_username=username)
        return HTMLResponse(page, status_code=422)
    except HTTPException as exc:  # throttled or busy: said under the form, not as bare JSON
        page = _login_page(signup_error=str(exc.detail), signup_username=username)
        return HTMLResponse(page, status_code=exc.status_code, headers=exc.headers)
    token = auth.issue_token(session, user, "dashboard")
    return _with_cookie(RedirectResponse("/", status_code=303), token, request)


@router.post("/logout", include_in_schema=False)
def logout(request: Request, session: SessionDep) -> Response:
    check_origin(request)
    token = request.cookies.get(auth.COOKIE, "")
    if token:
        auth.revoke_token(session, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.COOKIE)
    return response


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, session: SessionDep) -> Response:
    user = _signed_in(request, session)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    body = """<h1>Scenarios</h1>
<p><a class="button" href="/scenarios/new" id="new-scenario">Write a new scenario</a></p>
<table class="list" id="scenario-list"><thead><tr><th>Scenario</th><th>Description</th>
<th>Owner</th></tr></thead><tbody></tbody></table>
<h1>Runs</h1>
<table class="list" id="run-list"><thead><tr><th>Run</th><th>Scenario</th><th>Status</th>
<th>Submitted</th></tr></thead><tbody></tbody></table>
<script>rareflow.home();</script>"""
    return HTMLResponse(_page("Scenarios", body, user, ("/static/app.js",)))


@router.get("/scenarios/{scenario_id}", response_class=HTMLResponse, include_in_schema=False)
def scenario_page(scenario_id: str, request: Request, session: SessionDep) -> Response:
    user = _signed_in(request, session)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if scenario_id != "new" and not safe_id(scenario_id):
        return HTMLResponse(_page("Not found", "<h1>No such scenario</h1>", user), 404)
    sid = html.escape(scenario_id)
    body = f"""<h1 id="scenario-title">Scenario</h1>
<p id="scenario-note" class="note"></p>
<div class="editor-grid" data-scenario="{sid}" id="editor">
<section class="levers"><h2>Common levers</h2>
<p class="note">Changing a lever rewrites the YAML on the right.</p>
<fieldset><legend>Name</legend>
<label>Name <input id="f-name" pattern="[a-z0-9][a-z0-9._-]*"></label>
<label>Based on <select id="f-base"></select></label></fieldset>
<fieldset><legend>Export restriction (who restricts what)</legend>
<label>Exporter <select id="f-exporter"></select></label>
<label>Materials (comma separated) <input id="f-materials"
 placeholder="oxide:Dy, oxide:Tb"></label>
<label>Approval share (0 to 1) <input id="f-approval" type="number" min="0" max="1"
 step="0.05"></label>
<label>Licence delay <input id="f-delay" placeholder="45 days"></label>
<label>From <input id="f-ex-start" placeholder="2025-04"></label>
<label>Until (duration) <input id="f-ex-end" placeholder="2026-04 (empty: open)"></label>
</fieldset>
<fieldset><legend>Agreement pause</legend>
<label>Agreement <select id="f-agreement"></select></label>
<label>From <input id="f-ag-start" placeholder="2025-06"></label>
<label>Until <input id="f-ag-end" placeholder="(empty: open)"></label>
<label>Share paused (0 to 1) <input id="f-ag-share" type="number" min="0" max="1"
 step="0.05"></label></fieldset>
<fieldset><legend>Capacity path</legend>
<label>Facility <select id="f-facility"></select></label>
<label>Material <input id="f-cap-material" placeholder="oxide:Nd"></label>
<label>Path (one "YYYY-MM: amount" a line) <textarea id="f-path" rows="3"
 placeholder="2026-03: 450 t/yr"></textarea></label></fieldset>
{_OTHER_LEVERS}
</section>
<section class="yaml"><h2>YAML</h2>
<div class="code"><pre id="gutter" aria-hidden="true"></pre>
<textarea id="yaml" spellcheck="false" rows="28"></textarea></div>
<p id="validation" class="validation" role="status"></p>
<div class="actions">
<button id="save" type="button">Save</button>
<button id="delete" type="button" class="danger">Delete</button></div>
<fieldset><legend>Run</legend>
<p class="note">Leave the horizon empty to use the scenario's own.</p>
<label>Start <input id="h-start" placeholder="2025-01"></label>
<label>End <input id="h-end" placeholder="2030-12"></label>
<label>Step <select id="h-step"><option value="">(scenario's)</option>
<option>month</option><option>quarter</option><option>year</option></select></label>
<label class="check"><input id="with-baseline" type="checkbox" checked>
 compare with the baseline</label>
<button id="run" type="button" class="primary">Run</button></fieldset>
</section></div>
<script>rareflow.editor();</script>"""
    return HTMLResponse(_page("Scenario", body, user, ("/static/app.js",)))


@router.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
def run_page(run_id: str, request: Request, session: SessionDep) -> Response:
    user = _signed_in(request, session)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if not safe_id(run_id):
        return HTMLResponse(_page("Not found", "<h1>No such run</h1>", user), 404)
    rid = html.escape(run_id)
    body = f"""<h1 id="run-title">Run</h1>
<div id="run" data-run="{rid}">
<p>Status: <strong id="run-status">…</strong> <span id="run-label"></span></p>
<progress id="run-progress" max="1" value="0"></progress>
<p id="run-error" class="error"></p>
<button id="cancel" type="button" class="danger">Cancel</button>
<section id="results" hidden>
<h2>Compared with the baseline</h2>
<div id="chart-unserved" class="chart"></div>
<div id="chart-sectors" class="chart"></div>
<p><label>Price of <select id="price-material"></select></label>
<label>in <select id="price-region"></select></label></p>
<div id="chart-price" class="chart"></div>
<h2>Downloads</h2>
<ul class="downloads" id="downloads"></ul>
</section></div>
<script>rareflow.run();</script>"""
    scripts = ("/static-vendor/plotly.min.js", "/static/app.js")
    return HTMLResponse(_page("Run", body, user, scripts))
