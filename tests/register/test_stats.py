from __future__ import annotations

import re

import pytest

from register.models import Market, RegisteredModel
from register.stats import register_stats
from tests.factories import CarFactory, VerifiedCarFactory, colour

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet():
    orange, white, black = (
        colour("Valencia Orange Metallic"),
        colour("Alpine White"),
        colour("Black Sapphire Metallic"),
    )
    for _ in range(3):
        VerifiedCarFactory(colour=orange, market="US")
    VerifiedCarFactory(colour=white, market="US")
    VerifiedCarFactory(colour=white, market="DE")
    VerifiedCarFactory(colour=black, market="GB")
    # Pending cars are not counted anywhere.
    CarFactory(colour=black, market="DE")
    CarFactory(colour=orange, market="JP")


def row(html: str, attribute: str, value: str) -> str:
    match = re.search(rf'<tr {attribute}="{re.escape(value)}">(.*?)</tr>', html, re.S)
    assert match, value
    return match.group(1)


def figures(row_html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r'data-figure="\w+">(.*?)</td>', row_html)]


def test_register_stats_counts_verified_cars_only(fleet):
    stats = register_stats()

    assert stats.registered == 6
    assert (stats.model.built_for_customers, stats.model.built_internal, stats.model.built_total) == (6309, 33, 6342)
    assert stats.registered_share == 0.09
    assert [(r.colour.name, r.registered) for r in stats.colours] == [
        ("Valencia Orange Metallic", 3),
        ("Alpine White", 2),
        ("Black Sapphire Metallic", 1),
        ("Monte Carlo Blue", 0),
        ("Java Green", 0),
        ("Atacama Yellow", 0),
        ("Other", 0),
    ]
    assert [r.width for r in stats.colours[:3]] == [100.0, 66.7, 33.3]


def test_register_stats_markets_next_to_known_deliveries(fleet):
    stats = register_stats()

    assert [(r.country.code, r.registered, r.delivered, r.approximate) for r in stats.markets] == [
        ("US", 4, 740, False),
        ("GB", 1, 450, True),
        ("DE", 1, None, False),
        ("AU", 0, 300, True),
        ("CA", 0, 220, False),
        ("ZA", 0, 71, False),
    ]
    us = stats.markets[0]
    assert (us.width, us.delivered_width, us.share) == (0.5, 100.0, 0.5)


def test_stats_page_shows_exact_figures_as_text(client, fleet):
    response = client.get("/register/stats/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<dd class="col-5 col-sm-8" data-figure="registered">6</dd>' in html
    assert '<dd class="col-5 col-sm-8" data-figure="built_for_customers">6,309</dd>' in html
    assert '<dd class="col-5 col-sm-8" data-figure="built_internal">33</dd>' in html
    assert '<dd class="col-5 col-sm-8" data-figure="built_total">6,342</dd>' in html
    assert figures(row(html, "data-colour", "Valencia Orange Metallic")) == ["3"]
    assert figures(row(html, "data-colour", "Alpine White")) == ["2"]
    assert figures(row(html, "data-colour", "Java Green")) == ["0"]
    assert figures(row(html, "data-market", "US")) == ["4", "740"]
    assert figures(row(html, "data-market", "GB")) == ["1", "about 450"]
    assert figures(row(html, "data-market", "AU")) == ["0", "about 300"]
    assert figures(row(html, "data-market", "DE")) == ["1", "unknown"]
    assert 'data-market="JP"' not in html
    assert 'style="width: 100.0%"' in html
    assert "0.09% of all cars built are in the register." in html


def test_stats_follow_registrar_corrections_of_model_facts(client, fleet):
    RegisteredModel.objects.update(built_for_customers=6300, built_internal=39)
    Market.objects.filter(country="GB").update(delivered=400, approximate=False)

    response = client.get("/register/stats/")

    html = response.content.decode()
    assert 'data-figure="built_total">6,339</dd>' in html
    assert figures(row(html, "data-market", "GB")) == ["1", "400"]


def test_stats_page_with_empty_register(client):
    response = client.get("/register/stats/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<dd class="col-5 col-sm-8" data-figure="registered">0</dd>' in html
    assert figures(row(html, "data-market", "US")) == ["0", "740"]


def test_stats_page_query_count_is_constant(client, fleet, django_assert_num_queries):
    with django_assert_num_queries(5):
        client.get("/register/stats/")
