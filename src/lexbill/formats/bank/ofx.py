"""OFX bank statements: 1.x (SGML, leaf tags left open) and 2.x (XML), one small reader for both.

A hand-written reader rather than a library because refusing a bad file must name its line, and
the part of OFX a statement needs is small: ``BANKACCTFROM`` (or ``CCACCTFROM``), ``CURDEF``,
``BANKTRANLIST`` with its ``STMTTRN`` records, and ``LEDGERBAL``.

The text is tokenised into tags; an opening tag followed by text is a leaf (its closing tag, as
OFX 2 writes it, is optional), one followed by another tag opens an aggregate that its closing tag
ends. An aggregate never closed means the file was cut short, and the file is refused.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from lexbill.formats.bank.model import BankEntry, BankStatement, BankStatementError, line_of_offset


@dataclass
class Node:
    tag: str
    line: int
    text: str = ""
    children: list[Node] = field(default_factory=list)

    def find(self, tag: str) -> Node | None:
        for child in self.children:
            if child.tag == tag:
                return child
        return None

    def findall(self, tag: str) -> list[Node]:
        return [c for c in self.children if c.tag == tag]

    def walk(self, tag: str) -> list[Node]:
        """Every descendant with the tag, in file order.

        Iterative, not recursive: a file nesting thousands of aggregates must be refused, not
        overflow the stack."""
        found = []
        pending = list(reversed(self.children))
        while pending:
            node = pending.pop()
            if node.tag == tag:
                found.append(node)
            pending.extend(reversed(node.children))
        return found

    def value(self, tag: str) -> str:
        child = self.find(tag)
        return child.text if child is not None else ""


_TAG = re.compile(r"<(/?)([A-Za-z0-9_.]+)\s*>([^<]*)")
_CHARSET = re.compile(rb"^\s*CHARSET:\s*(\S+)", re.MULTILINE)
_ENCODING_DECL = re.compile(rb"encoding=[\"']([A-Za-z0-9_-]+)[\"']")


def _decode(data: bytes) -> str:
    head = data[:1024]
    if head.lstrip().startswith(b"<?xml"):
        declared = _ENCODING_DECL.search(head)
        encodings = [declared.group(1).decode() if declared else "utf-8"]
    else:
        charset = _CHARSET.search(head)
        if charset is not None and charset.group(1).strip().upper() in {b"1252", b"WINDOWS-1252"}:
            encodings = ["cp1252"]
        elif b"ENCODING:UTF-8" in head.upper():
            encodings = ["utf-8"]
        else:
            encodings = ["utf-8", "cp1252"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise BankStatementError(f"the file is not text in {' or '.join(encodings)}", field="encoding")


def parse_tree(text: str) -> Node:
    """The ``<OFX>`` element and everything under it, each node with its line."""
    start = text.find("<OFX>")
    if start < 0:
        raise BankStatementError("no <OFX> element: this is not an OFX file", line=1)
    root = Node("ROOT", 1)
    stack = [root]
    last_leaf: Node | None = None
    for match in _TAG.finditer(text, start):
        closing, tag, tail = match.group(1), match.group(2).upper(), match.group(3)
        line = line_of_offset(text, match.start())
        if closing:
            if last_leaf is not None and last_leaf.tag == tag:
                last_leaf = None  # OFX 2 closes its leaves; SGML doesn't have to
                continue
            last_leaf = None
            depth = next((i for i in range(len(stack) - 1, 0, -1) if stack[i].tag == tag), None)
            if depth is None:
                raise BankStatementError(f"</{tag}> closes nothing that is open", line=line)
            del stack[depth:]  # elements still open inside were empty SGML leaves
            continue
        node = Node(tag, line, html.unescape(tail.strip()))
        stack[-1].children.append(node)
        if node.text:
            last_leaf = node
        else:
            last_leaf = None
            stack.append(node)
    if len(stack) > 1:
        opened = stack[1]
        raise BankStatementError(
            f"the file ends inside <{stack[-1].tag}>: <{opened.tag}> (line {opened.line}) is "
            "never closed; the file looks cut short",
            line=line_of_offset(text, len(text.rstrip())),
        )
    ofx = root.find("OFX")
    assert ofx is not None
    return ofx


_OFX_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _date(node: Node, tag: str, *, required: bool = True) -> date | None:
    child = node.find(tag)
    if child is None or not child.text:
        if required:
            raise BankStatementError(f"<{node.tag}> has no <{tag}>", line=node.line, field=tag)
        return None
    match = _OFX_DATE.match(child.text)
    try:
        if match is None:
            raise ValueError
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise BankStatementError(
            f"{child.text!r} is not an OFX date (YYYYMMDD…)", line=child.line, field=tag
        ) from None


def _amount(node: Node, tag: str) -> Decimal:
    child = node.find(tag)
    if child is None or not child.text:
        raise BankStatementError(f"<{node.tag}> has no <{tag}>", line=node.line, field=tag)
    raw = child.text.replace(" ", "")
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")  # OFX allows a decimal comma
    try:
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", raw):
            raise InvalidOperation
        return Decimal(raw)
    except InvalidOperation:
        raise BankStatementError(
            f"{child.text!r} is not an amount", line=child.line, field=tag
        ) from None


def _statement_node(ofx: Node) -> Node:
    statements = ofx.walk("STMTRS") + ofx.walk("CCSTMTRS")
    if not statements:
        raise BankStatementError(
            "no bank statement (<STMTRS> or <CCSTMTRS>) in the file", line=ofx.line
        )
    if len(statements) > 1:
        raise BankStatementError(
            f"the file holds {len(statements)} statements; export one account per file",
            line=statements[1].line,
        )
    return statements[0]


def _entry(trn: Node, currency: str) -> BankEntry:
    if not trn.value("TRNTYPE"):
        raise BankStatementError("<STMTTRN> has no <TRNTYPE>", line=trn.line, field="TRNTYPE")
    booked = _date(trn, "DTPOSTED")
    assert booked is not None
    payee = trn.find("PAYEE")
    name = trn.value("NAME") or (payee.value("NAME") if payee is not None else "")
    foreign = trn.find("CURRENCY") or trn.find("ORIGCURRENCY")
    return BankEntry(
        line=trn.line,
        booked_on=booked,
        value_on=_date(trn, "DTAVAIL", required=False),
        amount=_amount(trn, "TRNAMT"),
        currency=(foreign.value("CURSYM") if foreign is not None else "") or currency,
        bank_ref=trn.value("FITID"),
        end_to_end_id=trn.value("REFNUM"),
        reference=trn.value("MEMO"),
        counterparty=name,
        kind=trn.value("TRNTYPE").upper(),
        check_number=trn.value("CHECKNUM"),
    )


def read_ofx(data: bytes) -> BankStatement:
    """Parse an OFX 1.x or 2.x bank or credit-card statement download."""
    text = _decode(data)
    statement = _statement_node(parse_tree(text))
    currency = statement.value("CURDEF").upper()
    if not currency:
        raise BankStatementError("the statement has no <CURDEF>", line=statement.line)
    account = statement.find("BANKACCTFROM") or statement.find("CCACCTFROM")
    if account is None or not account.value("ACCTID"):
        raise BankStatementError(
            "the statement names no account (<BANKACCTFROM><ACCTID>)", line=statement.line
        )
    transactions = statement.find("BANKTRANLIST")
    if transactions is None:
        raise BankStatementError(
            "the statement has no transactions section (<BANKTRANLIST>)",
            line=statement.line,
            field="BANKTRANLIST",
        )
    ledger = statement.find("LEDGERBAL")
    return BankStatement(
        format="ofx",
        account_id=account.value("ACCTID"),
        currency=currency,
        entries=tuple(_entry(trn, currency) for trn in transactions.findall("STMTTRN")),
        closing_balance=_amount(ledger, "BALAMT") if ledger is not None else None,
        period_start=_date(transactions, "DTSTART", required=False),
        period_end=_date(transactions, "DTEND", required=False),
    )
