"""What operators watch: ``/metrics`` for Prometheus and ``/readyz`` for the proxy or the orchestrator.

``/healthz`` (register/views.py) says the process is alive; ``/readyz`` says whether this node can serve: the
database and every configured file storage answer (503 when one does not).

``/metrics`` has two kinds of figures:

- Per process, counted by django-prometheus's middleware: requests and their latency per view, responses per
  status, exceptions. Under gunicorn with several workers, ``PROMETHEUS_MULTIPROC_DIR`` (one empty directory
  per node, set before the node starts: ``make cluster`` does) makes prometheus_client add up the workers of
  the node. Prometheus scrapes each node at its own address, never through the load-balancing proxy (which
  would hand each scrape to another node: the proxy answers 404 there).
- Of the whole site, read from PostgreSQL at each scrape (``SiteCollector``): the database's connections by
  state, the mail queue (waiting, failed, the oldest waiting message's age) and the gate's scans by outcome and
  by source (a phone's offline queue or the online check-in). Every node reports the same values: aggregate
  them with ``max``, not ``sum``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, Min
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from common.storage import storages_answer
from events.models import GateScan
from outbox.models import Message

logger = logging.getLogger(__name__)


class SiteCollector:
    """Figures of the whole site, read from the database when Prometheus scrapes."""

    def collect(self):
        try:
            figures = list(self._figures())
        except DatabaseError:
            logger.exception("metrics: the database did not answer")
            connection.close()
            figures = []
        answered = int(bool(figures))
        yield GaugeMetricFamily("onem_database_up", "1 when the database answered this scrape.", value=answered)
        yield from figures

    def _figures(self):
        connections = GaugeMetricFamily(
            "onem_database_connections", "Connections to the site's database, by state.", labels=["state"]
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(state, 'unknown'), count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() GROUP BY 1 ORDER BY 1"
            )
            for state, count in cursor.fetchall():
                connections.add_metric([state], count)
        yield connections

        queue = Message.objects.queued().aggregate(count=Count("pk"), oldest=Min("created"))
        yield GaugeMetricFamily("onem_mail_queued", "Emails waiting to be sent.", value=queue["count"])
        age = (timezone.now() - queue["oldest"]).total_seconds() if queue["oldest"] else 0
        yield GaugeMetricFamily(
            "onem_mail_oldest_queued_age_seconds", "Age of the oldest email waiting to be sent (0: none).", value=age
        )
        failed = Message.objects.failed().count()
        yield GaugeMetricFamily("onem_mail_failed", "Emails given up on (refused, or retried too long).", value=failed)

        scans = GaugeMetricFamily(
            "onem_gate_scans", "Scans recorded at the gates, by outcome and source.", labels=["outcome", "source"]
        )
        counted = GateScan.objects.values_list("outcome", "online").annotate(count=Count("pk")).order_by()
        found = {(outcome, online): count for outcome, online, count in counted}
        for outcome in GateScan.Outcome.values:
            for online, source in ((False, "offline"), (True, "online")):
                scans.add_metric([outcome, source], found.get((outcome, online), 0))
        yield scans


def _allowed_networks() -> list:
    return [ipaddress.ip_network(entry, strict=False) for entry in settings.METRICS_ALLOWED_IPS]


def _addresses_that_count(request) -> list[str]:
    """The peer's address and, when the request came through proxies (X-Forwarded-For), the client's as the last
    TRUSTED_PROXY_COUNT proxies (at least one) saw it: each must be allowed."""
    addresses = [request.META.get("REMOTE_ADDR", "")]
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        addresses += hops[-max(settings.TRUSTED_PROXY_COUNT, 1) :]
    return addresses


def _may_read_metrics(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer ") and constant_time_compare(header.removeprefix("Bearer "), token):
        return True
    networks = _allowed_networks()
    for address in _addresses_that_count(request):
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if not any(ip in network for network in networks):
            return False
    return True


def metrics(request):
    """Prometheus' text format; a 404 for anyone not allowed (nothing says the page exists)."""
    if not _may_read_metrics(request):
        raise Http404
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # the node's workers, added up
    else:
        registry.register(_ProcessMetrics())
    registry.register(SiteCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class _ProcessMetrics:
    """The default registry's metrics (this process's own), beside the site's in one registry."""

    def collect(self):
        yield from REGISTRY.collect()


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.exception("readiness check: the database did not answer")
        # A broken connection is closed, so the next request opens a new one.
        with contextlib.suppress(DatabaseError):
            connection.close()
        return False
    return True


def readyz(request):
    """200 when the database and every file storage answer, else 503; says which did not."""
    checks = {"database": _database_answers()}
    for alias, problem in storages_answer().items():
        checks[f"storage:{alias}"] = problem is None
        if problem:
            logger.error("readiness check: storage %s: %s", alias, problem)
    ready = all(checks.values())
    body = {"ready": ready, **{name: "ok" if ok else "unavailable" for name, ok in checks.items()}}
    return JsonResponse(body, status=200 if ready else 503)
