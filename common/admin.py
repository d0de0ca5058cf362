"""The admin kit every app's admin builds on: what an admin action over selected objects says, which admins only
read, how history is guarded, how a bad URL or date filter is answered (a 404 or "?e=1", never a 500).

Generic Django only: no model of the project is named here.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin


def admin_pk(model, object_id: str):
    """The primary key an admin URL's ``object_id`` names, or None when it cannot be one (``abc``): Django's
    own views take that for a missing object; a query with it would raise."""
    try:
        return model._meta.pk.to_python(unquote(object_id))
    except ValidationError:
        return None


class _DateHierarchyChangeList(ChangeList):
    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


class DateHierarchyAdmin(admin.ModelAdmin):
    """An admin with ``date_hierarchy`` whose list answers a year it cannot show as any unusable filter (back
    to the list with "?e=1"), not with a 500. Django catches a ValueError from reading ``?created__year=``
    but not the OverflowError of a year beyond a C long (20 digits), nor the ValueError of the year after
    9999 that it computes as the end of the range."""

    def get_changelist(self, request, **kwargs):
        return _DateHierarchyChangeList


class HistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's admin, with its history form closed to writers without change permission.

    The library lets anyone who may *view* an object open an old version and POST it back (a "revert"):
    ``history_form_view`` checks ``has_view_history_or_change_history_permission`` only. A POST here
    needs the library's own ``has_change_history_permission`` (the model's change permission unless
    ``SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS``). Every admin with history uses this class
    (``tests/security/test_admin_history.py`` checks that).
    """

    def history_view(self, request, object_id, extra_context=None):
        # The library filters the history by the raw id: a URL's "abc" would be a 500.
        if admin_pk(self.model, object_id) is None:
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            # A deleted object (None here) falls back to the model-level permission.
            obj = self.get_object(request, unquote(object_id))
            if not self.has_change_history_permission(request, obj):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the services write and staff only read (view permission): nothing to add, change or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyTabularInline(admin.TabularInline):
    """A history shown beside its object: nothing to add, change or delete there."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LabelledDateTimes:
    """Django's admin splits a date-time into a date and a time input, and its <label> points at neither:
    name each half after the field, so screen readers (and axe-core's "label" rule) know what it is."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(db_field, models.DateTimeField):
            date, time = field.widget.widgets
            label = capfirst(db_field.verbose_name)
            date.attrs["aria-label"] = format_lazy("{}: {}", label, _("date"))
            time.attrs["aria-label"] = format_lazy("{}: {}", label, _("time"))
        return field


def for_each_selected(modeladmin, request, objects, action, *, done, refused, label=str) -> None:
    """What every admin action over selected objects does: ``action(obj)`` for each, through a service.

    A refusal (``refused``: the service's error class, whose message is for the user) becomes one error
    message naming the object (``label(obj)``) and the others go on; the rest is one success message,
    ``done % {"count": n}`` (``ngettext_lazy(..., "count")`` picks the plural), or "Nothing to do.".
    """
    count, errors = 0, []
    for obj in objects:
        try:
            action(obj)
        except refused as error:
            errors.append(f"{label(obj)}: {error}")
        else:
            count += 1
    if count:
        modeladmin.message_user(request, done % {"count": count}, messages.SUCCESS)
    for error in errors:
        modeladmin.message_user(request, error, messages.ERROR)
    if not count and not errors:
        modeladmin.message_user(request, gettext("Nothing to do."), messages.WARNING)


def ask_then_each(
    modeladmin, request, objects, *, form_class, template, action, title, explanation, run, done, refused, label=str
):
    """An admin action that asks first (a reason, a date, an entry) on a page of its own: ``template`` extends
    ``admin/action_form.html`` and lists ``objects``. Once answered, ``run(obj, cleaned_data)`` (a service) for each
    selected object, through ``for_each_selected``."""
    form = form_class(request.POST if request.POST.get("confirmed") == "yes" else None)
    if form.is_bound and form.is_valid():
        for_each_selected(
            modeladmin,
            request,
            objects,
            lambda obj: run(obj, form.cleaned_data),
            done=done,
            refused=refused,
            label=label,
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.opts,
        "title": title,
        "explanation": explanation,
        "objects": objects,
        "form": form,
        "action": action,
    }
    return TemplateResponse(request, template, context)


def swatch(hex_value: str, label: str):
    """A small square of the colour ``hex_value`` (#RRGGBB; the caller's data guarantees the form) before ``label``."""
    return format_html(
        '<span style="display:inline-block;width:1em;height:1em;vertical-align:middle;'
        'border:1px solid #6c757d;border-radius:2px;background:{}" aria-hidden="true"></span> {}',
        hex_value,
        label,
    )
