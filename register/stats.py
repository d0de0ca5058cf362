"""Figures for the public statistics page: verified cars only, next to the known production facts."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django_countries.fields import Country

from register.models import Car, Colour, Market, RegisteredModel


def _percent(part: int, whole: int) -> float:
    """A bar width in percent of ``whole`` (0 when there is nothing to compare with)."""
    if not whole:
        return 0.0
    return round(100 * part / whole, 1)


@dataclass(frozen=True)
class ColourRow:
    colour: Colour
    registered: int
    width: float


@dataclass(frozen=True)
class MarketRow:
    country: Country
    registered: int
    delivered: int | None
    approximate: bool
    width: float
    delivered_width: float

    @property
    def share(self) -> float | None:
        """Registered cars as a percentage of the known deliveries."""
        if not self.delivered:
            return None
        return round(100 * self.registered / self.delivered, 1)


@dataclass(frozen=True)
class RegisterStats:
    model: RegisteredModel | None
    registered: int
    colours: list[ColourRow]
    markets: list[MarketRow]

    @property
    def registered_share(self) -> float:
        """Per cent of all cars built; two decimals, as the register holds a small share."""
        if not self.model or not self.model.built_total:
            return 0.0
        return round(100 * self.registered / self.model.built_total, 2)


def colour_counts() -> list[tuple[Colour, int]]:
    """Every colour with its number of verified cars, in the colours' own order."""
    colours = Colour.objects.annotate(registered=Count("car", filter=Q(car__status=Car.Status.VERIFIED))).order_by(
        "sort_order", "name"
    )
    return [(colour, colour.registered) for colour in colours]


def market_counts() -> dict[str, int]:
    """Verified cars per market (ISO code)."""
    rows = Car.objects.verified().order_by().values("market").annotate(registered=Count("pk"))
    return {row["market"]: row["registered"] for row in rows}


def register_stats() -> RegisterStats:
    """All figures of the statistics page in a constant number of queries."""
    model = RegisteredModel.current()
    registered = Car.objects.verified().count()

    colours = colour_counts()
    colour_max = max((count for _, count in colours), default=0)
    colour_rows = [ColourRow(colour, count, _percent(count, colour_max)) for colour, count in colours]

    counts = market_counts()
    figures = {str(market.country.code): market for market in Market.objects.all()}
    scale = max([*counts.values(), *(m.delivered or 0 for m in figures.values()), 0])
    market_rows = []
    for code in set(counts) | set(figures):
        figure = figures.get(code)
        delivered = figure.delivered if figure else None
        market_rows.append(
            MarketRow(
                country=Country(code=code),
                registered=counts.get(code, 0),
                delivered=delivered,
                approximate=bool(figure and figure.approximate),
                width=_percent(counts.get(code, 0), scale),
                delivered_width=_percent(delivered or 0, scale),
            )
        )
    market_rows.sort(key=lambda row: (-row.registered, -(row.delivered or 0), str(row.country.name)))
    return RegisterStats(model=model, registered=registered, colours=colour_rows, markets=market_rows)
