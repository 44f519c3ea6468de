"""The interactive OpenAPI UI at /schema, with its scripts, styles and icon served by the API itself.

Litestar's render plugins load Swagger UI and Scalar from a CDN by default, so on a machine without
internet /schema rendered blank. The files come from a pinned Python package (swagger-ui-py, which ships
the Swagger UI 5 distribution: it renders OpenAPI 3.1), served under /schema/assets.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

ASSETS_PATH = "/schema/assets"
ASSET_CACHE_S = 86_400  # the files change only with the package's pin
_ASSETS = ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css", "favicon-32x32.png")


def swagger_ui_dir() -> Path:
    """The Swagger UI distribution inside the installed swagger-ui-py package."""
    folder = Path(str(files("swagger_ui") / "static"))
    missing = [name for name in _ASSETS if not (folder / name).is_file()]
    if missing:
        raise RuntimeError(f"swagger-ui-py is installed without {', '.join(missing)} in {folder}")
    return folder


def docs_ui_plugin() -> SwaggerRenderPlugin:
    """Swagger UI at /schema (and /schema/swagger), loading nothing from outside the API."""
    return SwaggerRenderPlugin(
        path=["/", "/swagger"],
        js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        css_url=f"{ASSETS_PATH}/swagger-ui.css",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
    )


def docs_assets_router() -> Router:
    """The UI's files, public (under /schema, like the UI) and cacheable; not part of the schema."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[swagger_ui_dir()],
        include_in_schema=False,
        cache_control=CacheControlHeader(public=True, max_age=ASSET_CACHE_S),
        opt={"exclude_from_auth": True},
        name="docs-assets",
    )
