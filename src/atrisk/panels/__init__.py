"""Tables built from the sources: the canonical countries, outcomes and the country-year panel."""
