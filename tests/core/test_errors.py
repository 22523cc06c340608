import pickle

import pytest

from lexbill.core.errors import (
    AllocationError,
    CurrencyMismatch,
    ImmutableRecord,
    InvalidEntry,
    InvalidTransition,
    LexbillError,
    NoRateInForce,
    NotFound,
    PermissionDenied,
)


def test_an_error_names_the_source_line_and_field_before_the_message() -> None:
    error = InvalidEntry("must be positive", field="duration", line=3, source="file.csv")
    assert str(error) == "file.csv: line 3, field 'duration': must be positive"


def test_an_error_only_mentions_the_location_parts_it_was_given() -> None:
    assert str(LexbillError("must be positive")) == "must be positive"
    assert str(LexbillError("bad", line=3)) == "line 3: bad"
    assert str(LexbillError("bad", field="hours")) == "field 'hours': bad"
    assert str(LexbillError("bad", source="t.csv")) == "t.csv: bad"


def test_an_error_keeps_its_parts_as_attributes_for_forms_and_import_screens() -> None:
    error = LexbillError("bad", field="rate", line=7, source="rates.csv")
    assert (error.message, error.field, error.line, error.source) == ("bad", "rate", 7, "rates.csv")


@pytest.mark.parametrize(
    "kind",
    [
        CurrencyMismatch,
        NoRateInForce,
        InvalidEntry,
        InvalidTransition,
        ImmutableRecord,
        AllocationError,
        NotFound,
        PermissionDenied,
    ],
)
def test_every_billing_error_is_a_lexbill_error_and_survives_pickling(
    kind: type[LexbillError],
) -> None:
    error = kind("bad", field="f", line=1, source="s")
    assert isinstance(error, LexbillError)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is kind
    assert str(copy) == str(error)
