"""The country-year panel of predictors, rebuilt from the source files.

Every feature of year t uses only values for year t or before (data that existed at the end of
year t). Sources keyed by EWP's ``ccode`` join on it; GW-keyed sources on ``gwcode``; the two
name-keyed sources (HIEF, battle deaths) through a name table. Rows a source could not place
are collected in the unmatched report with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from atrisk.panels.neighbours import add_spillover
from atrisk.settings import Settings
from atrisk.sources import crosswalk, ewp, ewp_inputs, ucdp, vdem

#: V-Dem-based recodes EWP built (from its V-Dem extract), kept under EWP's names.
VDEM_RECODES: tuple[str, ...] = (
    "pol_killing_approved", "social_inequality", "even_civilrights", "judicialreform",
    "religiousfreedom", "freediscussion", "ses_power_dist", "repress_civilsoc",
    "social_power_dist", "minorityrule", "partyban.new.0", "partyban.new.1", "partyban.new.2",
    "v2csgender_binary", "v2mecenefm_binary",
)

#: Our feature -> EWP prepared-table column, for the per-variable cross-check.
EWP_EQUIVALENT: dict[str, str] = {
    **{c: c for c in VDEM_RECODES},
    "popsize_log2": "popsize.log2", "gdppc_growth": "gdppcgrowth", "imr_sqrt": "un_imr_sqrt",
    "efindex": "efindex", "discrimpop": "discrimpop", "reg.na": "reg.na", "reg.eap": "reg.eap",
    "reg.sca": "reg.sca", "reg.mna": "reg.mna", "reg.eur": "reg.eur", "iccpr1": "ios.iccpr1",
    "battledeaths_log2": "battledeaths.log2", "coup_try_5yr": "coup.try.5yr",
    "mk_ongoing_count_log2": "mk_ongoing_count_log2", "mk_onset_prev_year": "mk_onset_prev_year",
    "mk_ever": "mk_ever", "newcountry": "newcountry", "countryage_log2": "countryage.new.log2",
}

#: Name spellings in HIEF / UCDP battle deaths that differ from the GW and EWP names.
NAME_ALIASES: dict[str, int] = {
    "United States": 2, "United States of America": 2, "Russia": 365, "Soviet Union": 365,
    "Russia (Soviet Union)": 365, "Democratic Republic of the Congo": 490, "DR Congo (Zaire)": 490,
    "Congo": 484, "Republic of the Congo": 484, "Ivory Coast": 437, "Cote d'Ivoire": 437,
    "Myanmar": 775, "Myanmar (Burma)": 775, "Burma": 775, "North Korea": 731, "South Korea": 732,
    "Vietnam": 816, "Vietnam (North Vietnam)": 816, "South Vietnam": 817,
    "Vietnam (South Vietnam)": 817, "Republic of Vietnam": 817,
    "Yemen": 678, "Yemen (North Yemen)": 678, "South Yemen": 680, "Yemen (South Yemen)": 680,
    "Germany": 260, "West Germany": 260, "East Germany": 265, "German Federal Republic": 260,
    "German Democratic Republic": 265, "Serbia": 340, "Yugoslavia": 345,
    "Serbia (Yugoslavia)": 345, "Bosnia-Herzegovina": 346, "Bosnia and Herzegovina": 346,
    "Macedonia": 343, "North Macedonia": 343, "Macedonia, FYR": 343, "Czech Republic": 316,
    "Czechia": 316, "Slovak Republic": 317, "Kyrgyz Republic": 703, "Kyrgyzstan": 703,
    "Iran": 630, "Syria": 652, "Laos": 812, "Tanzania": 510, "Cambodia (Kampuchea)": 811,
    "Cambodia": 811, "Zimbabwe (Rhodesia)": 552, "Rhodesia": 552, "Zimbabwe": 552,
    "Madagascar (Malagasy)": 580, "Madagascar": 580, "Sri Lanka": 780, "Sri Lanka (Ceylon)": 780,
    "Turkey": 640, "Turkiye": 640, "Eswatini": 572, "Swaziland": 572, "Cabo Verde": 402,
    "Cape Verde": 402, "Gambia": 420, "The Gambia": 420, "East Timor": 860, "Timor-Leste": 860,
    "Burkina Faso (Upper Volta)": 439, "Burkina Faso": 439, "Suriname": 115, "Surinam": 115,
    "Belarus (Byelorussia)": 370, "Belarus": 370, "Moldova": 359, "Italy/Sardinia": 325,
    "Italy": 325, "Romania": 360, "Rumania": 360, "Guinea-Bissau": 404, "United Kingdom": 200,
    "Taiwan": 713, "Solomon Islands": 940, "Equatorial Guinea": 411,
    "Central African Republic": 482, "Cote D’Ivoire": 437, "Germany (East)": 265,
}


@dataclass
class Unmatched:
    """Rows of sources that found no country-year in the panel, with the reason."""

    rows: list[pd.DataFrame] = field(default_factory=list)

    def add(self, source: str, frame: pd.DataFrame, key: str, reason: str) -> None:
        if frame.empty:
            return
        summary = (frame.groupby(key)["year"].agg(first_year="min", last_year="max", rows="size")
                   .reset_index().rename(columns={key: "key"}))
        summary.insert(0, "source", source)
        summary["key"] = summary["key"].astype(str)
        summary["reason"] = reason
        self.rows.append(summary)

    def table(self) -> pd.DataFrame:
        cols = ["source", "key", "first_year", "last_year", "rows", "reason"]
        return pd.concat(self.rows, ignore_index=True) if self.rows else pd.DataFrame(columns=cols)


def _join(panel: pd.DataFrame, data: pd.DataFrame, on: str, source: str,
          unmatched: Unmatched, all_years: pd.DataFrame) -> pd.DataFrame:
    """Left-join ``data`` on ``on, year``; explain the rows that do not land."""
    keys = panel[[on, "year"]].drop_duplicates()
    probe = data.merge(keys, on=[on, "year"], how="left", indicator=True)
    missed = probe[probe["_merge"] == "left_only"].drop(columns="_merge")
    if not missed.empty:
        known = missed.merge(all_years[[on, "year"]].drop_duplicates(), on=[on, "year"],
                             how="left", indicator=True)["_merge"].eq("both").to_numpy()
        in_range = missed["year"].between(panel["year"].min(), panel["year"].max()).to_numpy()
        unmatched.add(source, missed[~in_range], on, "explained: year outside the panel's years")
        unmatched.add(source, missed[in_range & known], on,
                      "explained: state exists that year but not on 31 December (GW rule)")
        unmatched.add(source, missed[in_range & ~known], on,
                      "explained: not an independent state in the Gleditsch-Ward list that year "
                      "(territory, micro-state or a code the list does not use)")
    return panel.merge(data, on=[on, "year"], how="left")


def _names_to_gwcode(panel: pd.DataFrame, states: pd.DataFrame) -> dict[str, int]:
    """Every name a source may use: GW's state names, our short names, and known aliases."""
    names = {str(n): int(g) for n, g in states[["name", "gwcode"]].itertuples(index=False)}
    names.update({str(n): int(g) for n, g in
                  panel[["name", "gwcode"]].drop_duplicates().itertuples(index=False)})
    names.update(NAME_ALIASES)
    return names


