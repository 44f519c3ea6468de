"""The web app's routes: one HTML shell per page, its static files, and a strict Content-Security-Policy.

Every page is public HTML (no data in it): its script asks the API for the player's data with the
player's token, so a page never needs a server-side session and the API is the one thing that reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.exceptions import NotFoundException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from api.lib.problems import http_problem

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
STATIC_PATH = "/static"

# Only this origin: no inline script, no CDN, no framing. Styles set from scripts go through the CSSOM.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=CSP),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
]


@dataclass(frozen=True, slots=True)
class Page:
    template: str
    title: str
    script: str  # the module under static/js/ that fills the page


PAGES: dict[str, Page] = {
    "/": Page("home.html", "Your weekend", "home"),
    "/signup": Page("signup.html", "Sign up", "signup"),
    "/login": Page("login.html", "Log in", "login"),
    "/account": Page("account.html", "Your account", "account"),
    "/team": Page("team.html", "Team builder", "team"),
    "/leagues": Page("leagues.html", "Leagues", "leagues"),
    "/league": Page("league.html", "League standings", "league"),
    "/live": Page("live.html", "Live race", "live"),
    "/results": Page("results.html", "Results and history", "results"),
    "/inbox": Page("inbox.html", "Inbox", "inbox"),
}


@get(list(PAGES), include_in_schema=False, sync_to_thread=False, name="web-page")
def page(request: Request[Any, Any, Any]) -> Template:
    """The page's shell; its script does the rest through the API."""
    path = request.url.path.rstrip("/") or "/"
    chosen = PAGES[path]
    return Template(
        template_name=chosen.template,
        context={"title": chosen.title, "script": chosen.script, "path": path, "static": STATIC_PATH},
    )


# Where a miss is the API's (or its docs', metrics', files'): its clients get the Problem body as before.
NOT_PAGES = ("/api/", "/schema", STATIC_PATH, "/metrics", "/health")


def not_found(request: Request[Any, Any, Any], exc: NotFoundException) -> Response[Any]:
    """A browser on a mistyped page gets a page that says so, with the way back, not the API's JSON; every
    other miss (an API route, a client asking for JSON) keeps its Problem body."""
    path = request.url.path
    wants_page = "text/html" in request.headers.get("accept", "")
    if not wants_page or path.startswith(NOT_PAGES):
        return http_problem(request, exc)
    return Template(
        template_name="not_found.html",
        context={"title": "No such page", "script": "layout", "path": path, "static": STATIC_PATH},
        status_code=404,
        headers={header.name: str(header.value) for header in SECURITY_HEADERS},
    )


def web_router() -> Router:
    """The pages at their paths, public (the API's routes keep their own auth), with security headers."""
    return Router(
        path="/",
        route_handlers=[page],
        response_headers=SECURITY_HEADERS,
        opt={"exclude_from_auth": True},
        include_in_schema=False,
    )


def static_router() -> Router:
    """The app's own scripts, styles and icon; revalidated on each load (ETag), so a deploy shows at once."""
    return create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC],
        include_in_schema=False,
        cache_control=CacheControlHeader(no_cache=True),
        opt={"exclude_from_auth": True},
        name="web-static",
    )


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine)
