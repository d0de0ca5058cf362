"""CAMT.053 (ISO 20022 bank-to-customer statement), version 001.02 and every later one.

Credits are the booked entries (``Stmt/Ntry``) marked ``CRDT``; each ``NtryDtls/TxDtls`` of an entry is one
transfer (a batch booking carries several, each with its own amount). The file is parsed without a DTD, without
entities and without the network, and a file that declares a document type is refused: a statement never does,
and an attacker's XML (XXE, entity expansion) always does.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from lxml import etree

from payments.statements.credit import Credit, StatementError, credit_new

NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d{2}")
NOT_PROVIDED = "NOTPROVIDED"


def camt_read(data: bytes) -> list[tuple[Credit, str]]:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.LxmlError, ValueError) as error:
        raise StatementError(_("The XML file is damaged or incomplete.")) from error
    if root.getroottree().docinfo.doctype:
        raise StatementError(_("The XML file declares a document type, which a bank statement never does."))
    namespace = etree.QName(root).namespace or ""
    if not NAMESPACE.fullmatch(namespace) or etree.QName(root).localname != "Document":
        raise StatementError(_("The XML file is not a CAMT.053 bank statement."))
    ns = {"c": namespace}
    rows = []
    for number, entry in enumerate(root.iterfind("c:BkToCstmrStmt/c:Stmt/c:Ntry", ns), start=1):
        rows.extend(_entry_credits(entry, ns, number))
    return rows


def _entry_credits(entry, ns, number) -> list[tuple[Credit, str]]:
    # A reversal (RvslInd) marked CRDT gives back a debit (a refund that bounced): money in, but nobody's payment.
    if _text(entry, "c:CdtDbtInd", ns) != "CRDT" or _text(entry, "c:RvslInd", ns).lower() == "true":
        return []
    status = _text(entry, "c:Sts/c:Cd", ns) or _text(entry, "c:Sts", ns)
    if status and status != "BOOK":  # pending or information only: not money on the account yet
        return []
    entry_amount = _amount(entry, ns, number)
    booked_on = _booked_on(entry, ns, number)
    entry_reference = _text(entry, "c:AcctSvcrRef", ns)
    entry_info = _text(entry, "c:AddtlNtryInf", ns)
    details = entry.findall("c:NtryDtls/c:TxDtls", ns)
    if not details:
        amount, currency = entry_amount
        credit = credit_new(
            bank_reference=entry_reference,
            booked_on=booked_on,
            amount=amount,
            currency=currency,
            remittance=entry_info,
        )
        return [(credit, "")] if amount > 0 else []
    rows = []
    for index, detail in enumerate(details, start=1):
        if _text(detail, "c:CdtDbtInd", ns) not in ("", "CRDT"):
            continue
        if detail.find("c:Amt", ns) is not None:
            amount, currency = _amount(detail, ns, number)
        elif detail.find("c:AmtDtls/c:TxAmt/c:Amt", ns) is not None:  # 001.02 has no TxDtls/Amt
            amount, currency = _amount(detail, ns, number, path="c:AmtDtls/c:TxAmt/c:Amt")
        elif len(details) == 1:
            amount, currency = entry_amount
        else:
            raise StatementError(
                _("Entry %(number)s of the statement is a batch booking without the amount of each transfer.")
                % {"number": number}
            )
        if amount <= 0:
            continue
        bank_reference = _text(detail, "c:Refs/c:AcctSvcrRef", ns)
        if not bank_reference and entry_reference:
            bank_reference = entry_reference if len(details) == 1 else f"{entry_reference}/{index}"
        # The end-to-end id is the payer's (their software's) choice, not unique: it goes into the content hash
        # instead of being the key, so two transfers that reuse one are both counted.
        end_to_end = _text(detail, "c:Refs/c:EndToEndId", ns)
        remittance = " ".join(
            text
            for path in ("c:RmtInf/c:Ustrd", "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref")
            for element in detail.iterfind(path, ns)
            if (text := (element.text or "").strip())
        )
        credit = credit_new(
            bank_reference=bank_reference,
            booked_on=booked_on,
            amount=amount,
            currency=currency,
            remittance=remittance or _text(detail, "c:AddtlTxInf", ns) or entry_info,
            payer_name=_payer_name(detail, ns),
            payer_iban=_text(detail, "c:RltdPties/c:DbtrAcct/c:Id/c:IBAN", ns),
        )
        rows.append((credit, "" if end_to_end == NOT_PROVIDED else end_to_end))
    return rows


def _text(element, path, ns) -> str:
    return (element.findtext(path, default="", namespaces=ns) or "").strip()


def _payer_name(detail, ns) -> str:
    # 001.02–.06: Dbtr/Nm; from 001.07 on the debtor is a choice: Dbtr/Pty/Nm.
    for path in ("Dbtr/Nm", "Dbtr/Pty/Nm", "UltmtDbtr/Nm", "UltmtDbtr/Pty/Nm"):
        name = _text(detail, "c:RltdPties/" + "/".join(f"c:{part}" for part in path.split("/")), ns)
        if name:
            return name
    return ""


def _amount(element, ns, number, path="c:Amt") -> tuple[Decimal, str]:
    amount = element.find(path, ns)
    try:
        value = Decimal((amount.text or "").strip())
    except (AttributeError, InvalidOperation):
        value = None
    if value is None or not value.is_finite() or value < 0:
        raise StatementError(_("Entry %(number)s of the statement has no readable amount.") % {"number": number})
    return value, amount.get("Ccy", "")


def _booked_on(entry, ns, number) -> date:
    text = _text(entry, "c:BookgDt/c:Dt", ns) or _text(entry, "c:BookgDt/c:DtTm", ns)[:10]
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise StatementError(
            _("Entry %(number)s of the statement has no readable booking date.") % {"number": number}
        ) from error
