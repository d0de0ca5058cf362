"""Bank statements read into credits: CAMT.053, MT940 and two German banks' CSV exports, written for the suite in
the banks' formats. Debits, zero and pending rows are left out; keys repeat on a re-import and an overlap."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from events.payment_reference import payment_reference_find
from payments.statements import SPARKASSE_CAMT_V2, Credit, CsvMapping, StatementError, statement_read

FILES = Path(__file__).parent / "files"


def read(name: str, **kwargs) -> list[Credit]:
    return statement_read((FILES / name).read_bytes(), filename=name, **kwargs)


def summary(credits: list[Credit]) -> list[tuple]:
    return [
        (credit.booked_on, credit.amount, credit.currency, credit.payer_name, credit.payer_iban, credit.remittance)
        for credit in credits
    ]


def hashed(credit: Credit) -> bool:
    return len(credit.bank_reference) == 64 and set(credit.bank_reference) <= set("0123456789abcdef")


def test_camt053_001_02_reads_each_transfer_of_the_booked_credits():
    credits = read("camt053_001_02.xml")

    assert summary(credits) == [
        (
            date(2024, 3, 15),
            Decimal("25.00"),
            "EUR",
            "Anna Schmidt",
            "DE44500105175407324931",
            "1m htwre y Anmeldung Konvoi",
        ),
        (
            date(2024, 3, 15),
            Decimal("45.00"),
            "EUR",
            "Jörg Müller",
            "DE02120300000000202051",
            "Startgeld 1M-PMN3 C-9 Nordschleife",
        ),
        (date(2024, 3, 15), Decimal("25.00"), "EUR", "Claire Dubois", "FR1420041010050500013M02606", "0001M-DF4GU-Q"),
        (date(2024, 3, 16), Decimal("30.00"), "EUR", "Lukas Becker", "DE75512108001245126199", "1M-YV96L-H"),
    ]
    assert [credit.bank_reference for credit in credits[:3]] == ["2024031500001", "2024031500002/1", "2024031500002/2"]
    assert hashed(credits[3])  # neither the entry nor the transfer carries the bank's reference
    assert all(type(credit.amount) is Decimal for credit in credits)


def test_camt053_references_survive_the_manglings_in_the_file():
    credits = read("camt053_001_02.xml")

    assert [payment_reference_find(credit.remittance) for credit in credits] == [
        ["1M-HTWRE-Y"],  # lower case with spaces
        ["1M-PMN3C-9"],  # broken across two Ustrd lines
        ["1M-DF4GU-Q"],  # leading zeros
        ["1M-YV96L-H"],
    ]


def test_camt053_debit_zero_and_pending_entries_are_left_out():
    credits = read("camt053_001_02.xml")

    assert "2024031500003" not in {credit.bank_reference for credit in credits}  # the debit
    assert Decimal("0.00") not in {credit.amount for credit in credits}
    assert "Sven Hoffmann" not in {credit.payer_name for credit in credits}  # PDNG


def test_camt053_later_versions_read_the_same_way():
    credits = read("camt053_001_08.xml")

    assert credits == [
        Credit(
            bank_reference="TX-20240320-0815",
            booked_on=date(2024, 3, 20),
            amount=Decimal("45.00"),
            currency="EUR",
            remittance="Anmeldung 1m-cae7j-h",
            payer_name="Markus Keller",
            payer_iban="DE75512108001245126199",
        )
    ]


def test_camt053_batch_transfer_without_its_own_amount_is_refused():
    data = (FILES / "camt053_001_02.xml").read_bytes().replace(b'<AmtDtls><TxAmt><Amt Ccy="EUR">45.00</Amt>', b"", 1)
    data = data.replace(
        b"</TxAmt></AmtDtls>\n            <RltdPties>\n              <Dbtr><Nm>J", b"<RltdPties><Dbtr><Nm>J"
    )

    with pytest.raises(StatementError, match="Entry 2 of the statement is a batch booking"):
        statement_read(data)


def test_mt940_reads_the_german_86_fields():
    credits = read("mt940_sparkasse.sta")

    assert summary(credits) == [
        (
            date(2024, 3, 15),
            Decimal("25.00"),
            "EUR",
            "Hans Jürgen Weber",
            "DE02120300000000202051",
            "Startgeld 1m-k7qxa-w Konvoi",
        ),
        (date(2024, 3, 18), Decimal("45.00"), "EUR", "Petra Lang", "DE02100100109307118603", "1M TQ3MX Y"),
        (date(2024, 3, 18), Decimal("45.00"), "EUR", "Petra Lang", "DE02100100109307118603", "1M TQ3MX Y"),
    ]
    assert [payment_reference_find(credit.remittance) for credit in credits] == [
        ["1M-K7QXA-W"],  # split over ?21 and ?22
        ["1M-TQ3MX-Y"],
        ["1M-TQ3MX-Y"],
    ]


def test_mt940_two_identical_transfers_on_one_day_keep_two_keys():
    credits = read("mt940_sparkasse.sta")

    assert all(hashed(credit) for credit in credits)
    assert len({credit.bank_reference for credit in credits}) == 3


def test_sparkasse_csv_camt_v2_reads_cp1252_with_thousands_and_two_digit_years():
    credits = read("sparkasse_csv_camt_v2.csv")

    assert summary(credits) == [
        (
            date(2024, 3, 20),
            Decimal("1234.56"),
            "EUR",
            "Jürgen Größ",
            "DE02120300000000202051",
            "Anmeldung 1M-RXP4K-Y Nordschleife und Konvoi",
        ),
        (date(2024, 3, 19), Decimal("25.00"), "EUR", "Hans Jürgen Weber", "DE44500105175407324931", "1m k7qxa w"),
    ]  # the debit (-80,00), the zero row and the pending ("Umsatz vorgemerkt") row are left out


def test_volksbank_csv_reads_utf8_with_a_byte_order_mark():
    credits = read("volksbank.csv")

    assert summary(credits) == [
        (
            date(2024, 3, 22),
            Decimal("90.00"),
            "EUR",
            "Sophie Wagner",
            "DE44500105175407324931",
            "Startgeld 1M-CAE7J-H GP-Strecke",
        ),
        (
            date(2024, 3, 23),
            Decimal("1045.00"),
            "EUR",
            "Thomas Fischer",
            "DE12500105170648489890",
            "Anmeldung 1M PMN3C 9, Konvoi",
        ),
    ]
    assert [payment_reference_find(credit.remittance) for credit in credits] == [["1M-CAE7J-H"], ["1M-PMN3C-9"]]


def test_csv_with_a_saved_mapping_reads_point_decimals_and_a_debit_column():
    mapping = CsvMapping(
        date_column="Date",
        amount_column="Amount",
        remittance_column="Reference",
        payer_name_column="Counterparty",
        bank_reference_column="Transaction ID",
        credit_debit_column="Dr/Cr",
        delimiter=",",
        decimal_separator=".",
        date_format="%Y-%m-%d",
        encoding="latin-1",
    )
    data = (
        "Bank export,created 2024-03-25\n\n"
        "Date,Transaction ID,Counterparty,Reference,Amount,Dr/Cr\n"
        '2024-03-25,T-1,Zoë Mäder,"1M-HTWRE-Y, Konvoi","1,045.00",H\n'
        "2024-03-25,T-2,Circuit,Invoice,300.00,S\n"
        ",,,Closing balance,\n"
    ).encode("latin-1")

    credits = statement_read(data, csv_mapping=mapping)

    assert credits == [
        Credit(
            bank_reference="T-1",
            booked_on=date(2024, 3, 25),
            amount=Decimal("1045.00"),
            currency="EUR",
            remittance="1M-HTWRE-Y, Konvoi",
            payer_name="Zoë Mäder",
            payer_iban="",
        )
    ]


@pytest.mark.parametrize(
    "name", ["camt053_001_02.xml", "camt053_001_08.xml", "mt940_sparkasse.sta", "sparkasse_csv_camt_v2.csv"]
)
def test_statement_read_again_gives_the_same_bank_references(name):
    assert [credit.bank_reference for credit in read(name)] == [credit.bank_reference for credit in read(name)]


def test_camt053_overlapping_statement_repeats_the_keys_of_the_shared_transfers():
    first, second = read("camt053_001_02.xml"), read("camt053_001_02_overlap.xml")

    shared = {credit.bank_reference for credit in first} & {credit.bank_reference for credit in second}

    assert shared == {"2024031500001", first[3].bank_reference}  # one by the bank's id, one by content hash
    assert second[2].bank_reference == "2024031700001"


def test_mt940_overlapping_statement_repeats_the_keys_of_the_shared_transfers():
    first, second = read("mt940_sparkasse.sta"), read("mt940_overlap.sta")

    assert [credit.bank_reference for credit in second[:2]] == [credit.bank_reference for credit in first[1:]]
    assert second[2].bank_reference not in {credit.bank_reference for credit in first}


def test_csv_key_does_not_depend_on_the_lines_around_it():
    data = (FILES / "sparkasse_csv_camt_v2.csv").read_bytes()
    header, *rows = data.split(b"\r\n")

    alone = statement_read(b"\r\n".join([header, rows[2]]))  # only the 25,00 from 19 March

    assert [credit.bank_reference for credit in alone] == [read("sparkasse_csv_camt_v2.csv")[1].bank_reference]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\x00\x01\x02garbage\xff\xfe", "The file is neither a CAMT.053 nor an MT940 statement"),
        (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "The file is neither a CAMT.053 nor an MT940"),
        (
            b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>',
            "The XML file is damaged or incomplete.",
        ),
        (
            b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>',
            "The XML file is not a CAMT.053 bank statement.",
        ),
        (b"<html><body>Login</body></html>", "The XML file is not a CAMT.053 bank statement."),
    ],
)
def test_statement_read_unreadable_file_is_refused(data, message):
    with pytest.raises(StatementError, match=message):
        statement_read(data)


def test_camt053_truncated_file_is_refused():
    data = (FILES / "camt053_001_02.xml").read_bytes()

    with pytest.raises(StatementError, match="The XML file is damaged or incomplete."):
        statement_read(data[: len(data) // 2])


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        b'<!DOCTYPE Document SYSTEM "file:///etc/passwd">',
        b'<!DOCTYPE Document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    ],
)
def test_camt053_with_a_document_type_is_refused_without_reading_a_file(doctype):
    data = (FILES / "camt053_001_08.xml").read_bytes()
    data = data.replace(b"?>\n", b"?>\n" + doctype + b"\n", 1).replace(b"Markus Keller", b"&xxe;&b;")

    with pytest.raises(StatementError) as caught:
        statement_read(data)

    assert str(caught.value) in (
        "The XML file declares a document type, which a bank statement never does.",
        "The XML file is damaged or incomplete.",
    )
    assert "root:" not in str(caught.value.__cause__ or "")


def test_camt053_entity_is_never_expanded_into_a_credit():
    data = (FILES / "camt053_001_08.xml").read_bytes()
    data = data.replace(b"?>\n", b'?>\n<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n', 1)
    data = data.replace(b"Markus Keller", b"&xxe;")

    with pytest.raises(StatementError, match="declares a document type"):
        statement_read(data)


@pytest.mark.parametrize(
    ("data", "kwargs", "german"),
    [
        (b"", {}, "Die Datei ist leer."),
        (b"<Document", {}, "Die XML-Datei ist beschädigt oder unvollständig."),
        (b'<Document xmlns="urn:example"/>', {}, "Die XML-Datei ist kein CAMT.053-Kontoauszug."),
        (b"a;b\n1;2\n", {}, "Die Datei ist weder ein CAMT.053- noch ein MT940-Kontoauszug"),
        (
            b"Buchungstag;Betrag;Verwendungszweck;Beguenstigter/Zahlungspflichtiger\n01.02.2024;25.00;x;y\n",
            {
                "csv_mapping": CsvMapping(
                    date_column="Buchungstag",
                    amount_column="Betrag",
                    remittance_column="Verwendungszweck",
                    payer_name_column="Beguenstigter/Zahlungspflichtiger",
                )
            },
            "Zeile 2 der CSV-Datei hat einen Betrag, der sich nicht lesen lässt: „25.00“.",
        ),
        (
            b"Buchungstag;Betrag;Verwendungszweck;Beguenstigter/Zahlungspflichtiger\n2024-02-01;25,00;x;y\n",
            {"csv_mapping": SPARKASSE_CAMT_V2},
            "Die CSV-Datei hat keine Kopfzeile mit den Spalten „Buchungstag“ und „Betrag“ dieser Zuordnung.",
        ),
    ],
)
def test_statement_error_is_german_in_german(data, kwargs, german):
    with translation.override("de"), pytest.raises(StatementError) as caught:
        statement_read(data, **kwargs)

    assert str(caught.value).startswith(german)


def test_mt940_broken_line_leaves_the_payers_details_out_of_the_log(caplog):
    # A damaged date, and the :86: marker lost, so the library's error message would carry the details.
    data = (FILES / "mt940_overlap.sta").read_bytes().replace(b"2403180318CR45,00", b"24031803X8CR45,00", 1)
    data = data.replace(b"8302000455\r\n:86:", b"8302000455 ", 1)

    with pytest.raises(StatementError, match="The MT940 file is damaged or incomplete."):
        statement_read(data)

    assert [record for record in caplog.records if b"Petra Lang" in record.getMessage().encode()] == []
