"""The code lists a LEDES file is checked against: UTBMS, timekeeper classifications, ISO 4217.

Lookups are exact (case and spaces matter): an e-billing system compares codes as text, so "l110"
is not L110 to it, and Lexbill must not pretend otherwise when validating.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

from lexbill.formats.utbms import CodeKind, UtbmsCode, all_codes

TASK_CODE_SETS = frozenset({"litigation", "counseling", "project", "bankruptcy"})


def utbms_code(code: str) -> UtbmsCode | None:
    """The UTBMS code spelled exactly so, of any kind, phases included."""
    return all_codes().get(code)


def billable_code(code: str, kind: CodeKind) -> UtbmsCode | None:
    """The code if it exists as written, is of ``kind`` and is not a phase heading."""
    found = all_codes().get(code)
    if found is None or found.kind is not kind or found.is_phase:
        return None
    return found


@cache
def timekeeper_classifications() -> frozenset[str]:
    """LOC revised timekeeper classification codes (2014, updated 6-2023), e.g. PARTNR, ASSOC."""
    text = (
        resources.files("lexbill.formats")
        .joinpath("data/ledes_timekeeper_classifications.csv")
        .read_text(encoding="utf-8")
    )
    return frozenset(row["code"] for row in csv.DictReader(text.splitlines()))


# ISO 4217 alphabetic codes (current, plus HRK and SLL, still found on invoices for past periods).
_ISO_4217 = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
    BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
    EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
    JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU
    MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
    RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY
    TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD
    XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG ZWL
"""
CURRENCIES: frozenset[str] = frozenset(_ISO_4217.split())
