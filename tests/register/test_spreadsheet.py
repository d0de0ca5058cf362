"""CSV files as a spreadsheet opens them: the BOM, the separator of the reader's language, both read back."""

from __future__ import annotations

import csv
import io

import pytest
import tablib
from django.utils import translation

from register.spreadsheet import BOM, SpreadsheetCSV, csv_separator, csv_separator_read


@pytest.mark.parametrize(
    ("language", "choice", "separator"),
    [
        ("en", None, ","),
        ("de", None, ";"),
        ("de-at", None, ";"),
        ("en", "semicolon", ";"),
        ("de", "comma", ","),
        ("de", ";", ";"),  # not a name of SEPARATORS: the language's default
        ("en", "tab", ","),
    ],
)
def test_csv_separator_is_the_choice_or_the_languages_default(language, choice, separator):
    with translation.override(language):
        assert csv_separator(choice) == separator


@pytest.mark.parametrize(("language", "separator"), [("en", ","), ("de", ";")])
def test_spreadsheet_csv_writes_the_bom_and_the_languages_separator_and_reads_it_back(language, separator):
    dataset = tablib.Dataset(["Kürbis; rot, schnell", "7"], headers=["nickname", "slot"])

    with translation.override(language):
        text = SpreadsheetCSV().export_data(dataset)

    assert text.startswith(BOM + f"nickname{separator}slot\r\n")
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline=""), delimiter=separator))
    assert rows == [["nickname", "slot"], ["Kürbis; rot, schnell", "7"]]
    # Read back whatever the language of the one who uploads it.
    with translation.override("en" if language == "de" else "de"):
        back = SpreadsheetCSV(encoding="utf-8-sig").create_dataset(text.encode("utf-8"))
    assert (back.headers, back[0]) == (["nickname", "slot"], ("Kürbis; rot, schnell", "7"))


@pytest.mark.parametrize(
    ("first_line", "separator"),
    [("vin,colour,market", ","), ("vin;colour;market", ";"), ("vin", ","), ('"a;b",c,d', ",")],
)
def test_csv_separator_read_goes_by_the_column_names(first_line, separator):
    assert csv_separator_read(first_line + "\r\n1;2,3") == separator
