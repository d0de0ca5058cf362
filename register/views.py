"""Pages of the register. Thin: a form validates, one service changes state, a message, a redirect."""

from __future__ import annotations

from allauth.account.adapter import get_adapter as get_account_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from events.home import home_data
from events.models import Entry
from events.rostercache import cached_page_response, current_generation
from register import services
from register.forms import CarEditForm, CarFilter, CarForm, ClaimForm, DeleteAccountForm, PhotoForm, ProfileForm
from register.models import Car, CarPhoto, Claim
from register.stats import register_stats

PAGE_SIZE = 25


def _posted(request):
    """The POST data for a bound form, also when it is empty (an empty dict is falsy)."""
    return request.POST if request.method == "POST" else None


def _client_address(request) -> str:
    # allauth's reading of the client address, which honours TRUSTED_PROXY_COUNT like the login limits.
    return get_account_adapter().get_client_ip(request)


@gzip_page
def home(request):
    """Cached whole under the roster generation, like the roster (events.pagecache), and the minute:
    "registration open" and "next gathering" change with the clock, not only with the data."""
    generation = current_generation()
    if generation is None:  # inside a transaction that has written: built fresh, never cached
        return render(request, "home.html", home_data())
    minute = int(timezone.now().timestamp() // 60)
    return cached_page_response(
        request,
        name="home",
        version=f"{generation}.{minute}",
        template="home.html",
        context=home_data,
        path=request.path,
    )


def language(request):
    """The language choice, posted with a CSRF token and handed on to Django's set_language (which
    sets the cookie and redirects); a logged-in person's choice is also saved on their account. On a
    page of its own (the footer links here), it leaves the reading pages free of tokens, so they set
    no cookie and can be cached whole."""
    if request.method == "POST":
        if request.user.is_authenticated:
            services.user_language_set(user=request.user, language=request.POST.get("language", ""))
        return set_language(request)
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = reverse("home")
    return render(request, "language.html", {"next": next_url})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain")


# Public pages -------------------------------------------------------------------------------------------------


@gzip_page
def car_list(request):
    car_filter = CarFilter(request.GET or None, queryset=Car.objects.publicly_listed())
    page = Paginator(car_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "register/car_list.html",
        {"filter": car_filter, "page_obj": page, "cars": page.object_list, "query": query.urlencode()},
    )


@gzip_page
def car_detail(request, number: int):
    car = get_object_or_404(Car.objects.verified().select_related("colour", "owner"), register_number=number)
    history = Entry.objects.car_history(car)
    user = request.user
    if not (user.is_staff or (user.is_authenticated and car.owner_id == user.pk)):
        # An unpublished roster is not public yet, not even entry by entry through the cars in it.
        history = history.on_published_rosters()
    return render(
        request,
        "register/car_detail.html",
        {"car": car, "photos": list(car.photos.all()), "event_history": history},
    )


@gzip_page
def stats(request):
    return render(request, "register/stats.html", {"stats": register_stats()})


# Garage (the owner's own cars) -------------------------------------------------------------------------------


def _my_car(request, pk: int) -> Car:
    """The signed-in owner's car; anyone else's is a 404, not a 403, so nothing leaks."""
    return get_object_or_404(Car.objects.owned_by(request.user).select_related("colour"), pk=pk)


@login_required
def garage(request):
    cars = (
        Car.objects.owned_by(request.user)
        .select_related("colour")
        .prefetch_related("photos")
        .order_by("register_number", "created", "pk")
    )
    claims = Claim.objects.pending().filter(claimant=request.user).select_related("car__colour")
    return render(request, "register/garage.html", {"cars": cars, "claims": claims})


@login_required
def car_add(request):
    form = CarForm(_posted(request), user=request.user, address=_client_address(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            car = services.car_register(
                owner=request.user,
                vin=data["vin"],
                colour=data["colour"],
                market=data["market"],
                colour_note=data["colour_note"],
                production_month=data["production_month"],
                nickname=data["nickname"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        except services.RegisterError:
            form.mark_duplicate(data["vin"])
        else:
            messages.success(request, _("Your car is registered. A registrar will verify it and give it a number."))
            if car.check_digit_flag:
                messages.warning(
                    request,
                    _("%(flag)s This is common outside North America. A registrar will check the VIN.")
                    % {"flag": car.check_digit_note()},
                )
            return redirect("register:garage")
    return render(request, "register/car_form.html", {"form": form})


@login_required
def car_edit(request, pk: int):
    car = _my_car(request, pk)
    form = CarEditForm(_posted(request), instance=car)
    if request.method == "POST" and form.is_valid():
        # Only what the owner changed: anything else may have been changed by a registrar meanwhile.
        services.car_update(car=car, **{name: form.cleaned_data[name] for name in form.changed_data})
        messages.success(request, _("Your changes are saved."))
        return redirect("register:garage")
    return render(request, "register/car_edit.html", {"form": form, "car": car})


@login_required
def car_photos(request, pk: int):
    from register.photos import photo_add

    car = _my_car(request, pk)
    form = PhotoForm(_posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            photo_add(car=car, upload=form.cleaned_data["image"], caption=form.cleaned_data["caption"])
        except ValidationError as error:
            form.add_error("image", error)
        else:
            messages.success(request, _("Photo added."))
            return redirect("register:car_photos", pk=car.pk)
    return render(request, "register/car_photos.html", {"car": car, "form": form, "photos": car.photos.all()})


def _my_photo(request, pk: int) -> CarPhoto:
    return get_object_or_404(CarPhoto.objects.select_related("car").filter(car__owner=request.user), pk=pk)


@login_required
@require_POST
def photo_main(request, pk: int):
    from register.photos import photo_set_main

    photo = _my_photo(request, pk)
    photo_set_main(photo=photo)
    messages.success(request, _("Main photo changed."))
    return redirect("register:car_photos", pk=photo.car_id)


@login_required
def photo_delete(request, pk: int):
    """GET asks first (the photo, "Delete" and "Keep it"); only the POST from that page deletes."""
    from register.photos import photo_delete as delete

    photo = _my_photo(request, pk)
    if request.method != "POST":
        return render(request, "register/photo_delete.html", {"photo": photo, "car": photo.car})
    car_pk = photo.car_id
    delete(photo=photo)
    messages.success(request, _("Photo deleted."))
    return redirect("register:car_photos", pk=car_pk)


@login_required
def claim(request):
    form = ClaimForm(
        _posted(request),
        request.FILES or None,
        initial={"vin": request.GET.get("vin", "")},
        user=request.user,
        address=_client_address(request),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_create(
                car=form.car,
                claimant=request.user,
                message=form.cleaned_data["message"],
                evidence=form.cleaned_data["evidence"],
            )
        except services.RegisterError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Your claim is sent. A registrar will check it and tell you by email what they decided.")
            )
            return redirect("register:garage")
    return render(request, "register/claim_form.html", {"form": form})


# Profile and account -----------------------------------------------------------------------------------------


@login_required
def profile(request):
    form = ProfileForm(_posted(request), instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = services.user_profile_update(user=request.user, **form.cleaned_data)
        translation.activate(user.language)  # the message below in the language just chosen
        messages.success(request, _("Your changes are saved."))
        response = redirect("register:profile")
        # The same language after logging out on this device.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response
    return render(request, "register/profile.html", {"form": form})


@login_required
def account_delete(request):
    form = DeleteAccountForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        services.user_delete(user=user)
        messages.success(request, _("Your account is deleted. Your cars stay in the register."))
        return redirect("home")
    return render(request, "register/account_delete.html", {"form": form})