def _by_name(data: pd.DataFrame, names: dict[str, int], frame: pd.DataFrame, source: str,
             unmatched: Unmatched) -> pd.DataFrame:
    """Name -> GW code -> the EWP code of that country-year (so 'Serbia' in the Yugoslav
    years lands on Yugoslavia, as EWP codes it); joined on ``ccode``."""
    from atrisk.panels.countries import EWP_CODE_BY_GW

    mapped = data["country"].map(names)
    unmatched.add(source, data[mapped.isna()], "country",
                  "name not in the country table and no alias for it")
    out = data[mapped.notna()].copy()
    out["gwcode"] = mapped[mapped.notna()].astype(int)
    codes = frame.set_index(["gwcode", "year"])["ccode"]
    found = codes.reindex(pd.MultiIndex.from_arrays([out["gwcode"], out["year"]])).to_numpy()
    fallback = out["gwcode"].map(lambda g: EWP_CODE_BY_GW.get(g, g)).to_numpy()
    out["ccode"] = np.where(pd.isna(found), fallback, found).astype(int)
    return out.drop(columns=["country", "gwcode"])


def build_panel(frame: pd.DataFrame, episodes: pd.DataFrame, last_observed: int,
                settings: Settings | None = None,
                progress: Callable[[str], None] = lambda _: None) -> tuple[pd.DataFrame,
                                                                          pd.DataFrame]:
    """Assemble the panel on the country-year ``frame``; return (panel, unmatched report)."""
    from atrisk.panels.outcomes import add_targets, episode_years

    unmatched = Unmatched()
    all_years = frame  # the GW frame is the whole universe of independent country-years
    panel = frame.copy()

    progress("EWP episode list")
    hist = episode_years(frame, episodes, last_observed)
    eps_missing = episodes[~episodes["ccode"].isin(frame["ccode"])]
    unmatched.add("ewp_episodes", eps_missing.rename(columns={"start_year": "year"}), "ccode",
                  "explained: episode located in a country that is not in the panel's years")
    panel = panel.merge(hist, on=["ccode", "year"], how="left")

    progress("V-Dem (EWP recodes)")
    v = ewp_inputs.vdem(settings)
    panel = _join(panel, v[["ccode", "year", *VDEM_RECODES, "vdem_popsize_log2"]], "ccode",
                  "vdem_ewp", unmatched, all_years)

    progress("V-Dem indices")
    vk = vdem.key_subset(settings).drop(columns=["country_text_id", "country_name"])
    panel = _join(panel, vk, "gwcode", "vdem_key_subset", unmatched, all_years)

    progress("World Bank WDI, UN infant mortality")
    w = ewp_inputs.wdi(settings).drop(columns="iso3c")
    panel = _join(panel, w, "ccode", "wdi", unmatched, all_years)
    u = ewp_inputs.un_imr(settings).drop(columns="iso3c")
    panel = _join(panel, u, "ccode", "un_imr", unmatched, all_years)

    progress("EPR, HIEF, regions, ICCPR, coups")
    panel = _join(panel, ewp_inputs.epr(settings), "ccode", "epr", unmatched, all_years)
    names = _names_to_gwcode(frame, crosswalk.gw_states(settings))
    h = _by_name(ewp_inputs.hief(settings), names, frame, "hief", unmatched)
    panel = _join(panel, h, "ccode", "hief", unmatched, all_years)
    panel = _join(panel, ewp_inputs.regions(settings), "ccode", "regions", unmatched, all_years)
    panel = _join(panel, ewp_inputs.iccpr(settings), "ccode", "iccpr", unmatched, all_years)
    panel = _join(panel, ewp_inputs.coups(settings), "ccode", "coups", unmatched, all_years)

    progress("UCDP organized violence, battle deaths")
    panel = _join(panel, ucdp.organized_violence(settings), "gwcode", "ucdp_organized_violence",
                  unmatched, all_years)
    b = _by_name(ewp_inputs.battledeaths(settings), names, frame, "battledeaths", unmatched)
    panel = _join(panel, b, "ccode", "battledeaths", unmatched, all_years)

    progress("derived features")
    panel = derive_features(panel)
    panel = add_spillover(panel, crosswalk.gw_capitals(settings))
    panel = add_targets(panel, last_observed)
    return panel.sort_values(["gwcode", "year"]).reset_index(drop=True), unmatched.table()


