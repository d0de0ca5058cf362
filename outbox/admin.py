"""Staff see every email: recipient, subject, status, attempts, last error; failed ones can be sent again."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from outbox.models import Message
from outbox.services import message_send_again
from register.admin import DateHierarchyAdmin


@admin.register(Message)
class MessageAdmin(DateHierarchyAdmin):
    list_display = ["created", "recipient", "subject", "status", "attempts", "last_error", "sent"]
    list_filter = ["status", "language"]
    search_fields = ["recipient", "subject", "message_id"]
    date_hierarchy = "created"
    actions = ["send_again"]
    readonly_fields = [
        "message_id",
        "from_email",
        "recipient",
        "cc",
        "bcc",
        "reply_to",
        "subject",
        "text",
        "html",
        "language",
        "status",
        "attempts",
        "last_error",
        "created",
        "last_attempt",
        "sent",
    ]
    exclude = ["to", "headers", "attachments"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send again"), permissions=["change"])
    def send_again(self, request, queryset):
        count = 0
        for message in queryset:
            message_send_again(message=message)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d email queued again.", "%(count)d emails queued again.", count) % {"count": count},
            messages.SUCCESS,
        )


# procrastinate's own admin (jobs, workers, events) is left out: staff follow the mail here, where a
# message has its recipient, status and "send again"; the queue's internals are for `manage.py procrastinate`.
for model in apps.get_app_config("procrastinate").get_models():
    if admin.site.is_registered(model):
        admin.site.unregister(model)
