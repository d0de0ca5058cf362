import pytest
from django.db import connection

def _ct():
    with connection.cursor() as c:
        c.execute("select count(*), min(id) from django_content_type"); return c.fetchone()

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a(live_server, request):
    print("\nA", _ct(), hasattr(connection, "_test_serialized_contents"))

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_b(live_server):
    print("\nB", _ct())

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_c(page, live_server):
    page.goto(live_server.url + "/")
    print("\nC", _ct())

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_d(live_server):
    print("\nD", _ct())