def derive_features(panel: pd.DataFrame) -> pd.DataFrame:
    """Transforms, carry-forwards, lags and trends; each uses only years <= t."""
    p = panel.sort_values(["ccode", "year"]).copy()
    g = p.groupby("ccode")
    # Slow-moving structural data: carry the last known value forward (never backward).
    for col in ["efindex", "discrimpop", "iccpr1", "reg.na", "reg.eap", "reg.sca", "reg.mna",
                "reg.eur", "un_imr", "wdi_imr", "wdi_pop"]:
        p[col] = g[col].ffill()
    p["popsize_log2"] = np.log2(p["wdi_pop"]).fillna(p["vdem_popsize_log2"])
    imr = p["un_imr"].fillna(p["wdi_imr"])
    p["imr_sqrt"] = np.sqrt(imr)
    p["gdppc_growth"] = p["wdi_gdppc_growth"]
    p["gdppc_log"] = np.log(p["wdi_gdppc"])
    p["trade_log"] = np.log1p(p["wdi_trade"])
    p["coup_attempt"] = p["coup_attempt"].fillna(0)
    p["coup_try_5yr"] = g["coup_attempt"].rolling(5, min_periods=1).max().droplevel(0)
    # UCDP country-year data begin in 1989: earlier years stay missing, not zero.
    ucdp_cols = ["ucdp_sb_deaths", "ucdp_ns_deaths", "ucdp_os_deaths", "ucdp_os_govt_deaths",
                 "ucdp_os_nsgroup_deaths"]
    covered = p["year"] >= 1989
    for col in ucdp_cols:
        p[col] = p[col].where(~covered, p[col].fillna(0))
        log = np.log2(1 + p[col])
        p[f"{col}_log2"] = log
        p[f"{col}_log2_3yr"] = np.log2(1 + g[col].rolling(3, min_periods=1).sum().droplevel(0))
        p[f"{col}_log2_change"] = log - np.log2(1 + g[col].shift(1))
    p["battledeaths"] = p["battledeaths"].where(~(p["year"] >= 1989), p["battledeaths"].fillna(0))
    p["battledeaths_log2"] = np.log2(1 + p["battledeaths"])
    p["mk_ongoing_count_log2"] = np.log2(1 + p["mk_ongoing_count"])
    first = g["year"].transform("min")
    p["countryage_log2"] = np.log2(p["year"] - first + 1)
    p["newcountry"] = (p["year"] - first <= 2).astype(int)
    for col in ["v2x_libdem", "v2x_clphy", "v2x_freexp_altinf", "v2xcs_ccsi", "v2xcl_disc"]:
        p[f"{col}_change3"] = p[col] - g[col].shift(3)
    p["v2x_clphy_change1"] = p["v2x_clphy"] - g["v2x_clphy"].shift(1)
    p["year_sq"] = p["year"].astype(float) ** 2
    return p


