"""Field types every input model shares: text that a person typed (no NUL or other control
characters, which some stores reject and others keep invisibly) and money that is finite."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def optional_float(value: object) -> float | None:
    """A table cell as a float, or None where it is missing (None, NaN, pandas' NA)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except TypeError:  # None, pandas.NA
        return None
    return None if math.isnan(number) else number


def optional_int(value: object) -> int | None:
    number = optional_float(value)
    return None if number is None else int(number)


def printable(value: str) -> str:
    """``value`` unchanged, or ValueError when it holds a control character."""
    if any((ord(c) < 32 and c not in _ALLOWED_CONTROLS) or 127 <= ord(c) < 160
           for c in value):
        raise ValueError("control characters (such as NUL) are not allowed")
    return value


#: The same rule for the published schema (JSON Schema regular expression), so clients and
#: API fuzzers know what is refused.
PRINTABLE = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"

#: Text typed by a person: any length limit is set where it is used.
Text = Annotated[str, AfterValidator(printable), Field(json_schema_extra={"pattern": PRINTABLE})]
#: An amount of money: finite, not negative, below a trillion (a JSON number, not a boolean).
Money = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False, strict=True)]


def _a_number(value: object) -> object:
    """A JSON number only: ``true`` is not 1 and ``"1"`` is text (``1.0`` is a whole number)."""
    if isinstance(value, bool | str):
        raise ValueError("expected a number")
    return value


#: A whole number given as a JSON number.
Whole = Annotated[int, BeforeValidator(_a_number)]


def _iso_text(value: object) -> object:
    """A day as ISO text (``2025-03-01``), not a number of seconds since 1970."""
    if not isinstance(value, str | date):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


#: A calendar day, given as ``YYYY-MM-DD``.
Day = Annotated[date, BeforeValidator(_iso_text)]
