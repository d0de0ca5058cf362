from __future__ import annotations

from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render


def home(request):
    return render(request, "home.html")


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain")
