"""The project's URLs, collected from the URL configuration (not from a hand-written list)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or "<route>" for an unnamed pattern
    route: str  # the full pattern, for messages
    namespace: str


def walk(resolver=None, namespaces=(), prefix="") -> list[Route]:
    resolver = resolver or get_resolver()
    routes = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            routes += walk(pattern, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            full = prefix + str(pattern.pattern)
            key = ":".join((*namespaces, pattern.name)) if pattern.name else f"<{full}>"
            routes.append(Route(key=key, route=full, namespace=":".join(namespaces)))
    return routes


def is_admin(route: Route) -> bool:
    return route.namespace == "admin"


def is_allauth(route: Route) -> bool:
    return route.route.startswith("accounts/")


def is_i18n(route: Route) -> bool:
    return route.route.startswith("i18n/")


def project_routes() -> list[Route]:
    """Everything that is not admin, allauth or Django's i18n view: the project's own URLs."""
    return [r for r in walk() if not (is_admin(r) or is_allauth(r) or is_i18n(r))]


def admin_routes() -> list[Route]:
    return [r for r in walk() if is_admin(r)]


def allauth_routes() -> list[Route]:
    return [r for r in walk() if is_allauth(r) or is_i18n(r)]
