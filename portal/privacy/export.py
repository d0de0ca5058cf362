"""Download my data (Art. 15 and 20 GDPR): one ZIP of everything the map finds for a person.

``data.json`` holds each record of the map that finds the person's rows, with the fields the map shows (the
personal ones and those that say what a row is about), as stored; ``index.html`` is the same for reading, in
the person's language, with no external resource; ``files/`` holds the photos and documents the rows name.
A mail's text is left out when it carried a personal link or code. Each export is recorded
(``portal.DataRequest``: who, when).
"""

from __future__ import annotations

import datetime
import io
import json
import zipfile
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from common.i18n import user_language
from portal.models import DataRequest
from portal.privacy.datamap import RECORDS
from portal.privacy.schema import Record


def _stored(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    return str(value)


def _label(record: Record, name: str) -> str:
    if name in record.personal:
        return str(record.personal[name].what)
    return str(record.model._meta.get_field(name).verbose_name)


def _shown(value, field: models.Field) -> str:
    """A value as the index shows it: a choice by its label, yes/no, a dash for nothing."""
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _row(record: Record, row, user, files: dict) -> tuple[dict, list[dict]]:
    data, shown = {}, []
    for name in record.shown:
        field = None
        if name in record.formats:
            value = str(record.formats[name](row, user))
        else:
            field = record.model._meta.get_field(name)
            value = getattr(row, name)
            if isinstance(field, models.FileField):
                value = _file(value, files)
            elif field.is_relation:
                value = str(value) if value is not None else None
            else:
                value = _stored(value)
        data[name] = value
        is_file = isinstance(field, models.FileField) and bool(value)
        shown.append({"label": _label(record, name), "value": _shown(value, field), "file": is_file})
    return data, shown


def _file(value, files: dict) -> str:
    if not value:
        return ""
    path = f"files/{value.name}"
    files[path] = value
    return path


def export_collect(*, user) -> tuple[list[dict], dict]:
    """Every record of the map with the person's rows: ``[{label, title, rows, shown}]`` and the files."""
    user_model = get_user_model()
    sections, files = [], {}
    for record in RECORDS:
        if record.rows is None or not record.shown:
            continue
        rows = record.rows(user)
        if record.model is not user_model:
            rows = rows.order_by("pk")
        data, shown = [], []
        for row in rows:
            stored, readable = _row(record, row, user, files)
            data.append(stored)
            shown.append(readable)
        sections.append({"label": record.label, "title": str(record.title), "rows": data, "shown": shown})
    return sections, files


def export_zip(*, user, now=None) -> bytes:
    """The ZIP for ``user``, in their language."""
    now = now or timezone.now()
    with translation.override(user_language(user)):
        sections, files = export_collect(user=user)
        data = {
            "generated": now.isoformat(),
            "account": user.pk,
            "records": {section["label"]: section["rows"] for section in sections},
        }
        index = render_to_string(
            "portal/privacy/export_index.html",
            {"sections": sections, "generated": now, "person": user, "LANGUAGE_CODE": translation.get_language()},
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr("index.html", index)
        for path, value in sorted(files.items()):
            try:
                with value.storage.open(value.name, "rb") as handle:
                    archive.writestr(path, handle.read())
            except FileNotFoundError:
                continue
    return buffer.getvalue()


@transaction.atomic
def person_export(*, user, by, by_staff: bool = False, now=None) -> bytes:
    """The ZIP, and the record that it was made (who, when)."""
    now = now or timezone.now()
    DataRequest.objects.create(kind=DataRequest.Kind.EXPORT, subject_id=user.pk, by=by, by_staff=by_staff, at=now)
    return export_zip(user=user, now=now)
