"""Staff see the record of the mail of their area: recipient, kind, subject, status, attempts, last error; failed
ones can be sent again.

Nobody reads another person's secret here, not even a superuser: the body of a message that carries a personal
link or code (a password reset, an address confirmation, a ticket) is never shown, and it is erased once sent
(``outbox.services.message_deliver``). Which staff see which mail: ``outbox.models.STAFF_AREAS``.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from common.admin import DateHierarchyAdmin, for_each_selected
from outbox.models import Message
from outbox.services import OutboxError, message_send_again

WITHHELD = _("Withheld: it carries a personal link or code.")


@admin.register(Message)
class MessageAdmin(DateHierarchyAdmin):
    list_display = ["created", "recipient", "kind", "subject", "status", "attempts", "last_error", "sent"]
    list_filter = ["status", "kind", "carries_secret", "language"]
    # Never the body: a search must not find (or confirm) a link or code by its text.
    search_fields = ["recipient", "subject", "message_id"]
    date_hierarchy = "created"
    actions = ["send_again"]
    fields = [
        "message_id",
        "kind",
        "carries_secret",
        "from_email",
        "recipient",
        "cc",
        "bcc",
        "reply_to",
        "subject",
        "content_text",
        "content_html",
        "language",
        "status",
        "attempts",
        "last_error",
        "created",
        "last_attempt",
        "sent",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or obj.belongs_to_area_of(request.user))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.belongs_to_area_of(request.user))

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_object(self, request, object_id, from_field=None):
        # Found among all messages, so that another area's message is a 403 (``has_view_permission``), the
        # same answer as for any page a role may not open, rather than "does not exist".
        field = Message._meta.pk if from_field is None else Message._meta.get_field(from_field)
        try:
            return Message.objects.get(**{field.name: field.to_python(object_id)})
        except (Message.DoesNotExist, ValidationError, ValueError):
            return None

    @admin.display(description=_("text"))
    def content_text(self, message: Message):
        return WITHHELD if message.carries_secret else message.text

    @admin.display(description=_("HTML"))
    def content_html(self, message: Message):
        return WITHHELD if message.carries_secret else message.html

    @admin.action(description=_("Send again"), permissions=["change"])
    def send_again(self, request, queryset):
        for_each_selected(
            self,
            request,
            queryset,
            lambda message: message_send_again(message=message),
            done=ngettext_lazy("%(count)d email queued again.", "%(count)d emails queued again.", "count"),
            refused=OutboxError,
        )


# procrastinate's own admin (jobs, workers, events) is left out: staff follow the mail here, where a
# message has its recipient, status and "send again"; the queue's internals are for `manage.py procrastinate`.
for model in apps.get_app_config("procrastinate").get_models():
    if admin.site.is_registered(model):
        admin.site.unregister(model)
