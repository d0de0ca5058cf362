"""The map of personal data classifies every field of every model of the project (and of the third-party
models it lists): a field added to a model fails here until the map says whether it is personal, why it is
kept and what erasure does to it."""

from __future__ import annotations

from django.apps import apps

from portal.privacy.datamap import BY_LABEL, RECORDS
from portal.privacy.purposes import PURPOSES
from portal.privacy.schema import Erase

OUR_APPS = {"register", "events", "payments", "outbox", "portal"}
# Third-party models that hold a person's data (or say when it goes): the map must list them too.
THIRD_PARTY = {
    "account.EmailAddress",
    "account.EmailConfirmation",
    "axes.AccessAttempt",
    "axes.AccessFailureLog",
    "axes.AccessLog",
    "sessions.Session",
    "admin.LogEntry",
}


def test_every_model_of_the_project_is_in_the_map():
    ours = {model._meta.label for model in apps.get_models() if model._meta.app_label in OUR_APPS}

    assert ours - BY_LABEL.keys() == set()
    assert THIRD_PARTY - BY_LABEL.keys() == set()


def test_every_field_of_a_mapped_model_is_classified_once():
    unclassified, unknown, twice = {}, {}, {}
    for record in RECORDS:
        names = {field.name for field in record.model._meta.concrete_fields}
        personal, other = set(record.personal), set(record.other)
        if names - personal - other:
            unclassified[record.label] = sorted(names - personal - other)
        if (personal | other) - names:
            unknown[record.label] = sorted((personal | other) - names)
        if personal & other:
            twice[record.label] = sorted(personal & other)

    assert unclassified == {}, "fields the map does not classify (portal/privacy/datamap.py)"
    assert unknown == {}
    assert twice == {}


def test_every_personal_field_names_a_purpose_an_erasure_and_a_label():
    for record in RECORDS:
        for name, personal in record.personal.items():
            assert personal.purpose in PURPOSES, (record.label, name)
            assert personal.erase in Erase.values, (record.label, name)
            assert str(personal.what), (record.label, name)
        for name in record.shown:
            assert name in record.formats or record.model._meta.get_field(name), (record.label, name)


def test_the_books_are_kept_on_erasure():
    for label in ("payments.BankTransaction", "payments.Refund"):
        record = BY_LABEL[label]
        assert {p.erase for p in record.personal.values() if p.purpose == "books"} == {Erase.KEEP}
