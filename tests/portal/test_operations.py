"""What operators see: /metrics (who may read it, what it counts), /readyz, and JSON log lines with the request id."""

from __future__ import annotations

import copy
import json
import logging.config
import re

import pytest
from django.core.mail import send_mail
from django.db import connection

from common.storage import s3_client_config
from events.services import entry_check_in
from outbox.models import Message
from tests.factories import EntryFactory
from tests.load.harness import free_port

LOOPBACK = {"REMOTE_ADDR": "127.0.0.1"}


def metric(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name}{labels} not in the metrics"
    return float(match.group(1))


@pytest.mark.django_db
def test_metrics_count_requests_per_view_the_mail_queue_and_the_gates_scans(client):
    send_mail("Queued", "Waiting for the worker.", None, ["someone@example.org"])
    Message.objects.create(message_id="<failed@example.org>", subject="x", text="x", status=Message.Status.FAILED)
    entry_check_in(entry=EntryFactory(), by=None)
    client.get("/healthz")
    client.get("/healthz")

    response = client.get("/metrics", **LOOPBACK)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    by_view = 'django_http_requests_total_by_view_transport_method_total{method="GET",transport="http",view="healthz"}'
    assert metric(text, by_view) >= 2
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text
    assert metric(text, "onem_database_up") == 1
    assert metric(text, "onem_database_connections", '{state="active"}') >= 1
    assert metric(text, "onem_mail_queued") == 1
    assert 0 <= metric(text, "onem_mail_oldest_queued_age_seconds") < 60
    assert metric(text, "onem_mail_failed") == 1
    assert metric(text, "onem_gate_scans", '{outcome="checked_in",source="online"}') == 1
    assert metric(text, "onem_gate_scans", '{outcome="checked_in",source="offline"}') == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({"REMOTE_ADDR": "203.0.113.5"}, 404),
        # Through a proxy on loopback: the client's address counts too, whatever it put in front of it.
        ({**LOOPBACK, "HTTP_X_FORWARDED_FOR": "203.0.113.5"}, 404),
        ({**LOOPBACK, "HTTP_X_FORWARDED_FOR": "127.0.0.1, 203.0.113.5"}, 404),
        ({**LOOPBACK, "HTTP_X_FORWARDED_FOR": "127.0.0.1"}, 200),
        ({"REMOTE_ADDR": "203.0.113.5", "HTTP_AUTHORIZATION": "Bearer s3cr3t-token"}, 200),
        ({"REMOTE_ADDR": "203.0.113.5", "HTTP_AUTHORIZATION": "Bearer wrong"}, 404),
        ({"REMOTE_ADDR": "10.1.2.3"}, 200),  # a configured network
    ],
)
def test_metrics_answer_configured_addresses_or_the_token_and_404_anyone_else(client, settings, extra, status):
    settings.METRICS_TOKEN = "s3cr3t-token"
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "::1", "10.0.0.0/8"]

    assert client.get("/metrics", **extra).status_code == status


@pytest.mark.django_db
def test_without_a_token_configured_no_bearer_opens_the_metrics(client, settings):
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.django_db
def test_readyz_says_the_database_and_the_storages_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    assert body["database"] == "ok"
    assert body["storage:default"] == "ok"
    assert not any(name.startswith("storage:staticfiles") for name in body)


@pytest.mark.django_db
def test_readyz_is_503_when_the_object_storage_does_not_answer(client, settings):
    closed = free_port()  # nothing listens there
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "endpoint_url": f"http://127.0.0.1:{closed}",
                "bucket_name": "media",
                "access_key": "key",
                "secret_key": "secret",
                "region_name": "us-east-1",
                "client_config": s3_client_config(connect_timeout=1, retries={"max_attempts": 1}),
            },
        },
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert (body["ready"], body["database"], body["storage:default"]) == (False, "ok", "unavailable")
    assert body["storage:private"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_when_the_database_does_not_answer_and_ready_again_after(client):
    real = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())  # nothing listens there
    try:
        down = client.get("/readyz")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real

    assert down.status_code == 503
    assert down.json()["database"] == "unavailable"
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_the_request_id_is_the_proxys_or_a_new_one_and_is_echoed(client):
    given = client.get("/healthz", HTTP_X_REQUEST_ID="4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e")
    made = client.get("/healthz")

    assert given["X-Request-ID"] == "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
    assert re.fullmatch(r"[0-9a-f]{32}", made["X-Request-ID"])
    assert made["X-Request-ID"] != given["X-Request-ID"]


@pytest.mark.django_db
def test_log_format_json_writes_one_object_per_line_with_the_request_id(client, settings, capsys):
    # The project's logging configuration as LOG_FORMAT=json LOG_REQUESTS=1 makes it (config/settings.py).
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["formatter"] = "json"
    config["loggers"]["log_request_id.middleware"]["level"] = "INFO"
    settings.LOG_REQUESTS = True
    logging.config.dictConfig(config)
    try:
        client.get("/healthz", HTTP_X_REQUEST_ID="abc123")
        logging.getLogger("register").warning("a warning outside any request")
    finally:
        logging.config.dictConfig(settings.LOGGING)

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    request_line, outside = lines
    assert request_line["message"] == "method=GET path=/healthz status=200"
    assert request_line["request_id"] == "abc123"
    assert request_line["level"] == "INFO"
    assert request_line["logger"] == "log_request_id.middleware"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", request_line["time"])
    assert outside["request_id"] == "none"
    assert outside["message"] == "a warning outside any request"


@pytest.mark.django_db(transaction=True)
def test_metrics_say_the_database_is_down_instead_of_failing(client):
    real = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())  # nothing listens there
    try:
        response = client.get("/metrics", **LOOPBACK)
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real

    assert response.status_code == 200
    text = response.content.decode()
    assert metric(text, "onem_database_up") == 0
    assert "onem_mail_queued" not in text
