"""Outcomes and mass-killing history coded from the EWP episode list.

An onset in year t is the start of a new episode located in the country (EWP codes the
location country; non-state-led episodes are coded from 1989 only). Targets look ahead:
``onset_next1`` is an onset in t+1, ``onset_next2`` an onset in t+1 or t+2. A target whose
years are not yet observed (after ``last_observed``) is missing, never 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Kinds of onset: any episode, state-led only, non-state-led only.
KINDS: dict[str, str] = {"any": "", "state": "_state", "nonstate": "_nonstate"}


def episode_years(frame: pd.DataFrame, episodes: pd.DataFrame, last_observed: int) -> pd.DataFrame:
    """Per ``ccode, year`` of ``frame``: onsets (by kind), ongoing count and history features."""
    from atrisk.panels.countries import EPISODE_LOCATION

    episodes = episodes.assign(ccode=episodes["ccode"].replace(EPISODE_LOCATION))
    out = frame[["ccode", "year"]].copy()
    first_year = int(frame["year"].min())
    for kind, suffix in KINDS.items():
        eps = episodes if kind == "any" else episodes[episodes["state_led"] == (kind == "state")]
        starts = eps.groupby(["ccode", "start_year"]).size().rename(f"mk_onset{suffix}")
        out = out.merge(starts, left_on=["ccode", "year"], right_index=True, how="left")
        out[f"mk_onset{suffix}"] = out[f"mk_onset{suffix}"].fillna(0).clip(upper=1).astype(int)
    # Ongoing episodes: start <= year <= end (an open end means still ongoing).
    ends = episodes["end_year"].astype("Float64").fillna(last_observed).astype(int)
    spans = pd.DataFrame({"ccode": episodes["ccode"], "start": episodes["start_year"], "end": ends})
    counts = np.zeros(len(out), dtype=int)
    ever = np.zeros(len(out), dtype=int)
    last_onset = np.full(len(out), np.nan)
    by_code = {c: g for c, g in spans.groupby("ccode")}
    for i, (code, year) in enumerate(zip(out["ccode"].to_numpy(), out["year"].to_numpy(),
                                         strict=True)):
        g = by_code.get(code)
        if g is None:
            continue
        counts[i] = int(((g["start"] <= year) & (g["end"] >= year)).sum())
        started = g["start"][g["start"] <= year]
        ever[i] = int(len(started) > 0)
        if len(started):
            last_onset[i] = year - started.max()
    out["mk_ongoing_count"] = counts
    out["mk_ongoing"] = (counts > 0).astype(int)
    out["mk_ever"] = ever
    out["mk_years_since_onset"] = last_onset
    out = out.sort_values(["ccode", "year"])
    prev = out.groupby("ccode")["mk_onset"].shift(1)
    out["mk_onset_prev_year"] = prev.where(out["year"] > first_year, np.nan).fillna(0).astype(int)
    return out


def add_targets(panel: pd.DataFrame, last_observed: int) -> pd.DataFrame:
    """Add ``onset_next1`` and ``onset_next2`` (by kind) looking ahead within each country
    (by EWP code, which stays the same where the GW code changes: Germany, Serbia).

    A country-year whose future years are beyond ``last_observed`` gets a missing target; a
    future year in which the state no longer exists counts as no onset.
    """
    out = panel.sort_values(["ccode", "year"]).copy()
    for suffix in KINDS.values():
        onset = out.set_index(["ccode", "year"])[f"mk_onset{suffix}"]
        nxt1 = _lookup(onset, out, 1)
        nxt2 = _lookup(onset, out, 2)
        y1 = out["year"] + 1
        y2 = out["year"] + 2
        t1 = pd.Series(nxt1, index=out.index).where(y1 <= last_observed)
        t2 = pd.Series(np.fmax(nxt1, nxt2), index=out.index).where(y2 <= last_observed)
        out[f"onset_next1{suffix}"] = t1.astype("Float64")
        out[f"onset_next2{suffix}"] = t2.astype("Float64")
    return out


def _lookup(series: pd.Series, frame: pd.DataFrame, ahead: int) -> np.ndarray:
    keys = pd.MultiIndex.from_arrays([frame["ccode"], frame["year"] + ahead])
    return series.reindex(keys).fillna(0).to_numpy(dtype=float)
