"""VIN validation for the registered model: one pure function used everywhere.

Rules from ISO 3779 and 49 CFR 565 (check digit: 49 CFR 565.25). The model's own facts (WMI,
VDS prefix, model-year codes) come from the ``RegisteredModel`` row and are
passed in, so nothing about the car is hard-coded here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override

VIN_LENGTH = 17
FORBIDDEN = "IOQ"
NORTH_AMERICAN_MARKETS = frozenset({"US", "CA"})
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_LETTER_VALUES = dict(
    zip(
        "ABCDEFGHJKLMNPRSTUVWXYZ",
        (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9),
        strict=True,
    )
)


@dataclass(frozen=True)
class VinFlagRules:
    """What the model facts say about positions 7, 10 and 11 (``RegisteredModel``; passed in).

    A mismatch is a flag for the registrar, never an error: these facts are of medium confidence.
    """

    north_american_markets: frozenset[str] = NORTH_AMERICAN_MARKETS
    right_hand_markets: frozenset[str] = frozenset()
    position7_north_america: str = "C3"
    position7_left_hand: str = "1"
    position7_right_hand: str = "2"
    north_american_year_codes: str = ""
    plant_codes: str = ""


@dataclass(frozen=True)
class VinResult:
    vin: str
    errors: list[str] = field(default_factory=list)
    check_digit_flag: str = ""
    flags: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors


def normalise_vin(raw: str) -> str:
    return "".join(ch for ch in str(raw or "") if ch not in " -\t\r\n").upper()


def check_digit(vin: str) -> str:
    """The check digit (position 9) that 49 CFR 565.25 gives for a 17-character VIN."""
    total = 0
    for ch, weight in zip(vin, WEIGHTS, strict=True):
        value = int(ch) if ch.isdigit() else _LETTER_VALUES[ch]
        total += value * weight
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def check_digit_note(vin: str) -> str:
    """What is wrong with the VIN's check digit (position 9), in the active language: the sentence of a
    check-digit flag, built from the VIN whenever it is shown (``Car.check_digit_note``)."""
    return _("Position 9: the check digit should be %(expected)s, found %(found)s.") % {
        "expected": check_digit(vin),
        "found": vin[8],
    }


def is_north_american(vin: str, market: str | None, rules: VinFlagRules | None = None) -> bool:
    rules = rules or VinFlagRules()
    return (market or "").upper() in rules.north_american_markets or (
        bool(vin[6:7]) and vin[6:7] in rules.position7_north_america
    )


def vin_flags(vin: str, market: str | None, rules: VinFlagRules) -> list[str]:
    """Flags for the registrar about a well-formed VIN: position 7 against the declared market, the
    model year of a North American car, the plant (position 11)."""
    flags = []
    market = (market or "").upper()
    if market:
        if market in rules.north_american_markets:
            expected, where = rules.position7_north_america, _("a North American car")
        elif market in rules.right_hand_markets:
            expected, where = rules.position7_right_hand, _("a right-hand-drive market")
        else:
            expected, where = rules.position7_left_hand, _("a left-hand-drive market outside North America")
        if expected and vin[6] not in expected:
            flags.append(
                _("Position 7: %(found)s, but the market %(market)s is %(where)s (expected %(expected)s).")
                % {"found": vin[6], "market": market, "where": where, "expected": ", ".join(expected)}
            )
    na_years = rules.north_american_year_codes
    if na_years and is_north_american(vin, market, rules) and vin[9] not in na_years:
        flags.append(
            _("Position 10: model year %(found)s, but North American cars were built as model year %(codes)s.")
            % {"found": vin[9], "codes": ", ".join(na_years)}
        )
    if rules.plant_codes and vin[10] not in rules.plant_codes:
        flags.append(
            _("Position 11: plant code %(found)s, but the model was built at plant %(codes)s.")
            % {"found": vin[10], "codes": ", ".join(rules.plant_codes)}
        )
    return flags


def validate_vin(
    raw: str,
    *,
    market: str | None = None,
    wmi: str | None = "WBS",
    vds_prefix: str | None = "UR9",
    year_codes: str = "BC0",
    rules: VinFlagRules | None = None,
) -> VinResult:
    """Normalise and check a VIN.

    Errors block saving. A check-digit mismatch is an error for North American
    VINs and only a flag for the registrar elsewhere, where BMW's use of the
    check digit is not reliable. With ``rules``, a valid VIN also gets the
    registrar's flags of ``vin_flags`` (never errors).
    """
    vin = normalise_vin(raw)
    errors: list[str] = []
    if not vin:
        return VinResult(vin, [_("Enter the 17-character VIN.")])
    if len(vin) != VIN_LENGTH:
        errors.append(_("A VIN has 17 characters; this one has %(count)d.") % {"count": len(vin)})
    for pos, ch in enumerate(vin, start=1):
        if ch in FORBIDDEN:
            errors.append(
                _("Position %(pos)d: the letter %(ch)s is never used in a VIN (I, O and Q are not allowed).")
                % {"pos": pos, "ch": ch}
            )
        elif not ("0" <= ch <= "9" or "A" <= ch <= "Z"):
            errors.append(
                _("Position %(pos)d: “%(ch)s” is not allowed; use digits and capital letters.")
                % {"pos": pos, "ch": ch}
            )
    if errors:
        return VinResult(vin, errors)

    if wmi and vin[:3] != wmi:
        errors.append(
            _("Positions 1–3: expected the manufacturer code %(expected)s, found %(found)s.")
            % {"expected": wmi, "found": vin[:3]}
        )
    if vds_prefix and vin[3 : 3 + len(vds_prefix)] != vds_prefix:
        end = 3 + len(vds_prefix)
        errors.append(
            _("Positions 4–%(end)d: expected %(expected)s for this model, found %(found)s.")
            % {"end": end, "expected": vds_prefix, "found": vin[3:end]}
        )
    if year_codes and vin[9] not in year_codes:
        errors.append(
            _("Position 10: expected a model-year code (%(codes)s), found %(found)s.")
            % {"codes": ", ".join(year_codes), "found": vin[9]}
        )

    flag = ""
    if vin[8] != check_digit(vin):
        if is_north_american(vin, market, rules):
            errors.append(check_digit_note(vin))
        else:
            # Stored on the car in the site's language whoever registers it; shown in the reader's
            # language by Car.check_digit_note, which builds the sentence again from the VIN.
            with override(settings.LANGUAGE_CODE):
                flag = check_digit_note(vin)
    flags = vin_flags(vin, market, rules) if rules and not errors else []
    return VinResult(vin, errors, flag, flags)
