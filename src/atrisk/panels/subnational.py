"""Sub-national panels: every PRIO-GRID cell and every first-level region of a country, by
month, from a complete GED event history (``sources.ged.EventHistory``).

- **Cells**: the 0.5-degree cells whose centre lies in the country's outline (Natural Earth
  1:50m), plus every cell where one of its events happened (coastal and border cells whose
  centre falls outside the outline; GED places a few events just across a border). A cell is
  named by its PRIO-GRID id; its bounds follow from the grid (``domain.priogrid``).
- **Regions**: every first-level region (GED's ``adm_1``) named in the country's history;
  events GED could not place in one (``adm_1`` empty: the event is located only to the
  country or a wider area) count in ``UNLOCATED``, so regions add up to the country. GED
  names a region with its kind (``Bago division`` before Myanmar's 2008 constitution,
  ``Bago region`` after) and, over the years, under old and new names: the kind is dropped
  and known renamings (``RENAMED``) are mapped to today's name, so a region is one unit.

Months run from GED's first (1989-01) to the history's last; every unit has every month,
zero where nothing happened (GED records every event, so a month without one had none).
An event spanning months counts in its first month (UCDP gives no split), as in the
country-month panel, so a country's cells and its regions sum to exactly its months.

After the history's end come the UCDP Candidate releases (``ged.candidate_releases``), with
the country panel's vintages and statuses: a month a release with coordinates covers in full
is ``provisional`` (its events placed like GED's, zero where none; the newer release wins);
a month only late-coded events reach is ``partial`` and a month no such release covers is
``unknown`` (the slim 2025 compilation has no coordinates: its months are known for the
country, not for its places). Partial and unknown months are unknown, not zero: their
targets are missing. Months after the latest release are not in the panel. Every row carries
its ``vintage`` and ``status``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import shapely

from atrisk.domain import priogrid
from atrisk.domain.errors import NotFoundError
from atrisk.settings import Settings
from atrisk.sources import ged, geo
from atrisk.sources.ged import EventHistory, Release

Level = Literal["cell", "region"]
LEVELS: tuple[Level, ...] = ("cell", "region")
#: The region that events located only to the country (or a wider area) count in.
UNLOCATED = "(no region given)"
TARGETS = ("civilian_deaths", "fatalities", "events")
#: The kinds of first-level region GED appends to a name.
_KINDS = r"\s+(?:union territory|province|prefecture|state|region|division|district|department)$"
#: The statuses whose counts are known (as in the country-month panel).
KNOWN = ("final", "provisional")
#: Regions GED names under an old and a new name (country, old name without its kind): today's.
RENAMED = {("MEX", "Distrito Federal"): "Ciudad de México", ("MMR", "Karen"): "Kayin",
           ("MMR", "Magwe"): "Magway"}


@dataclass(frozen=True)
class UnitPanel:
    """One country's units (cells or regions) by month: ``unit``, ``month`` (YYYY-MM), the
    ``TARGETS``, ``vintage`` and ``status``; ``units`` describes each unit (cells: centre,
    bounds and the region most of its events were in)."""

    iso3: str
    level: Level
    table: pd.DataFrame
    units: pd.DataFrame
    history: EventHistory

    @property
    def last_month(self) -> str:
        """The complete history's last month: the back-test scores final months only."""
        return self.history.last_month

    def known_months(self) -> list[str]:
        """The months whose counts are known (final or provisional), oldest first."""
        statuses = self.table.drop_duplicates("month").set_index("month")["status"]
        return sorted(statuses.index[statuses.isin(KNOWN)])

    def complete_through(self, month: str, months: int = 12) -> bool:
        """Whether every one of the ``months`` months up to ``month`` is known: the units'
        own recent history can be read there as the back-test read it."""
        return _complete(month, months, set(self.known_months()))

    def recent_through(self, months: int = 12) -> str:
        """The latest month whose ``months`` months up to it are all known."""
        known = self.known_months()
        seen = set(known)
        return next((m for m in reversed(known) if _complete(m, months, seen)),
                    self.last_month)

    def provisional_vintages(self) -> list[str]:
        """The Candidate releases the panel's provisional months come from."""
        rows = self.table[self.table["status"] == "provisional"]
        return list(dict.fromkeys(rows["vintage"].astype(str)))


