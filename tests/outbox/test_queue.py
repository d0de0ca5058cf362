"""The outbox: mail is queued in the transaction of the change, on one line, in the reader's language,
and a mail that cannot be built is a failure staff see, not a log line."""

from __future__ import annotations

import datetime

import pytest
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob
from procrastinate.jobs import Job

from events.services import entry_create
from outbox.models import Message
from outbox.services import TemporaryFailure, message_deliver
from outbox.tasks import DeliveryRetry
from register.services import claim_create
from tests.factories import SessionFactory, UserFactory, VerifiedCarFactory
from tests.outbox.smtp import free_port

pytestmark = pytest.mark.django_db


def delivery_jobs():
    return ProcrastinateJob.objects.filter(task_name="outbox.deliver")


def signup(session, car):
    return entry_create(session=session, car=car, driver=car.owner)


def test_a_signup_queues_its_confirmation_and_one_delivery_job_in_its_transaction():
    jobs_before = set(delivery_jobs().values_list("id", flat=True))
    car = VerifiedCarFactory()

    signup(SessionFactory(name="Nordschleife convoy"), car)

    [message] = Message.objects.all()
    assert (message.recipient, message.status, message.attempts) == (car.owner.email, "queued", 0)
    assert message.subject == "[1M Register] Confirmed: Nordschleife convoy, slot 1"
    [job] = delivery_jobs().exclude(id__in=jobs_before)
    assert (job.args, job.status) == ({"message_id": message.pk}, "todo")


def test_a_rolled_back_change_queues_no_mail_and_no_job():
    jobs_before = delivery_jobs().count()
    session, car = SessionFactory(), VerifiedCarFactory()

    with pytest.raises(RuntimeError), transaction.atomic():
        signup(session, car)
        raise RuntimeError("the change fails after the mail was queued")

    assert list(Message.objects.all()) == []
    # The job went through Django's connection, so it was rolled back with the change.
    assert delivery_jobs().count() == jobs_before


def test_a_session_name_with_a_line_break_gives_a_single_line_subject_that_is_delivered(deliver_mail):
    session = SessionFactory(name="Nordschleife\r\nconvoy\nwet")

    signup(session, VerifiedCarFactory())

    [delivered] = deliver_mail()
    assert delivered.subject == "[1M Register] Confirmed: Nordschleife convoy wet, slot 1"
    assert Message.objects.get().status == "sent"


def test_a_mail_that_cannot_be_built_is_kept_as_failed_and_the_change_stands(deliver_mail):
    queued = send_mail("Two\nlines", "Body", None, ["someone@example.org"])

    message = Message.objects.get()
    assert queued == 0
    assert message.status == "failed"
    assert message.last_error.startswith("The message cannot be built: Header values can't contain newlines")
    assert delivery_jobs().filter(args__message_id=message.pk).count() == 0
    assert deliver_mail() == []


def test_the_message_id_is_fixed_when_queued_and_sent_as_such(deliver_mail):
    EmailMessage("Hello", "Body", None, ["someone@example.org"]).send()

    message = Message.objects.get()
    [delivered] = deliver_mail()
    assert message.message_id.startswith("<") and message.message_id.endswith(">")
    assert delivered.message()["Message-ID"] == message.message_id


def test_each_mail_is_rendered_in_its_recipients_language():
    german, english = UserFactory(language="de"), UserFactory(language="en")
    session = SessionFactory()

    signup(session, VerifiedCarFactory(owner=german))
    signup(session, VerifiedCarFactory(owner=english))

    assert dict(Message.objects.values_list("recipient", "language")) == {german.email: "de", english.email: "en"}


def test_admin_index_counts_failed_mail_and_send_again_queues_it(admin_client, deliver_mail):
    send_mail("Two\nlines", "Body", None, ["someone@example.org"])
    EmailMessage("Fine", "Body", None, ["other@example.org"]).send()
    deliver_mail()
    failed = Message.objects.get(status="failed")
    failed.subject = "Repaired by hand"  # as if the cause were fixed; "send again" rebuilds from the row
    failed.save()

    index = admin_client.get("/admin/").content.decode()
    listing = admin_client.get("/admin/outbox/message/?status__exact=failed").content.decode()
    response = admin_client.post(
        "/admin/outbox/message/", {"action": "send_again", "_selected_action": [failed.pk]}, follow=True
    )

    assert "1 failed email" in index
    assert "someone@example.org" in listing and "other@example.org" not in listing
    assert "1 email queued again." in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == "queued"
    assert [m.subject for m in deliver_mail()] == ["Fine", "Repaired by hand"]


@pytest.fixture
def smtp_down(settings):
    """Delivery by SMTP to a loopback port where nothing listens: a real "connection refused"."""
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()


def test_a_temporary_failure_is_recorded_and_raised_for_the_queue_to_retry(smtp_down):
    EmailMessage("Hello", "Body", None, ["someone@example.org"]).send()
    message = Message.objects.get()

    with pytest.raises(TemporaryFailure):
        message_deliver(message_id=message.pk)

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    assert message.last_error.startswith("ConnectionRefusedError")


def test_a_temporary_failure_after_mail_give_up_after_marks_the_message_failed(smtp_down, settings):
    EmailMessage("Hello", "Body", None, ["someone@example.org"]).send()
    message = Message.objects.get()
    settings.MAIL_GIVE_UP_AFTER = datetime.timedelta(0)

    message_deliver(message_id=message.pk)

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.last_error.startswith("ConnectionRefusedError")


def _mail_of_area(role: str) -> None:
    if role == "organiser":
        signup(SessionFactory(), VerifiedCarFactory())  # events/email/entry_confirmed
    else:
        claim_create(car=VerifiedCarFactory(), claimant=UserFactory())  # register/email/claim_received


@pytest.mark.parametrize("role", ["organiser", "registrar"])
def test_organisers_and_registrars_see_failed_mail_of_their_area_and_send_it_again(
    client, request, role, smtp_down, settings
):
    _mail_of_area(role)
    failed = Message.objects.get()
    settings.MAIL_GIVE_UP_AFTER = datetime.timedelta(0)
    message_deliver(message_id=failed.pk)
    client.force_login(request.getfixturevalue(role))

    index = client.get("/admin/").content.decode()
    response = client.post("/admin/outbox/message/", {"action": "send_again", "_selected_action": [failed.pk]})

    assert "1 failed email" in index
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == "queued"


@pytest.mark.parametrize(("attempts", "seconds"), [(0, 30), (1, 60), (3, 240), (7, 3600), (40, 3600)])
def test_retry_waits_double_from_mail_retry_wait_up_to_mail_retry_max_wait(settings, attempts, seconds):
    settings.MAIL_RETRY_WAIT = datetime.timedelta(seconds=30)
    settings.MAIL_RETRY_MAX_WAIT = datetime.timedelta(hours=1)
    job = Job(id=1, queue="default", lock=None, queueing_lock=None, task_name="outbox.deliver", attempts=attempts)
    before = timezone.now()

    decision = DeliveryRetry().get_retry_decision(exception=TemporaryFailure("421"), job=job)

    # Bounded by the clock on both sides, not "within a second": a loaded machine can pause a test longer.
    wait = datetime.timedelta(seconds=seconds)
    assert before + wait <= decision.retry_at <= timezone.now() + wait


def test_only_temporary_failures_are_retried():
    job = Job(id=1, queue="default", lock=None, queueing_lock=None, task_name="outbox.deliver", attempts=0)

    assert DeliveryRetry().get_retry_decision(exception=ValueError("a bug"), job=job) is None
