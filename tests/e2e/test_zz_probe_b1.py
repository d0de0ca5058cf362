import pytest
pytestmark = [pytest.mark.django_db(transaction=True)]

@pytest.mark.parametrize("viewport", ["desktop"])
def test_probe(page, live_server):
    page.goto(f"{live_server.url}/accounts/signup/")
    print(repr(page.locator("label[for=id_password1]").evaluate("e => e.outerHTML")))
    print(page.locator("form").last.aria_snapshot())
