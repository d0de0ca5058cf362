import pytest

from tests.e2e.test_layout import published_event  # noqa

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", ["mobile"])
def test_probe(page, live_server, published_event):
    page.goto(f"{live_server.url}/events/nurburgring-2031/roster/")
    w = lambda: page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    print("before", w())
    page.add_style_tag(content=".table-responsive { position: relative; }")
    print("after", w())