#: The predictors our own models use (no targets, no identifiers).
FEATURES: tuple[str, ...] = (
    *VDEM_RECODES, "popsize_log2", "imr_sqrt", "gdppc_growth", "gdppc_log", "trade_log",
    "efindex", "discrimpop", "reg.na", "reg.eap", "reg.sca", "reg.mna", "reg.eur", "iccpr1",
    "coup_try_5yr", "coup_attempt", "battledeaths_log2",
    "ucdp_sb_deaths_log2", "ucdp_ns_deaths_log2", "ucdp_os_deaths_log2",
    "ucdp_os_govt_deaths_log2", "ucdp_os_nsgroup_deaths_log2",
    "ucdp_sb_deaths_log2_3yr", "ucdp_ns_deaths_log2_3yr", "ucdp_os_deaths_log2_3yr",
    "ucdp_os_govt_deaths_log2_3yr", "ucdp_os_nsgroup_deaths_log2_3yr",
    "ucdp_sb_deaths_log2_change", "ucdp_os_deaths_log2_change",
    "mk_onset", "mk_ongoing_count_log2", "mk_ever", "mk_onset_prev_year", "mk_years_since_onset",
    "countryage_log2", "newcountry",
    "v2x_polyarchy", "v2x_libdem", "v2x_regime", "v2x_freexp_altinf", "v2x_frassoc_thick",
    "v2xcl_dmove", "v2xcs_ccsi", "v2x_corr", "v2x_clphy", "v2xcl_disc", "v2pepwrses",
    "v2x_libdem_change3", "v2x_clphy_change3", "v2x_freexp_altinf_change3",
    "v2xcs_ccsi_change3", "v2xcl_disc_change3", "v2x_clphy_change1",
    "nb_os_deaths_log2", "nb_sb_deaths_log2", "nb_mk_ongoing", "year",
)


def crosscheck(panel: pd.DataFrame, prepared: pd.DataFrame) -> pd.DataFrame:
    """Per variable: how closely our rebuilt predictor agrees with EWP's prepared table."""
    both = panel.merge(prepared, on=["ccode", "year"], how="inner", suffixes=("", "__ewp"))
    rows = []
    for ours, theirs in EWP_EQUIVALENT.items():
        a = both[ours].astype(float)
        b = both[theirs if theirs not in panel.columns else f"{theirs}__ewp"].astype(float)
        ok = a.notna() & b.notna()
        n = int(ok.sum())
        rows.append({
            "variable": ours, "ewp_variable": theirs, "n_both": n,
            "ewp_only": int((b.notna() & a.isna()).sum()),
            "ours_only": int((a.notna() & b.isna()).sum()),
            "share_equal": float(np.mean(np.isclose(a[ok], b[ok], atol=1e-3))) if n else np.nan,
            "correlation": float(np.corrcoef(a[ok], b[ok])[0, 1])
            if n > 2 and a[ok].std() > 0 and b[ok].std() > 0 else np.nan,
        })
    return pd.DataFrame(rows)


def ewp_table(settings: Settings | None = None) -> pd.DataFrame:
    """EWP's prepared table, validated, as read (used only for the replica and cross-checks)."""
    return ewp.prepared(settings)
