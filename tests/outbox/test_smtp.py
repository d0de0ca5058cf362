"""The outbox against a real SMTP server (aiosmtpd on loopback) and real worker processes.

Messages are counted by Message-ID at the server. Retry waits, the SMTP timeout and the heartbeat are
tightened through the workers' settings (tests/outbox/smtp.py), so each test takes seconds.
"""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from events.services import entry_create
from outbox.models import Message
from tests.factories import SessionFactory, owners_with_cars
from tests.outbox.smtp import silent_server, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.processes]


def queue(count: int) -> list[str]:
    """``count`` sign-ups through the service, each queueing its confirmation; their Message-IDs."""
    session = SessionFactory(capacity=count)
    for car in owners_with_cars(count):
        entry_create(session=session, car=car, driver=car.owner)
    return list(Message.objects.values_list("message_id", flat=True))


def statuses() -> dict[str, int]:
    return {status: Message.objects.filter(status=status).count() for status in Message.Status.values}


def test_server_down_during_100_signups_then_every_message_arrives_exactly_once(client, smtp, workers):
    session = SessionFactory(capacity=100)
    cars = owners_with_cars(100)
    # Waits of 1 s growing to 8 s: with 100 messages retrying every 0.2–1 s, the retries of the first
    # ones would keep one worker too busy to make the first try of the last ones.
    workers.start(MAIL_RETRY_WAIT="1", MAIL_RETRY_MAX_WAIT="8")
    url = reverse("events:signup", args=[session.event.slug, session.slug])

    responses = []
    for car in cars:
        client.force_login(car.owner)
        responses.append(client.post(url, {"car": car.pk}).status_code)

    assert responses == [302] * 100
    assert session.entries.confirmed().count() == 100
    wait_for(lambda: not Message.objects.filter(attempts=0).exists(), timeout=60, what="every message tried")
    assert smtp.handler.received == []
    assert statuses() == {"queued": 100, "sent": 0, "failed": 0}
    assert "ConnectionRefusedError" in Message.objects.first().last_error

    smtp.start()
    wait_for(lambda: statuses()["sent"] == 100, timeout=90, what="100 messages sent")

    queued_ids = set(Message.objects.values_list("message_id", flat=True))
    assert set(smtp.counts()) == queued_ids
    assert set(smtp.counts().values()) == {1}


def test_421_for_a_while_is_retried_then_delivered(smtp, workers):
    smtp.handler.mode = "421"
    smtp.start()
    message_ids = queue(3)
    workers.start()

    wait_for(lambda: not Message.objects.filter(attempts__lt=2).exists(), timeout=30, what="two tries each")
    assert smtp.handler.received == []
    assert statuses()["queued"] == 3
    assert all("421" in error for error in Message.objects.values_list("last_error", flat=True))

    smtp.handler.mode = "accept"
    wait_for(lambda: statuses()["sent"] == 3, timeout=30, what="3 messages sent")
    assert smtp.counts() == dict.fromkeys(message_ids, 1)
    assert list(Message.objects.values_list("last_error", flat=True)) == ["", "", ""]


def test_550_is_failed_at_once_visible_in_the_admin_and_not_retried(admin_client, smtp, workers):
    smtp.handler.mode = "550"
    smtp.start()
    queue(1)
    workers.start()

    wait_for(lambda: statuses()["failed"] == 1, timeout=30, what="the message failed")
    smtp.handler.mode = "accept"
    # Long enough for several retries, had there been any (MAIL_RETRY_WAIT is 0.2 s for these workers).
    time.sleep(2)

    message = Message.objects.get()
    assert (message.status, message.attempts, smtp.handler.received) == ("failed", 1, [])
    assert "550" in message.last_error
    assert "1 failed email" in admin_client.get("/admin/").content.decode()
    assert message.recipient in admin_client.get("/admin/outbox/message/?status__exact=failed").content.decode()


def test_a_server_that_never_answers_times_out_and_the_message_is_retried(smtp, workers):
    message_ids = queue(1)
    with silent_server(smtp.port):
        workers.start()
        wait_for(lambda: Message.objects.get().attempts >= 1, timeout=30, what="a try that timed out")
        assert Message.objects.get().status == "queued"
        assert "timed out" in Message.objects.get().last_error

    smtp.start()
    wait_for(lambda: statuses()["sent"] == 1, timeout=30, what="the message sent")
    assert smtp.counts() == {message_ids[0]: 1}


def test_a_worker_killed_while_sending_loses_nothing(smtp, workers):
    smtp.handler.delay = 0.5  # each message takes half a second: the kill lands mid-conversation
    smtp.start()
    message_ids = queue(10)
    doomed = workers.start()
    wait_for(smtp.handler.data_started.is_set, timeout=30, what="the first message being sent")

    doomed.kill()
    workers.start()
    wait_for(lambda: statuses()["sent"] == 10, timeout=60, what="10 messages sent after the restart")

    counts = smtp.counts()
    assert set(counts) == set(message_ids)
    # The message in flight may have reached the server before the kill: then it came twice, with one
    # Message-ID, which the reader's server uses to drop the copy (README, "Sending an email").
    assert sum(counts.values()) - len(counts) <= 1


def test_two_workers_on_one_database_send_each_message_once(smtp, workers):
    smtp.start()
    message_ids = queue(40)
    workers.start()
    workers.start()

    wait_for(lambda: statuses()["sent"] == 40, timeout=60, what="40 messages sent")

    assert smtp.counts() == dict.fromkeys(message_ids, 1)
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}
