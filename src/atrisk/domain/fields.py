"""Field types every input model shares: text that a person typed (no NUL or other control
characters, which some stores reject and others keep invisibly) and money that is finite."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def printable(value: str) -> str:
    """``value`` unchanged, or ValueError when it holds a control character."""
    if any((ord(c) < 32 and c not in _ALLOWED_CONTROLS) or 127 <= ord(c) < 160
           for c in value):
        raise ValueError("control characters (such as NUL) are not allowed")
    return value


#: Text typed by a person: any length limit is set where it is used.
Text = Annotated[str, AfterValidator(printable)]
#: An amount of money: finite, not negative, below a trillion.
Money = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
