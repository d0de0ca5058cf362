"""Pages a phone may keep for reading without signal (the service worker, static/sw.js).

The service worker saves a page only when its response carries ``X-Offline: keep``: an opt-in per view, so
an admin page, a form or another person's page is never saved by accident. Saved copies hold no CSRF token
(the worker blanks them; static/js/offline.js fills a form's token from the cookie when it is posted).
"""

from __future__ import annotations

from functools import wraps

OFFLINE_HEADER = "X-Offline"


def offline_page(view):
    """Mark a reading page (GET, 200) as one the service worker may keep for offline reading."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.method == "GET" and response.status_code == 200:
            response[OFFLINE_HEADER] = "keep"
        return response

    return wrapped
