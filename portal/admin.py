"""The staff's side of people's data: an export or an erasure for a person who asks by letter (actions on the
accounts, for superusers and those with ``portal.handle_personal_data``), the record of those requests, and the
retention job's runs."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin, ask_then_each
from portal.models import DataRequest, RetentionRun
from portal.privacy.erasure import person_erase
from portal.privacy.export import person_export
from portal.privacy.views import zip_response
from register.admin.users import UserAdmin
from register.models import User


class EraseForm(forms.Form):
    checked = forms.BooleanField(
        label=_("The request comes from this person"),
        help_text=_("Checked by letter or by a mail from the account's address. This cannot be undone."),
    )


class PersonalDataUserAdmin(UserAdmin):
    actions = ["export_personal_data", "erase_personal_data"]

    def has_handle_personal_data_permission(self, request) -> bool:
        return request.user.has_perm("portal.handle_personal_data")

    @admin.action(description=_("Download the person's data"), permissions=["handle_personal_data"])
    def export_personal_data(self, request, queryset):
        people = list(queryset[:2])
        if len(people) != 1:
            self.message_user(request, gettext("Choose one person."), messages.WARNING)
            return None
        person = people[0]
        return zip_response(person_export(user=person, by=request.user, by_staff=True), user=person)

    @admin.action(description=_("Erase the person's data (a request)"), permissions=["handle_personal_data"])
    def erase_personal_data(self, request, queryset):
        return ask_then_each(
            self,
            request,
            list(queryset),
            form_class=EraseForm,
            template="admin/portal/erase_action.html",
            action="erase_personal_data",
            title=gettext("Erase the person's data"),
            explanation=gettext(
                "Each account below is deleted as if its owner had deleted it: their cars stay in the register "
                "without them, the books keep what the law requires, everything else about them is erased."
            ),
            run=lambda person, data: person_erase(user=person, by=request.user),
            done=ngettext_lazy("%(count)d person erased.", "%(count)d people erased.", "count"),
            refused=ValueError,
        )


admin.site.unregister(User)
admin.site.register(User, PersonalDataUserAdmin)


@admin.register(DataRequest)
class DataRequestAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "subject_id", "by", "by_staff")
    list_filter = ("kind", "by_staff")
    search_fields = ("=subject_id",)


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = ("started", "finished", "total", "counts")

    @admin.display(description=_("records erased"))
    def total(self, run):
        return run.total
