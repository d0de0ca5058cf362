"""Pages built from both apps: the home page (the register and the gatherings) and a car's public page (the car
and its outings at events)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.gzip import gzip_page

from common.offline import offline_page
from events.models import Entry
from events.rostercache import cached_page_response, current_generation
from portal.home import home_data
from register.models import Car


@offline_page
@gzip_page
def home(request):
    """Cached whole under the roster generation, like the roster (events.rostercache), and the minute:
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
