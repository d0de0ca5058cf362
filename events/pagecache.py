"""Whole pages cached under the roster generation (events.models.RosterGeneration).

The published roster and the home page are the same for every visitor of a kind (public, member, staff:
only the menu differs), and everything they show bumps the generation when it changes. So each is
rendered once per process and generation, kept under one cache key per page, language and kind (memory
stays bounded however often data changes), and answered with an ETag so a browser revalidating its copy
gets a 304. A logged-in visitor's menu has one form (log out): the page is stored with a placeholder
for its CSRF token and each response gets the visitor's own. Nothing else of the request may show in a stored
page: the footer's link to the language page leads back to ``path``, the address the cache key stands for,
not to the first visitor's own query string.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.middleware.gzip import re_accepts_gzip
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import quote_etag
from django.utils.text import compress_string
from django.utils.translation import get_language

# Real tokens are 64 letters and digits, so this can never be one.
CSRF_PLACEHOLDER = "csrf-token-of-this-request"
_CSRF_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()
PAGE_SECONDS = 3600
_RENDER_LOCK = threading.Lock()


def cached_page_response(
    request, *, name: str, version: int | str, template: str, context: Callable[[], dict], path: str
) -> HttpResponse:
    """The page ``name`` (one cache entry per name, language and kind of visitor) rendered from
    ``template`` with ``context()``, rebuilt when ``version`` (the generation, and whatever else the page
    depends on) changes. ``path`` is the page's address with only the query ``name`` stands for."""
    user = request.user
    kind = "staff" if user.is_staff else "member" if user.is_authenticated else "public"
    language = get_language()
    etag = quote_etag(f"{name}-{version}-{language}-{kind}")
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    if len(messages.get_messages(request)):
        # A message waiting for this visitor belongs on this page, and only for them.
        response = render(request, template, context())
    else:
        key = f"page:{name}:{language}:{kind}"
        cached = _cached(key, version)
        if cached is None:
            # Visitors arriving together after a change would each build the page (seconds for
            # thousands of entries); one builds it while the others of this process wait for it.
            with _RENDER_LOCK:
                cached = _cached(key, version)
                if cached is None:
                    page = render_to_string(
                        template, {**context(), "csrf_token": CSRF_PLACEHOLDER, "page_path": path}, request
                    ).encode()
                    # A page without a token is the same bytes for everyone: compressed once here rather
                    # than by gzip_page on every response (about 1 ms of CPU per 100 KB of HTML).
                    packed = None if _CSRF_PLACEHOLDER_BYTES in page else compress_string(page)
                    cached = (page, packed)
                    cache.set(key, (version, *cached), PAGE_SECONDS)
        page, packed = cached
        if packed is not None and re_accepts_gzip.search(request.headers.get("Accept-Encoding", "")):
            response = HttpResponse(packed)
            response["Content-Encoding"] = "gzip"
            response["Content-Length"] = str(len(packed))
            patch_vary_headers(response, ("Accept-Encoding",))
            etag = f"W/{etag}"  # as gzip_page marks a compressed representation
        else:
            if _CSRF_PLACEHOLDER_BYTES in page:  # a form for a logged-in visitor (log out)
                page = page.replace(_CSRF_PLACEHOLDER_BYTES, get_token(request).encode())
            response = HttpResponse(page)
    response["ETag"] = etag
    patch_cache_control(response, no_cache=True, private=True)
    return response


def _cached(key: str, version: int | str) -> tuple[bytes, bytes | None] | None:
    """The page and its gzipped bytes (None when the page carries a CSRF placeholder) for ``version``."""
    cached = cache.get(key)
    return (cached[1], cached[2]) if cached is not None and cached[0] == version else None
