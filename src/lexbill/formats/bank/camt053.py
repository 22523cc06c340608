"""ISO 20022 camt.053 bank-to-customer statements (versions 001.02 and 001.08), schema-checked.

The file is parsed with lxml (entities and network access off) and validated against the official
XSD vendored under ``lexbill/formats/data/iso20022`` before a single value is read, so a statement
the bank's own schema would reject is refused, naming the line lxml reports.

One ``Ntry`` becomes one entry; a batch entry's transaction details (remittance texts, end-to-end
ids, the debtor's name) are joined onto it. Only booked entries (``Sts`` BOOK) are read: pending
and information-only entries are not money on the account yet.
"""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

from lxml import etree

from lexbill.formats.bank.model import BankEntry, BankStatement, BankStatementError

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"
VERSIONS = ("02", "08")


@functools.cache
def schema(version: str) -> Any:
    """The official XSD for camt.053.001.<version>, parsed once per process."""
    source = resources.files("lexbill.formats").joinpath(
        f"data/iso20022/camt.053.001.{version}.xsd"
    )
    with resources.as_file(source) as path:
        return etree.XMLSchema(etree.parse(str(path)))


def _parse(data: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise BankStatementError(f"not well-formed XML: {exc.msg}", line=exc.lineno) from None
    if root.getroottree().docinfo.doctype:
        # a bank statement has no DTD; one here can only be trying entity tricks
        raise BankStatementError("a statement must not declare a DOCTYPE", line=1)
    return root


def _version(root: Any) -> str:
    namespace = etree.QName(root).namespace or ""
    for version in VERSIONS:
        if namespace == NAMESPACE.format(version=version):
            return version
    raise BankStatementError(
        f"not a camt.053 statement this reader knows (namespace {namespace or 'none'!r}; "
        f"expected camt.053.001.{' or .'.join(VERSIONS)})",
        line=root.sourceline,
    )


def validate(root: Any, version: str) -> None:
    """Refuse a document its XSD rejects; the message lists the first few problems."""
    checker = schema(version)
    try:
        if checker.validate(root):
            return
    except etree.XMLSchemaValidateError as exc:
        raise BankStatementError(f"not valid camt.053.001.{version}: {exc}", line=1) from None
    errors = list(checker.error_log)
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    raise BankStatementError(
        f"not valid camt.053.001.{version}: {first.message}{more}", line=first.line
    )


class _Reader:
    """XPath-ish lookups in the statement's namespace, and typed values with their lines."""

    def __init__(self, namespace: str) -> None:
        self.ns = {"c": namespace}

    def all(self, node: Any, path: str) -> list[Any]:
        return list(node.findall(path, self.ns))

    def one(self, node: Any, path: str) -> Any | None:
        return node.find(path, self.ns)

    def text(self, node: Any, path: str) -> str:
        found = self.one(node, path)
        return (found.text or "").strip() if found is not None else ""

    def day(self, node: Any, path: str) -> date | None:
        """A ``Dt`` or ``DtTm`` choice under ``path`` (the schema has already checked the form)."""
        parent = self.one(node, path)
        if parent is None:
            return None
        raw = self.text(parent, "c:Dt") or self.text(parent, "c:DtTm")[:10]
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise BankStatementError(
                f"{raw!r} is not a date", line=parent.sourceline, field=path
            ) from None

    def amount(self, node: Any) -> tuple[Decimal, str]:
        """``Amt`` with its currency, signed by ``CdtDbtInd`` (credit +, debit −)."""
        element = self.one(node, "c:Amt")
        if element is None:
            raise BankStatementError("no <Amt>", line=node.sourceline, field="Amt")
        try:
            value = Decimal((element.text or "").strip())
        except InvalidOperation:
            raise BankStatementError(
                f"{element.text!r} is not an amount", line=element.sourceline, field="Amt"
            ) from None
        sign = -1 if self.text(node, "c:CdtDbtInd") == "DBIT" else 1
        return sign * value, str(element.get("Ccy", ""))


def _balances(read: _Reader, statement: Any) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for balance in read.all(statement, "c:Bal"):
        code = read.text(balance, "c:Tp/c:CdOrPrtry/c:Cd") or read.text(
            balance, "c:Tp/c:CdOrPrtry/c:Prtry"
        )
        found.setdefault(code, read.amount(balance)[0])
    return found


def _status(read: _Reader, entry: Any) -> str:
    # .02 writes <Sts>BOOK</Sts>; .08 writes <Sts><Cd>BOOK</Cd></Sts>
    return read.text(entry, "c:Sts/c:Cd") or read.text(entry, "c:Sts")


def _party(read: _Reader, details: Any, role: str) -> str:
    return read.text(details, f"c:RltdPties/c:{role}/c:Nm") or read.text(
        details, f"c:RltdPties/c:{role}/c:Pty/c:Nm"
    )


def _unique(values: list[str]) -> list[str]:
    return [v for i, v in enumerate(values) if v and v not in values[:i]]


def _entry(read: _Reader, entry: Any, currency: str) -> BankEntry:
    amount, entry_currency = read.amount(entry)
    if read.text(entry, "c:RvslInd") == "true":
        amount = -amount  # a reversal undoes the original's direction
    booked = read.day(entry, "c:BookgDt") or read.day(entry, "c:ValDt")
    if booked is None:
        raise BankStatementError(
            "the entry has no booking or value date", line=entry.sourceline, field="BookgDt"
        )
    details = read.all(entry, "c:NtryDtls/c:TxDtls")
    counter_role = "Dbtr" if amount > 0 else "Cdtr"
    remittance = []
    for tx in details:
        remittance += [(u.text or "").strip() for u in read.all(tx, "c:RmtInf/c:Ustrd")]
        remittance += [
            (r.text or "").strip() for r in read.all(tx, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref")
        ]
    if not any(remittance):
        remittance.append(read.text(entry, "c:AddtlNtryInf"))
    end_to_end = [read.text(tx, "c:Refs/c:EndToEndId") for tx in details]
    code = [
        read.text(entry, "c:BkTxCd/c:Domn/c:Cd"),
        read.text(entry, "c:BkTxCd/c:Domn/c:Fmly/c:Cd"),
        read.text(entry, "c:BkTxCd/c:Domn/c:Fmly/c:SubFmlyCd"),
    ]
    checks = [read.text(tx, "c:Refs/c:ChqNb") for tx in details]
    return BankEntry(
        line=entry.sourceline,
        booked_on=booked,
        value_on=read.day(entry, "c:ValDt"),
        amount=amount,
        currency=entry_currency or currency,
        bank_ref=(
            read.text(entry, "c:AcctSvcrRef")
            or read.text(entry, "c:NtryRef")
            or next(iter(_unique([read.text(tx, "c:Refs/c:AcctSvcrRef") for tx in details])), "")
        ),
        end_to_end_id=" ".join(e for e in _unique(end_to_end) if e != "NOTPROVIDED"),
        reference=" ".join(_unique(remittance)),
        counterparty="; ".join(_unique([_party(read, tx, counter_role) for tx in details])),
        kind="-".join(c for c in code if c) or read.text(entry, "c:BkTxCd/c:Prtry/c:Cd"),
        check_number=" ".join(_unique(checks)),
    )


def read_camt053(data: bytes) -> BankStatement:
    """Parse and schema-validate a camt.053 statement with exactly one ``Stmt``."""
    root = _parse(data)
    version = _version(root)
    validate(root, version)
    read = _Reader(NAMESPACE.format(version=version))
    statements = read.all(root, "c:BkToCstmrStmt/c:Stmt")
    if len(statements) != 1:
        raise BankStatementError(
            f"the file holds {len(statements)} statements; export one account per file",
            line=statements[1].sourceline if len(statements) > 1 else root.sourceline,
        )
    statement = statements[0]
    account = read.text(statement, "c:Acct/c:Id/c:IBAN") or read.text(
        statement, "c:Acct/c:Id/c:Othr/c:Id"
    )
    balances = _balances(read, statement)
    currency = read.text(statement, "c:Acct/c:Ccy")
    if not currency:
        amounts = read.all(statement, "c:Bal/c:Amt") + read.all(statement, "c:Ntry/c:Amt")
        currency = str(amounts[0].get("Ccy")) if amounts else ""
    period = read.one(statement, "c:FrToDt")
    entries = tuple(
        _entry(read, entry, currency)
        for entry in read.all(statement, "c:Ntry")
        if _status(read, entry) == "BOOK"
    )
    return BankStatement(
        format="camt053",
        account_id=account,
        currency=currency,
        entries=entries,
        opening_balance=balances.get("OPBD", balances.get("PRCD")),
        closing_balance=balances.get("CLBD"),
        period_start=_period_day(read, period, "c:FrDtTm"),
        period_end=_period_day(read, period, "c:ToDtTm"),
    )


def _period_day(read: _Reader, period: Any | None, path: str) -> date | None:
    """The day of a period bound; xs:dateTime allows years (12345, -0001) a ``date`` can't hold."""
    if period is None:
        return None
    raw = read.text(period, path)
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise BankStatementError(
            f"{raw!r} is not a date this reader can use", line=period.sourceline, field=path[2:]
        ) from None
