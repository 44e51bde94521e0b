"""UCDP Candidate events as rows of the event table: the deaths a coder confirmed, beside what
the news reported the same days (the Watch page shows both; the HDX rule reads the same
releases through ``ucdp_daily``). Each release counts for the months it covers in full, the
newer one where two cover a month. The slim 2025 compilation has no places or sides: its
events are placed in their country only."""

from __future__ import annotations

import pandas as pd

from atrisk.panels.build import read_table
from atrisk.panels.candidates import coded_events
from atrisk.settings import Settings
from atrisk.sources import ged, ucdp

#: The columns ``pipeline.normalise_reported`` reads.
REPORTED = ("event_id", "event_date", "iso3", "admin1", "lat", "lon", "geo_precision",
            "actor1", "actor2", "type_of_violence", "deaths", "sources", "place_name")


def reported_events(settings: Settings,
                    releases: tuple[ged.Release, ...] | None = None) -> pd.DataFrame:
    """Every event of ``releases`` (by default ``ged.candidate_releases``) dated in a month
    its release covers in full (``REPORTED`` columns; ISO3 from the data build's countries)."""
    releases = ged.candidate_releases(settings) if releases is None else releases
    iso = read_table(settings, "countries").set_index("gwcode")["iso3"]
    ids = ucdp.country_ids(settings)
    covered: dict[str, pd.DataFrame] = {}
    for release in releases:  # oldest first: a newer release replaces a month
        events = coded_events(release, ids, settings)
        month = events["date_start"].dt.strftime("%Y-%m")
        for m in release.months:
            covered[m] = events[month == m]
    if not covered:
        return pd.DataFrame(columns=list(REPORTED))
    events = pd.concat(covered.values(), ignore_index=True)

    def column(name: str, kind: str) -> pd.Series:
        if name in events:
            return events[name].astype(kind)
        return pd.Series(None, index=events.index, dtype=kind)

    where = column("where_description", "object")
    frame = pd.DataFrame({
        "event_id": events["id"].astype("int64"),
        "event_date": events["date_start"].dt.normalize(),
        "iso3": events["country_id"].map(iso).astype("object"),
        "admin1": column("adm_1", "object"),
        "lat": column("latitude", "Float64"), "lon": column("longitude", "Float64"),
        # nullable types: a NaN would reach Spark as NaN, not as a missing value
        "geo_precision": column("where_prec", "Int64"),
        "actor1": column("side_a", "object"), "actor2": column("side_b", "object"),
        "type_of_violence": events["type_of_violence"].astype("int64"),
        "deaths": events["best"].astype("float64"),
        "sources": pd.to_numeric(column("number_of_sources", "object"),
                                 errors="coerce").astype("Int64"),
        "place_name": where.where(where.notna(), events.get("conflict_name")),
    })
    return frame.dropna(subset=["iso3"]).reset_index(drop=True)
