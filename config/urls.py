from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog

from common.storage import serve_public
from portal import operations, webapp
from portal import views as portal_views
from portal.privacy import views as privacy_views
from register import views as register_views


def favicon(request):
    # Browsers ask for /favicon.ico on pages that declare no icon (the admin). Resolved per request:
    # the hashed static name exists only after collectstatic.
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


# Organisers and registrars work here: say whose admin it is instead of "Django administration". Once
# signed in, the header names the reader's part (register/templatetags/admin_area.py).
admin.site.site_header = _("1M Register — staff")
admin.site.site_title = _("1M Register — staff")

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("register/cars/<int:number>/", portal_views.car_detail, name="car_detail"),
    path("healthz", register_views.healthz, name="healthz"),
    # Operators: readiness (database and storage answer) and Prometheus' figures (portal/operations.py).
    path("readyz", operations.readyz, name="readyz"),
    path("metrics", operations.metrics, name="metrics"),
    path("privacy/", privacy_views.privacy, name="privacy"),
    path("garage/profile/my-data/", privacy_views.my_data, name="my_data"),
    path("favicon.ico", favicon),
    # The installable web app: the worker at the root, so that its scope is the whole site (portal/webapp.py).
    path("sw.js", webapp.service_worker, name="service_worker"),
    path("manifest.webmanifest", webapp.manifest, name="manifest"),
    path("admin/", admin.site.urls),
    # allauth's logout, telling the browser to drop what the site stored on this device.
    path("accounts/logout/", webapp.logout, name="account_logout"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("language/", register_views.language, name="language"),
    # Strings of static/js/*.js in the visitor's language (locale/*/LC_MESSAGES/djangojs.po).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("register.urls")),
    path("events/", include("events.urls")),
    path("payments/", include("payments.urls")),
    # Public photos from the default storage (disk or bucket), cached for a year (common/storage.py).
    re_path(r"^media/(?P<path>.*)$", serve_public),
]