def _complete(month: str, months: int, known: set[str]) -> bool:
    return all(str(pd.Period(month, "M") - k) in known for k in range(months))


def history_for(iso3: str, settings: Settings) -> EventHistory:
    """The complete event history that covers ``iso3``: the full GED when at hand, else a
    single-country extract; a country with neither has no sub-national panel (and the
    error says why)."""
    full = ged.full_history(settings)
    if full is not None:
        return full
    for history in ged.EVENT_HISTORIES:
        if history.countries and iso3 in history.countries:
            return history
    covered = sorted(c for h in ged.EVENT_HISTORIES for c in (h.countries or ()))
    raise NotFoundError(
        f"no complete event history for {iso3}: sub-national forecasts need every GED event "
        f"of a country, which the data mirror holds only for {', '.join(covered)} (add UCDP's "
        f"full GED, {ged.GED_FULL.url}, to the mirror for every country)")


def countries_with_histories(settings: Settings) -> tuple[str, ...]:
    """Countries a sub-national panel can be built for (None stands for every country)."""
    if ged.full_history(settings) is not None:
        return ()
    return tuple(sorted(c for h in ged.EVENT_HISTORIES for c in (h.countries or ())))


_PANELS: dict[tuple[str, str, str, str, tuple[str, ...]], UnitPanel] = {}


def unit_panel(iso3: str, level: Level, settings: Settings, gwcode: int | None = None
               ) -> UnitPanel:
    """The cell or region panel of ``iso3`` (``gwcode``: GED's country id, needed only when
    the history is the full global release)."""
    history = history_for(iso3, settings)
    releases = ged.candidate_releases(settings)
    key = (iso3, level, history.source.path, str(settings.mirror),
           tuple(r.vintage for r in releases))
    if key not in _PANELS:
        events = ged.history_events(history, settings)
        if history.countries is None:
            if gwcode is None:
                raise ValueError("the full GED needs the country's GW code")
            events = events[events["country_id"] == gwcode]
        else:
            gwcode = ged.HISTORY_GW[iso3]
        later = candidate_events(gwcode, history, settings, releases)
        _PANELS[key] = (cell_panel(iso3, events, history, settings, later) if level == "cell"
                        else region_panel(iso3, events, history, later))
    return _PANELS[key]


@dataclass(frozen=True)
class LaterEvents:
    """Candidate events of one country after its history's end: ``events`` (those of months
    some release covers in full, each with its ``vintage``), and ``months``: every month
    after the history's end up to the latest release, with its ``vintage`` and ``status``."""

    events: pd.DataFrame
    months: pd.DataFrame


def candidate_events(gwcode: int, history: EventHistory, settings: Settings | None = None,
                     releases: tuple[Release, ...] | None = None) -> LaterEvents:
    """The country's events from the Candidate releases after ``history`` (oldest release
    first; a newer one replaces a month), with each later month's status (module docstring)."""
    releases = ged.candidate_releases(settings) if releases is None else releases
    last = max([history.last_month, *(r.last_month for r in releases)])
    later = [str(m) for m in pd.period_range(history.last_month, last, freq="M")[1:]]
    status = dict.fromkeys(later, "unknown")
    vintage: dict[str, str | None] = dict.fromkeys(later, None)
    covered: dict[str, pd.DataFrame] = {}
    for release in releases:
        if release.slim or release.last_month <= history.last_month:
            continue  # no places; or nothing after the history
        events = ged.release_events(release, settings)
        events = events[events["country_id"] == gwcode]
        month = events["date_start"].dt.strftime("%Y-%m")
        for m in later:
            if m in release.months:
                covered[m] = events[month == m].assign(vintage=release.vintage)
                status[m], vintage[m] = "provisional", release.vintage
            elif status[m] in ("unknown", "partial") and (month == m).any():
                status[m], vintage[m] = "partial", release.vintage
    months = pd.DataFrame({"month": later, "status": [status[m] for m in later],
                           "vintage": [vintage[m] for m in later]})
    columns = ["id", "date_start", "latitude", "longitude", "adm_1", "best",
               "deaths_civilians", "type_of_violence", "country_id", "vintage"]
    found = [frame[columns] for frame in covered.values() if len(frame)]
    events = (pd.concat(found, ignore_index=True) if found
              else pd.DataFrame(columns=columns))
    return LaterEvents(events, months)


