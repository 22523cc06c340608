"""Rules about UTBMS codes: present, valid, of the matter's code set, and authorized."""

from __future__ import annotations

from itertools import compress, count, repeat
from operator import ne

from lexbill.formats.utbms import CodeKind, all_codes
from lexbill.guidelines import params as p
from lexbill.guidelines.chunk import Chunk
from lexbill.guidelines.model import CheckContext, LineKind
from lexbill.guidelines.params import RuleType
from lexbill.guidelines.pricing import at_risk
from lexbill.guidelines.rules.base import Found, Rule

_KIND_NAMES = {CodeKind.TASK: "task", CodeKind.ACTIVITY: "activity", CodeKind.EXPENSE: "expense"}


def code_problem(code: str, kind: CodeKind, required: bool, sets: frozenset[str]) -> str | None:
    """Why ``code`` is not a billable UTBMS code of ``kind`` (in one of ``sets``), or None.

    Codes are compared exactly as written, as e-billing systems compare them; "l110 " is
    refused with the spelling the client expects.
    """
    name = _KIND_NAMES[kind]
    if not code:
        return f"no UTBMS {name} code" if required else None
    codes = all_codes()
    found = codes.get(code)
    if found is None:
        cleaned = codes.get(code.strip().upper())
        if cleaned is not None and cleaned.kind is kind:
            return f"{name} code {code!r} must be written {cleaned.code!r}"
        return f"{code!r} is not a UTBMS {name} code"
    if found.kind is not kind:
        return f"{code} is a UTBMS {_KIND_NAMES[found.kind]} code, not a {name} code"
    if found.is_phase:
        return f"{code} is a phase ({found.description}); bill to one of its task codes"
    if kind is CodeKind.TASK and sets and found.code_set not in sets:
        allowed = " or ".join(sorted(sets))
        return f"{code} is a {found.code_set} code; this matter uses the {allowed} code set"
    return None


class UtbmsCodesRule(Rule[p.UtbmsCodes]):
    type = RuleType.UTBMS_CODES

    def setup(self) -> None:
        self.sets = frozenset(self.params.code_sets)
        self.memo: dict[tuple[bool, str, str, str], str] = {}
        """(time line?, code set, task or expense code, activity code) → problems; keyed by a
        bool, not the line kind: an enum member hashes in Python, a bool in C."""

    def problems(self, kind: LineKind, code_set: str, first: str, second: str) -> str:
        """Every code problem of a line ("" for none), memoized: a bill repeats few code
        combinations, so each is judged once."""
        key = (kind is LineKind.TIME, code_set, first, second)
        cached = self.memo.get(key)
        if cached is not None:
            return cached
        params = self.params
        sets = frozenset({code_set}) if code_set else self.sets
        if kind is LineKind.TIME:
            found = [
                code_problem(first, CodeKind.TASK, params.require_task, sets),
                code_problem(second, CodeKind.ACTIVITY, params.require_activity, sets),
            ]
        else:
            found = [code_problem(first, CodeKind.EXPENSE, params.require_expense, sets)]
        text = "; ".join(problem for problem in found if problem)
        if len(self.memo) < 100_000:
            self.memo[key] = text
        return text

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        matters = context.matters
        code_set_of = {
            matter: facts.code_set if (facts := matters.get(matter)) is not None else ""
            for matter in set(chunk.matters)
        }
        # Every row's memo key built in C as a time line's, then the expenses' (far fewer).
        time_keys = zip(
            repeat(True),
            map(code_set_of.__getitem__, chunk.matters),
            chunk.task_codes,
            chunk.activity_codes,
        )
        keys = list(time_keys)
        expense_codes = chunk.expense_codes
        for i in chunk.expense_rows:
            keys[i] = (False, "", expense_codes[i], "")
        known = list(map(self.memo.get, keys))
        for i in compress(count(), map(ne, known, repeat(""))):  # a problem, or not judged yet
            problem = known[i]
            if problem is None:
                time, code_set, first, second = keys[i]
                kind = LineKind.TIME if time else LineKind.EXPENSE
                problem = self.problems(kind, code_set, first, second)
            if not problem:
                continue
            line = chunk.lines[i]
            message = f"{problem}; e-billing systems reject the line"
            risk = at_risk(line.amount, line.amount)
            found.append((chunk.positions[i], self.finding((line.id,), message, risk)))


class RestrictedCodesRule(Rule[p.RestrictedCodes]):
    type = RuleType.RESTRICTED_CODES

    def setup(self) -> None:
        codes = self.params.codes
        self.exact = frozenset(code for code in codes if not code.endswith("*"))
        self.prefixes = tuple(code[:-1] for code in codes if code.endswith("*"))
        self.memo: dict[str, bool] = {"": False}

    def restricted(self, code: str) -> bool:
        known = self.memo.get(code)
        if known is None:
            known = code in self.exact or code.startswith(self.prefixes)
            if len(self.memo) < 100_000:
                self.memo[code] = known
        return known

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        columns = (chunk.task_codes, chunk.activity_codes, chunk.expense_codes)
        restricted = self.restricted
        for i in range(len(chunk)):
            code = next((column[i] for column in columns if restricted(column[i])), None)
            if code is None:
                continue
            line = chunk.lines[i]
            message = f"{code}: {self.params.label}"
            risk = at_risk(line.amount, line.amount)
            found.append((chunk.positions[i], self.finding((line.id,), message, risk)))
