"""The players' web app: HTML pages and their static files, served by the API's own Litestar app.

The pages are shells rendered from Jinja templates; their scripts read and write through the JSON API of
the same origin (Bearer tokens kept in the tab's sessionStorage), so the API stays the one source and
nothing here scores or reads the store. See README.md, "The web app".
"""