def cell_panel(iso3: str, events: pd.DataFrame, history: EventHistory,
               settings: Settings | None = None, later: LaterEvents | None = None
               ) -> UnitPanel:
    """Every cell of the country by month (see the module docstring)."""
    if later is not None and len(later.events):
        events = pd.concat([events, later.events], ignore_index=True)
    located = events.assign(unit=priogrid.cell_of(events["latitude"], events["longitude"]))
    cells = np.union1d(country_cells(iso3, settings), located["unit"].unique())
    south, west, north, east = priogrid.bounds(cells)
    lat, lon = priogrid.centre(cells)
    regions = (located.assign(region=region_names(iso3, located["adm_1"]))
               .groupby("unit")["region"].agg(lambda r: r.value_counts().index[0]))
    units = pd.DataFrame({"unit": cells, "lat": lat, "lon": lon, "south": south,
                          "west": west, "north": north, "east": east})
    units["region"] = units["unit"].map(regions).fillna("")  # where its events were
    return UnitPanel(iso3, "cell", _by_month(located, cells, history, later), units, history)


def region_panel(iso3: str, events: pd.DataFrame, history: EventHistory,
                 later: LaterEvents | None = None) -> UnitPanel:
    """Every first-level region of the country by month (see the module docstring)."""
    if later is not None and len(later.events):
        events = pd.concat([events, later.events], ignore_index=True)
    located = events.assign(unit=region_names(iso3, events["adm_1"]))
    regions = np.asarray(sorted(located["unit"].unique()), dtype=object)
    units = pd.DataFrame({"unit": regions})
    return UnitPanel(iso3, "region", _by_month(located, regions, history, later), units,
                     history)


def region_names(iso3: str, adm_1: pd.Series) -> pd.Series:
    """GED's ``adm_1`` as one name per region (see the module docstring)."""
    names = (adm_1.fillna("").astype(str).str.replace(r"\s+", " ", regex=True).str.strip()
             .str.replace(_KINDS, "", case=False, regex=True))
    names = names.map(lambda name: RENAMED.get((iso3, name), name))
    return names.where(names != "", UNLOCATED)


def country_cells(iso3: str, settings: Settings | None = None) -> np.ndarray:
    """PRIO-GRID ids of the cells whose centre lies inside the country's outline."""
    import pycountry

    found = pycountry.countries.get(alpha_3=iso3)
    if found is None:
        raise NotFoundError(f"{iso3} is not an ISO 3166 country code")
    outline = geo.country_outline(geo.world_50m(settings), str(int(found.numeric)))
    west, south, east, north = outline.bounds
    rows = np.arange(np.floor((south + 90) / priogrid.SIZE), np.ceil((north + 90) / priogrid.SIZE))
    cols = np.arange(np.floor((west + 180) / priogrid.SIZE), np.ceil((east + 180) / priogrid.SIZE))
    gids = (rows[:, None] * priogrid.COLUMNS + cols[None, :] + 1).astype(np.int64).ravel()
    lat, lon = priogrid.centre(gids)
    return gids[shapely.contains_xy(outline, lon, lat)]


def _by_month(located: pd.DataFrame, units: np.ndarray, history: EventHistory,
              later: LaterEvents | None = None) -> pd.DataFrame:
    """Unit x month sums of the located events: zero where a known month had none, missing
    where the month is unknown."""
    final = [str(m) for m in pd.period_range(ged.GED_FIRST_MONTH, history.last_month, freq="M")]
    status = pd.DataFrame({"month": final, "status": "final", "vintage": history.vintage})
    if later is not None:
        status = pd.concat([status, later.months], ignore_index=True)
    sums = ged.to_country_month(located, by="unit").groupby(["unit", "month"])[
        list(TARGETS)].sum(min_count=1)
    grid = pd.MultiIndex.from_product([units, status["month"]], names=["unit", "month"])
    table = sums.reindex(grid).astype(float).fillna(0.0).reset_index()
    table = table.merge(status, on="month", how="left")
    table.loc[~table["status"].isin(KNOWN), list(TARGETS)] = np.nan
    return table
