"""The installable web app: its manifest and its service worker (templates/offline/sw.js), both served from the
site's root so the worker's scope is the whole site.

The worker precaches the static files the pages use by their hashed names (``static()``), and its version is a
hash of those files' contents: a deploy that changes any of them installs a new worker, which drops the old
static cache. Pages are kept for offline reading only when their view says so (``common.offline.offline_page``).
How the worker treats each request: the module docstring of templates/offline/sw.js.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache, wraps
from pathlib import Path

from allauth.account.views import LogoutView
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from common.offline import OFFLINE_HEADER

# The files the reading pages and the gate load (css, js, vendor, icons). Not: the admin's own files, the
# photo upload (online only), source maps and licences.
_PRECACHE_SUFFIXES = (".css", ".js", ".svg", ".png")
_PRECACHE_SKIP = ("css/admin", "js/admin-", "js/upload.js")

# Never handled by the worker, whatever their headers: the admin, the login and logout pages, the probe by
# which a saved page learns that the server is back (it must reach the server), and /favicon.ico (asked for
# by the admin's pages only: the site's own pages name their icon; with no signal the browser's own request
# fails as it would without a worker).
NEVER_PATHS = ("/admin/", "/accounts/", "/healthz", "/favicon.ico")

THEME_COLOUR = "#212529"  # the navigation bar (Bootstrap's bg-dark)
BACKGROUND_COLOUR = "#ffffff"


def _static_sources() -> list[tuple[str, Path]]:
    """(name, file) of every file of STATICFILES_DIRS the worker precaches, sorted by name."""
    found = []
    for root in map(Path, settings.STATICFILES_DIRS):
        for path in root.rglob("*"):
            name = path.relative_to(root).as_posix()
            if path.is_file() and name.endswith(_PRECACHE_SUFFIXES) and not name.startswith(_PRECACHE_SKIP):
                found.append((name, path))
    return sorted(found)


@cache
def precache() -> tuple[list[str], str]:
    """The URLs to precache and the worker's version (a hash of the files' names and contents). Computed once
    per process: static files change only with a deploy, which starts new processes."""
    digest = hashlib.sha256()
    urls = []
    for name, path in _static_sources():
        urls.append(static(name))
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return urls, digest.hexdigest()[:16]


def _worker_config() -> dict:
    urls, version = precache()
    return {
        "version": version,
        "precache": urls,
        "staticPrefix": settings.STATIC_URL,
        # Public car photos: a saved page's photos are saved with it (config/urls.py serves them).
        "mediaPrefix": settings.MEDIA_URL,
        "never": list(NEVER_PATHS),
        # Pages of one person, in a cache of their own (cleared at logout with the rest).
        "personal": [reverse("events:my_entries")],
        "header": OFFLINE_HEADER,
        "timeoutMs": 3000,
    }


@require_safe
def service_worker(request):
    """/sw.js: at the root, so its scope is the whole site. Never cached by the browser's HTTP cache, so a
    deploy reaches phones on their next visit."""
    body = render_to_string("offline/sw.js", {"config": mark_safe(json.dumps(_worker_config()))})
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def manifest(request):
    """/manifest.webmanifest, in the visitor's language (https://www.w3.org/TR/appmanifest/)."""
    data = {
        "name": _("1M Register"),
        # Under the icon on a home screen: at most 12 characters.
        "short_name": pgettext("the app's name under its icon, at most 12 characters", "1M Register"),
        "description": _("The 1M Register — an owners’ register for the BMW 1 Series M Coupé."),
        "lang": get_language(),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("img/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "no-cache"
    return response


def _clears_site_data(view):
    """Logging out (a POST) also tells the browser to drop what this site stored: the saved pages, the gate's
    downloaded list, the worker (https://www.w3.org/TR/clear-site-data/). static/js/offline.js clears the same
    before posting, for browsers that ignore the header."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.method == "POST":
            response["Clear-Site-Data"] = '"cache", "storage"'
        return response

    return wrapped


logout = _clears_site_data(LogoutView.as_view())
