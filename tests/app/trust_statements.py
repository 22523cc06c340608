"""Bank statement files for the trust reconciliation tests: real camt.053.001.02 and CSV bytes.

The camt.053 document is schema-valid (the reader validates it against the official XSD), so
the reconciliation tests go through exactly what a bank's file goes through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Line:
    booked_on: date
    amount: Decimal  # credits positive, debits negative
    text: str = ""
    party: str = ""
    check_number: str = ""
    ref: str = ""


def _balance(code: str, amount: Decimal, currency: str, on: date) -> str:
    sign = "CRDT" if amount >= 0 else "DBIT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="{currency}">{abs(amount):.2f}</Amt><CdtDbtInd>{sign}</CdtDbtInd>'
        f"<Dt><Dt>{on.isoformat()}</Dt></Dt></Bal>"
    )


def _entry(n: int, line: Line, currency: str) -> str:
    sign = "CRDT" if line.amount > 0 else "DBIT"
    role = "Dbtr" if line.amount > 0 else "Cdtr"
    check, name, text = escape(line.check_number), escape(line.party), escape(line.text)
    refs = f"<Refs><ChqNb>{check}</ChqNb></Refs>" if check else ""
    party = f"<RltdPties><{role}><Nm>{name}</Nm></{role}></RltdPties>" if name else ""
    remittance = f"<RmtInf><Ustrd>{text}</Ustrd></RmtInf>" if text else ""
    details = f"<NtryDtls><TxDtls>{refs}{party}{remittance}</TxDtls></NtryDtls>"
    return (
        f"<Ntry><NtryRef>{n:04d}</NtryRef>"
        f'<Amt Ccy="{currency}">{abs(line.amount):.2f}</Amt><CdtDbtInd>{sign}</CdtDbtInd>'
        f"<Sts>BOOK</Sts><BookgDt><Dt>{line.booked_on.isoformat()}</Dt></BookgDt>"
        f"<ValDt><Dt>{line.booked_on.isoformat()}</Dt></ValDt>"
        f"<AcctSvcrRef>{line.ref or f'REF{line.booked_on:%Y%m%d}{n:04d}'}</AcctSvcrRef>"
        f"<BkTxCd><Prtry><Cd>{'CRDT' if line.amount > 0 else 'DBIT'}</Cd><Issr>BANK</Issr>"
        f"</Prtry></BkTxCd>{details}</Ntry>"
    )


def camt053(
    account_number: str,
    start: date,
    end: date,
    opening: Decimal,
    lines: Sequence[Line],
    currency: str = "USD",
) -> bytes:
    """A one-statement camt.053.001.02 file; the closing balance is opening plus the lines."""
    closing = opening + sum((line.amount for line in lines), Decimal(0))
    entries = "".join(_entry(n, line, currency) for n, line in enumerate(lines, 1))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
        "<BkToCstmrStmt><GrpHdr><MsgId>TRUST-TEST</MsgId>"
        f"<CreDtTm>{end.isoformat()}T23:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>STMT-{account_number}-{end:%Y%m}</Id>"
        f"<CreDtTm>{end.isoformat()}T23:00:00</CreDtTm>"
        f"<FrToDt><FrDtTm>{start.isoformat()}T00:00:00</FrDtTm>"
        f"<ToDtTm>{end.isoformat()}T23:59:59</ToDtTm></FrToDt>"
        f"<Acct><Id><Othr><Id>{account_number}</Id></Othr></Id><Ccy>{currency}</Ccy></Acct>"
        f"{_balance('OPBD', opening, currency, start)}{_balance('CLBD', closing, currency, end)}"
        f"{entries}</Stmt></BkToCstmrStmt></Document>\n"
    ).encode()


CSV_MAPPING = {
    "date_column": "Posting Date",
    "amount_column": "Amount",
    "reference_column": "Description",
    "payer_column": "Payer",
    "check_number_column": "Check",
    "date_format": "%m/%d/%Y",
}


def csv_statement(lines: Sequence[Line]) -> bytes:
    """A US bank's CSV export (no balances in it: the statement balance is typed in)."""
    rows = ["Posting Date,Description,Amount,Payer,Check"]
    for line in lines:
        rows.append(
            f'{line.booked_on:%m/%d/%Y},"{line.text}",{line.amount:.2f},'
            f'"{line.party}",{line.check_number}'
        )
    return ("\n".join(rows) + "\n").encode()
