"""Whole pages cached under the roster generation (events.models.RosterGeneration).

The published roster and the home page are the same for every visitor of a kind (public, member, staff:
only the menu differs), and everything they show bumps the generation when it changes. So each is
rendered once per process and generation, kept under one cache key per page, language and kind (memory
stays bounded however often data changes), and answered with an ETag so a browser revalidating its copy
gets a 304. A logged-in visitor's menu has one form (log out): the page is stored with a placeholder
for its CSRF token and each response gets the visitor's own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import quote_etag
from django.utils.translation import get_language

# Real tokens are 64 letters and digits, so this can never be one.
CSRF_PLACEHOLDER = "csrf-token-of-this-request"
_CSRF_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()
PAGE_SECONDS = 3600
_RENDER_LOCK = threading.Lock()


def cached_page_response(
    request, *, name: str, version: int | str, template: str, context: Callable[[], dict]
) -> HttpResponse:
    """The page ``name`` (one cache entry per name, language and kind of visitor) rendered from
    ``template`` with ``context()``, rebuilt when ``version`` (the generation, and whatever else the page
    depends on) changes."""
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
        page = _cached(key, version)
        if page is None:
            # Visitors arriving together after a change would each build the page (seconds for
            # thousands of entries); one builds it while the others of this process wait for it.
            with _RENDER_LOCK:
                page = _cached(key, version)
                if page is None:
                    page = render_to_string(template, {**context(), "csrf_token": CSRF_PLACEHOLDER}, request).encode()
                    cache.set(key, (version, page), PAGE_SECONDS)
        if _CSRF_PLACEHOLDER_BYTES in page:  # a form for a logged-in visitor (log out)
            page = page.replace(_CSRF_PLACEHOLDER_BYTES, get_token(request).encode())
        response = HttpResponse(page)
    response["ETag"] = etag
    patch_cache_control(response, no_cache=True, private=True)
    return response


def _cached(key: str, version: int | str) -> bytes | None:
    cached = cache.get(key)
    return cached[1] if cached is not None and cached[0] == version else None
