"""Why the register keeps personal data, on what legal basis, and for how long: the purposes the map
(``portal.privacy.datamap``) refers to, each field by the key of one of them.

Legal bases are those of Art. 6(1) GDPR (https://eur-lex.europa.eu/eli/reg/2016/679/oj, Art. 6). The books: a
club's accounts and their receipts are kept ten years from the end of the calendar year
(https://www.gesetze-im-internet.de/hgb/__257.html, https://www.gesetze-im-internet.de/ao_1977/__147.html);
``BOOKS_KEPT_YEARS`` says how many the club applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

GDPR_URL = "https://eur-lex.europa.eu/eli/reg/2016/679/oj"
HGB_257_URL = "https://www.gesetze-im-internet.de/hgb/__257.html"
AO_147_URL = "https://www.gesetze-im-internet.de/ao_1977/__147.html"
BGB_195_URL = "https://www.gesetze-im-internet.de/bgb/__195.html"
BGB_199_URL = "https://www.gesetze-im-internet.de/bgb/__199.html"

CONSENT = _("Consent (Art. 6(1)(a) GDPR)")
CONTRACT = _("Membership and the services you asked for (Art. 6(1)(b) GDPR)")
LEGAL_OBLIGATION = _("Legal obligation (Art. 6(1)(c) GDPR)")
LEGITIMATE_INTEREST = _("Legitimate interest (Art. 6(1)(f) GDPR)")


@dataclass(frozen=True)
class Purpose:
    why: str
    basis: str
    # How long, in words; may name the limits of ``limits()`` as %(name)d.
    kept: str
    sources: tuple[str, ...] = ()

    def kept_text(self) -> str:
        text = str(self.kept)
        return text % limits() if "%(" in text else text


def limits() -> dict[str, int]:
    """The time limits as the settings have them today (the privacy page and the retention job read the same)."""
    return {
        "mail_days": settings.MAIL_RECORDS_KEPT.days,
        "login_days": settings.LOGIN_RECORDS_KEPT.days,
        "vin_days": settings.VIN_CHECK_COUNTERS_KEPT.days,
        "session_days": settings.SESSION_COOKIE_AGE // 86400,
        "books_years": settings.BOOKS_KEPT_YEARS,
        "declarations_years": settings.DECLARATIONS_KEPT_YEARS,
        "passenger_days": settings.PASSENGER_NAMES_KEPT.days,
        "gate_days": settings.GATE_DATA_KEPT_DAYS,
    }


PURPOSES: dict[str, Purpose] = {
    "account": Purpose(
        _("Your account: logging in, your garage, your entries, and the mail the register sends you."),
        CONTRACT,
        _("While your account exists."),
    ),
    "public_name": Purpose(
        _("Your name on public pages, only if you switch it on in your profile."),
        CONSENT,
        _("Until you switch it off or delete your account."),
    ),
    "register": Purpose(
        _("The register of the cars: each car, its photos, and who owned it when."),
        LEGITIMATE_INTEREST,
        _("As long as the register exists. When you delete your account, your cars stay, without your name."),
    ),
    "claims": Purpose(
        _("The registrars' decision on who owns a car."),
        LEGITIMATE_INTEREST,
        _(
            "The decision stays with the car. The registration document is deleted once the claim is decided; "
            "your message is erased with your account."
        ),
    ),
    "events": Purpose(
        _("Your entries at events: places, tickets, check-in and fees due."),
        CONTRACT,
        _("With the car's history of events. When you delete your account, the entries stay without you."),
    ),
    "declarations": Purpose(
        _(
            "The declaration you sign before driving on track: proof of what you read and agreed to, should "
            "anything happen."
        ),
        LEGITIMATE_INTEREST,
        _(
            "Your name, your drawn signature and the signed PDF: %(declarations_years)d years after the end of the "
            "year of the event (the regular limitation period), or until you delete your account. Then only the "
            "record that a version was signed, when, and the PDF's fingerprint (SHA-256) remain."
        ),
        (BGB_195_URL, BGB_199_URL),
    ),
    "passengers": Purpose(
        _("The passenger you take along, for the organisers at the gate."),
        CONTRACT,
        _("%(passenger_days)d days after the end of the event."),
    ),
    "gate": Purpose(
        _(
            "Safety at the event: whom the organisers call if something happens to you, and what the gate needs to "
            "know about your entry. Only the event's organisers see it."
        ),
        LEGITIMATE_INTEREST,
        _("Until %(gate_days)d days after the event's last day, then erased."),
    ),
    "mail": Purpose(
        _("A record of the mail the register sent you. A mail with a personal link or code loses its text once sent."),
        LEGITIMATE_INTEREST,
        _(
            "%(mail_days)d days after it was sent, or until you delete your account (the mails about the entries "
            "that deletion cancels: the day after they are sent)."
        ),
    ),
    "security": Purpose(
        _("Stopping password guessing and the guessing of VINs."),
        LEGITIMATE_INTEREST,
        _("Login records %(login_days)d days; VIN check counters %(vin_days)d days after the last check."),
    ),
    "session": Purpose(
        _("Keeping you logged in."),
        CONTRACT,
        _("Until you log out or the login expires (%(session_days)d days)."),
    ),
    "books": Purpose(
        _("The club's books: fees paid, and fees paid back."),
        LEGAL_OBLIGATION,
        _("%(books_years)d years after the end of the year of the payment, also when you delete your account."),
        (HGB_257_URL, AO_147_URL),
    ),
    "staff": Purpose(
        _("Which member of staff did what (the audit trail)."),
        LEGITIMATE_INTEREST,
        _("Kept; when an account is deleted, its name in these records is replaced by “deleted account”."),
    ),
    "requests": Purpose(
        _("The record that your data was handed to you or erased."),
        LEGAL_OBLIGATION,
        _("Kept; it names your account by its number only."),
        (GDPR_URL,),
    ),
}
