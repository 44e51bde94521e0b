"""What a forecast stands on: the last month of data and the releases its months come from.

Every published number names it (STYLE 11: data carry their vintage), so a reader in 2026
knows whether a forecast speaks of the coming months or of a past three years old, and which
of its months are provisional.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


def _span(first: str, last: str) -> str:
    return first if first == last else f"{first}–{last}"


@dataclass(frozen=True)
class DataBasis:
    """The data a monthly forecast stands on."""

    #: The latest month with data (the forecast's origin): YYYY-MM.
    through: str
    #: Every release the history reaches, oldest first (e.g. ``ged-25.1``,
    #: ``candidate-25.0.x``, ``candidate-26.0.2``).
    vintages: tuple[str, ...]
    #: First and last provisional month (UCDP Candidate releases), if any.
    provisional: tuple[str, str] | None = None
    #: First and last month whose civilian deaths are estimated, if any.
    estimated: tuple[str, str] | None = None
    #: Months only partly known (treated as unknown), if any.
    partial: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for pages, briefs, alerts and tables."""
        parts = [f"data through {self.through}"]
        if self.provisional:
            parts.append(f"{_span(*self.provisional)} from UCDP Candidate releases, "
                         "provisional")
        else:
            parts.append("UCDP GED, final")
        if self.estimated:
            parts.append(f"civilian deaths {_span(*self.estimated)} estimated")
        if self.partial:
            parts.append(f"{', '.join(self.partial)} only partly known (treated as unknown)")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "note": self.describe()}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> DataBasis:
        def pair(v: object) -> tuple[str, str] | None:
            return (str(v[0]), str(v[1])) if isinstance(v, list | tuple) and v else None

        vintages = data.get("vintages")
        partial = data.get("partial")
        return cls(through=str(data["through"]),
                   vintages=tuple(vintages) if isinstance(vintages, list | tuple) else (),
                   provisional=pair(data.get("provisional")),
                   estimated=pair(data.get("estimated")),
                   partial=tuple(partial) if isinstance(partial, list | tuple) else ())
