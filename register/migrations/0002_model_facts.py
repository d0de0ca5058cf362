"""Facts about the 1M, each with its public source, kept in data so registrars can correct them."""

import datetime

from django.db import migrations

MODEL = {
    "name": "BMW 1 Series M Coupé",
    "chassis": "E82",
    "wmi": "WBS",
    "vds_prefix": "UR9",
    "model_year_codes": "BC0",
    "built_for_customers": 6309,
    "built_internal": 33,
    "production_start": datetime.date(2011, 3, 1),
    "production_end": datetime.date(2012, 6, 30),
    "source": "bimmertoday.de 2025-04-03; bmwblog.com 2025-12-09 (older articles say 6,331 or 6,339). "
    "Built at BMW plant Leipzig, March 2011 to June 2012.",
    # The VIN flags for the registrar (register.vin.vin_flags): never errors, data the registrar can correct.
    "plant_codes": "V",
    "north_american_year_codes": "B",
    "north_american_markets": "US CA",
    # Countries that drive on the left, where cars are right-hand drive.
    "right_hand_markets": "GB IE AU NZ ZA JP HK SG MY",
    "position7_north_america": "C3",
    "position7_left_hand": "1",
    "position7_right_hand": "2",
    "vin_rules_source": (
        "Position 7 (C or 3 North America, 1 left-hand drive elsewhere, 2 right-hand drive) and plant V "
        "(Leipzig) at position 11: Swiss type approval 1BC148; 1addicts.com forum (2012); public listings "
        "(medium confidence: a mismatch is a flag, never an error). North American cars were built as model "
        "year 2011 (B) only, US production ended September 2011: bmwblog.com 2012-01-10."
    ),
}

COLOURS = [
    # name, paint code, swatch, kind, order, note
    ("Valencia Orange Metallic", "", "#E2611B", "factory", 10, "The launch colour; paint code not reliably published."),
    ("Alpine White", "300", "#F3F3EF", "factory", 20, ""),
    ("Black Sapphire Metallic", "475", "#0D1117", "factory", 30, "Sometimes called “Sapphire Black”."),
    ("Monte Carlo Blue", "", "#1E4D8C", "individual", 40, "BMW Individual: reportedly two cars."),
    ("Java Green", "", "#3DAA35", "individual", 50, "BMW Individual: reportedly one car, the “Green Mamba”."),
    ("Atacama Yellow", "", "#E8B10E", "individual", 60, "BMW Individual: reportedly one car."),
    ("Other", "", "#8A8D91", "other", 90, "A repaint or a colour not listed: say which in the colour note."),
]

MARKETS = [
    # country, delivered, approximate, source
    (
        "US",
        740,
        False,
        "739 customer cars + 1 Daytona pace car (a pre-production car that may count among the internal "
        "ones): bmwblog.com 2012-01-10, interview with BMW NA's M brand manager",
    ),
    ("CA", 220, False, "bmwblog.com 2020-03-17"),
    ("GB", 450, True, "About 450 sold: Autocar, quoted by carview.jp; caradvice.com.au 2013 gives an allocation of 400"),
    ("AU", 300, True, "More than 300: caradvice.com.au 2013 (the allocation started at about 100–130)"),
    ("ZA", 71, False, "sacarfan.co.za, April 2012"),
]


def seed(apps, schema_editor):
    RegisteredModel = apps.get_model("register", "RegisteredModel")
    Colour = apps.get_model("register", "Colour")
    Market = apps.get_model("register", "Market")
    RegisteredModel.objects.get_or_create(name=MODEL["name"], defaults=MODEL)
    for name, code, swatch, kind, order, note in COLOURS:
        Colour.objects.get_or_create(
            name=name, defaults={"paint_code": code, "hex": swatch, "kind": kind, "sort_order": order, "note": note}
        )
    for country, delivered, approximate, source in MARKETS:
        Market.objects.get_or_create(
            country=country, defaults={"delivered": delivered, "approximate": approximate, "source": source}
        )


class Migration(migrations.Migration):
    dependencies = [("register", "0001_initial")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
