"""Client billing guidelines: rules as data, and the engine that checks lines against them.

Pure Python (no Django): the Django side stores documents, maps entries and pre-bill lines onto
``Line`` records and shows the findings. The usual entry points:

* ``load_document(text)`` / ``dump_document(doc)``: a guideline as YAML; ``document_from_data``
  / ``document_to_data`` for a JSON column. Every problem is reported at once
  (``GuidelineError.problems``), naming the rule and the parameter.
* ``check_lines(doc, lines, context)``: every finding for a pre-bill or batch (``CheckResult``).
* ``check_entry(doc, line)``: the cheap per-entry warnings for the entry form.
* ``apply_fixes(lines, fixes)``: new line records with the certain fixes applied;
  ``fix_all(doc, lines)`` repeats check and apply until no certain fix is left.
* ``template_names()`` / ``load_template(name)``: starter documents.
"""

from lexbill.guidelines.document import (
    GuidelineDocument,
    MatterOverride,
    RuleSpec,
    document_in_force,
)
from lexbill.guidelines.engine import (
    CheckResult,
    CompiledGuidelines,
    check_entry,
    check_lines,
    compile_guidelines,
    fix_all,
)
from lexbill.guidelines.errors import GuidelineError
from lexbill.guidelines.fixes import apply_fixes, certain_fixes, split_line
from lexbill.guidelines.model import (
    CheckContext,
    Finding,
    Fix,
    FixKind,
    Line,
    LineKind,
    MatterFacts,
    RateIncrease,
    Severity,
)
from lexbill.guidelines.params import (
    CLIENT_WIDE,
    DEFAULT_SEVERITY,
    PARAMS,
    CapBasis,
    EventLimit,
    ExpenseCapItem,
    RateCapItem,
    RuleType,
)
from lexbill.guidelines.schema import document_from_data, document_to_data
from lexbill.guidelines.templates import load_template, template_names, template_text
from lexbill.guidelines.yamltext import dump_document, load_document

__all__ = [
    "CLIENT_WIDE",
    "DEFAULT_SEVERITY",
    "PARAMS",
    "CapBasis",
    "CheckContext",
    "CheckResult",
    "CompiledGuidelines",
    "EventLimit",
    "ExpenseCapItem",
    "Finding",
    "Fix",
    "FixKind",
    "GuidelineDocument",
    "GuidelineError",
    "Line",
    "LineKind",
    "MatterFacts",
    "MatterOverride",
    "RateCapItem",
    "RateIncrease",
    "RuleSpec",
    "RuleType",
    "Severity",
    "apply_fixes",
    "certain_fixes",
    "check_entry",
    "check_lines",
    "compile_guidelines",
    "document_from_data",
    "document_in_force",
    "document_to_data",
    "dump_document",
    "fix_all",
    "load_document",
    "load_template",
    "split_line",
    "template_names",
    "template_text",
]
