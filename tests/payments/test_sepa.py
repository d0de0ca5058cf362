from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
from django.core.exceptions import ImproperlyConfigured
from lxml import etree

from payments.sepa import RefundLine, amount_cents, refunds_pain001, sepa_text

XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
EXECUTION = date(2026, 5, 4)


@pytest.fixture(autouse=True)
def _club_account(settings):
    settings.PAYMENT_ACCOUNT_HOLDER = "1M Register e.V."
    settings.PAYMENT_IBAN = "DE89370400440532013000"
    settings.PAYMENT_BIC = "COBADEFFXXX"


def line(**fields) -> RefundLine:
    defaults = {
        "name": "Anna Berger",
        "iban": "DE02120300000000202051",
        "amount": Decimal("25.00"),
        "description": "Refund 1M-K7QXA-4",
    }
    return RefundLine(**(defaults | fields))


def export(refunds, message_id="REFUNDS-2026-05-04") -> etree._Element:
    """The file, parsed and validated against the official schema by lxml (sepaxml itself uses xmlschema)."""
    document = etree.fromstring(refunds_pain001(refunds, execution_date=EXECUTION, message_id=message_id))
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    schema.assertValid(document)
    return document


def texts(document, path) -> list[str]:
    return [element.text for element in document.xpath(path, namespaces=NS)]


def test_refunds_pain001_several_refunds_valid_with_counts_and_sums():
    refunds = [
        line(),
        line(name="Jürgen Weiß", iban="AT611904300234573201", amount=Decimal("0.10"), bic="BKAUATWW"),
        line(name="Carla Diaz", iban="nl91 abna 0417 1643 00", amount=Decimal("35"), description="Refund 1M-CDEFG-7"),
    ]

    document = export(refunds)

    header = "/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr"
    assert texts(document, f"{header}/p:MsgId") == ["REFUNDS-2026-05-04"]
    assert texts(document, f"{header}/p:NbOfTxs") == ["3"]
    assert texts(document, f"{header}/p:CtrlSum") == ["60.10"]
    assert texts(document, "//p:PmtInf/p:NbOfTxs") == ["3"]
    assert texts(document, "//p:PmtInf/p:CtrlSum") == ["60.10"]
    assert texts(document, "//p:PmtInf/p:PmtMtd") == ["TRF"]
    assert texts(document, "//p:PmtInf/p:ReqdExctnDt") == ["2026-05-04"]
    transactions = [
        (
            texts(tx, "p:Cdtr/p:Nm"),
            texts(tx, "p:CdtrAcct/p:Id/p:IBAN"),
            texts(tx, "p:CdtrAgt/p:FinInstnId/p:BIC"),
            texts(tx, "p:Amt/p:InstdAmt"),
            texts(tx, "p:RmtInf/p:Ustrd"),
        )
        for tx in document.xpath("//p:CdtTrfTxInf", namespaces=NS)
    ]
    assert transactions == [
        (["Anna Berger"], ["DE02120300000000202051"], [], ["25.00"], ["Refund 1M-K7QXA-4"]),
        (["Juergen Weiss"], ["AT611904300234573201"], ["BKAUATWW"], ["0.10"], ["Refund 1M-K7QXA-4"]),
        (["Carla Diaz"], ["NL91ABNA0417164300"], [], ["35.00"], ["Refund 1M-CDEFG-7"]),
    ]
    assert [amount.get("Ccy") for amount in document.xpath("//p:InstdAmt", namespaces=NS)] == ["EUR", "EUR", "EUR"]
    assert texts(document, "//p:CdtTrfTxInf/p:PmtId/p:EndToEndId") == ["NOTPROVIDED"] * 3


def test_refunds_pain001_debtor_is_the_club():
    document = export([line()])

    assert texts(document, "//p:GrpHdr/p:InitgPty/p:Nm") == ["1M Register e.V."]
    assert texts(document, "//p:PmtInf/p:Dbtr/p:Nm") == ["1M Register e.V."]
    assert texts(document, "//p:PmtInf/p:DbtrAcct/p:Id/p:IBAN") == ["DE89370400440532013000"]
    assert texts(document, "//p:PmtInf/p:DbtrAgt/p:FinInstnId/p:BIC") == ["COBADEFFXXX"]
    assert texts(document, "//p:PmtInf/p:ChrgBr") == ["SLEV"]


def test_refunds_pain001_club_bic_empty_taken_from_german_iban(settings):
    settings.PAYMENT_BIC = ""

    document = export([line()])

    assert texts(document, "//p:PmtInf/p:DbtrAgt/p:FinInstnId/p:BIC") == ["COBADEFFXXX"]


