"""Car photos in the admin: captions are edited, photos are only ever deleted (through ``photo_delete``, which
picks the next main photo); owners upload them."""

from __future__ import annotations

from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from register.models import CarPhoto
from register.photos import photo_delete


class PhotoFormSet(BaseInlineFormSet):
    def save_existing(self, form, obj, commit=True):
        # Only the caption is edited here. Saving every field would write back a stale
        # is_main after photo_delete promoted another photo in the same request.
        photo = form.save(commit=False)
        if commit:
            photo.save(update_fields=["caption"])
        return photo

    def delete_existing(self, obj, commit=True):
        if commit:
            photo_delete(photo=obj)


class CarPhotoInline(admin.TabularInline):
    model = CarPhoto
    formset = PhotoFormSet
    fields = ("preview", "caption", "is_main", "created")
    readonly_fields = ("preview", "is_main", "created")
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        # Photos are uploaded by owners and re-encoded by register.photos.
        return False

    @admin.display(description=_("photo"))
    def preview(self, obj):
        return photo_preview(obj)


def photo_preview(photo: CarPhoto):
    if not photo.thumbnail:
        return "—"
    return format_html(
        '<img src="{}" alt="{}" style="max-width:160px;height:auto" loading="lazy">',
        photo.thumbnail.url,
        photo.caption or gettext("Photo of %(car)s") % {"car": photo.car},
    )


@admin.register(CarPhoto)
class CarPhotoAdmin(admin.ModelAdmin):
    list_display = ("preview", "car", "caption", "is_main", "created")
    list_select_related = ("car",)
    list_filter = ("is_main",)
    search_fields = ("car__vin", "caption")
    fields = ("preview", "car", "caption", "is_main", "width", "height", "created")
    readonly_fields = ("preview", "car", "is_main", "width", "height", "created")

    @admin.display(description=_("photo"))
    def preview(self, obj):
        return photo_preview(obj)

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        obj.save(update_fields=["caption"])

    def delete_model(self, request, obj):
        photo_delete(photo=obj)

    def delete_queryset(self, request, queryset):
        for photo in queryset:
            photo_delete(photo=photo)