@pytest.mark.parametrize(
    ("holder", "iban", "bic"),
    [("", "DE89370400440532013000", "COBADEFFXXX"), ("1M Register e.V.", "", ""), ("1M", "AT611904300234573201", "")],
)
def test_refunds_pain001_club_account_missing_refused(settings, holder, iban, bic):
    settings.PAYMENT_ACCOUNT_HOLDER, settings.PAYMENT_IBAN, settings.PAYMENT_BIC = holder, iban, bic

    with pytest.raises(ImproperlyConfigured):
        refunds_pain001([line()], execution_date=EXECUTION, message_id="REFUNDS-1")


def test_refunds_pain001_end_to_end_id_passed_to_the_bank():
    document = export([line(end_to_end_id="REFUND-42")])

    assert texts(document, "//p:CdtTrfTxInf/p:PmtId/p:EndToEndId") == ["REFUND-42"]


def test_refunds_pain001_long_texts_cut_to_the_schema():
    document = export([line(name="Anna " + "B" * 80, description="Refund " + "x" * 200)])

    assert texts(document, "//p:Cdtr/p:Nm") == ["Anna " + "B" * 65]
    assert texts(document, "//p:RmtInf/p:Ustrd") == ["Refund " + "x" * 133]


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("Jürgen Weiß", "Juergen Weiss"),
        ("ÄRGER ÖL ÜBER ẞ", "AeRGER OeL UeBER SS"),
        ("Zoë O'Neil-Lefèvre", "Zoe O'Neil-Lefevre"),
        ("Max & Moritz GmbH", "Max Moritz GmbH"),
        ('Refund "1M-K7QXA-4"\nthanks!', "Refund 1M-K7QXA-4 thanks"),
        ("  Ana   Łukasz  ", "Ana Lukasz"),
    ],
)
def test_sepa_text_only_sepa_characters(text, cleaned):
    assert sepa_text(text, length=70) == cleaned


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        (Decimal("25.00"), 2500),
        (Decimal("0.10"), 10),
        (Decimal("0.01"), 1),
        (Decimal("35"), 3500),
        (Decimal("25.000"), 2500),
        (Decimal("999999999.99"), 99999999999),
    ],
)
def test_amount_cents_exact(amount, cents):
    assert amount_cents(amount) == cents


@pytest.mark.parametrize(
    "amount",
    [
        25.0,
        0.1,
        25,
        "25.00",
        None,
        Decimal("25.001"),
        Decimal("0.005"),
        Decimal("0"),
        Decimal("0.00"),
        Decimal("-5.00"),
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("1000000000.00"),
    ],
)
def test_refunds_pain001_bad_amount_refused(amount):
    with pytest.raises(ValueError):
        refunds_pain001([line(amount=amount)], execution_date=EXECUTION, message_id="REFUNDS-1")


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013001",  # check digits
        "DE8937040044053201300",  # length
        "XX89370400440532013000",  # country
        "DE89 3704 0044 0532 0130 00!",
        "",
    ],
)
def test_refunds_pain001_invalid_iban_refused(iban):
    with pytest.raises(ValueError, match="not a valid IBAN"):
        refunds_pain001([line(), line(iban=iban)], execution_date=EXECUTION, message_id="REFUNDS-1")


def test_refunds_pain001_invalid_bic_refused():
    with pytest.raises(ValueError, match="not a valid BIC"):
        refunds_pain001([line(bic="COBADEFF1")], execution_date=EXECUTION, message_id="REFUNDS-1")


@pytest.mark.parametrize(("name", "description"), [("☃☃", "Refund 1M-K7QXA-4"), ("Anna", "  ")])
def test_refunds_pain001_nothing_left_after_cleaning_refused(name, description):
    with pytest.raises(ValueError, match="a name and a text are needed"):
        refunds_pain001([line(name=name, description=description)], execution_date=EXECUTION, message_id="R-1")


def test_refunds_pain001_empty_list_refused():
    with pytest.raises(ValueError, match="no refunds"):
        refunds_pain001([], execution_date=EXECUTION, message_id="REFUNDS-1")


@pytest.mark.parametrize("message_id", ["", "R" * 36, "Refunds für Mai", " REFUNDS-1", "REFUNDS&1"])
def test_refunds_pain001_bad_message_id_refused(message_id):
    with pytest.raises(ValueError, match="A message id"):
        refunds_pain001([line()], execution_date=EXECUTION, message_id=message_id)


def test_refunds_pain001_bad_end_to_end_id_refused():
    with pytest.raises(ValueError, match="An end-to-end id"):
        refunds_pain001([line(end_to_end_id="R" * 36)], execution_date=EXECUTION, message_id="REFUNDS-1")
