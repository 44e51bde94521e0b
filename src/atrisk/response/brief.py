"""The country brief: one document a decision maker can read or forward, with the risk and
its interval, the drivers, the monthly outlook, the latest assessment and the plan's status;
HTML, or PDF printed by WeasyPrint."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from atrisk.domain.errors import ConfigError
from atrisk.forecasting import lives, rank_certainty
from atrisk.response import assessments, plans
from atrisk.response.framework import framework
from atrisk.response.toolkit import refresh
from atrisk.store import queries

_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"]))
_TEMPLATES.globals["rank_sentence"] = rank_certainty.sentence
_TEMPLATES.globals["lives_sentence"] = lives.sentence


def context(s: Session, iso3: str, today: date | None = None,
            charts: Mapping[str, str] | None = None,
            at_stake: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Everything the brief shows, read from the store in one transaction; ``charts`` are
    the country page's charts drawn to SVG and ``at_stake`` its lives at stake, both made by
    the caller from the build (``http.country_charts``, ``http.lives_data``)."""
    country = queries.country(s, iso3.upper())
    if country is None:
        raise ConfigError(f"no country with ISO3 code {iso3!r}")
    run = queries.latest_run(s, "structural")
    current = queries.structural_for(s, run.id, country.iso3) if run else None
    monthly = queries.latest_run(s, "monthly")
    months = (queries.monthly_rows(s, monthly.id, country.iso3, "civilian_deaths")
              if monthly else [])
    mine = [p for p in plans.plans_of(s, country.iso3) if p.status == "active"]
    return {
        "country": country, "run": run, "current": current, "monthly": monthly,
        "months": [m for m in months if m.step <= 6],
        "outlook": (queries.outlook(s, monthly.id, country.iso3).get(country.iso3)
                    if monthly else None),
        "factors": assessments.compare(current.drivers if current else [],
                                       assessments.latest(s, country.iso3)),
        "levels": assessments.LEVELS, "framework": framework(), "tools": refresh(s),
        "plans": [{"plan": p, "actions": plans.actions(s, p.id)} for p in mine],
        "today": today or date.today(), "made": datetime.now(UTC),
        "charts": {name: Markup(svg) for name, svg in (charts or {}).items()},
        "at_stake": at_stake,
    }


def render_html(ctx: dict[str, Any]) -> str:
    return _TEMPLATES.get_template("brief.html").render(**ctx)


def render_pdf(html: str) -> bytes:
    """Print the brief's HTML to PDF (WeasyPrint needs Pango: `.ci/pdf.sh` installs it)."""
    try:
        from weasyprint import HTML
    except OSError as exc:  # Pango missing
        raise ConfigError(f"PDF needs Pango for WeasyPrint ({exc}); install Debian's "
                          "libpango-1.0-0 and libpangoft2-1.0-0, or write .html") from exc
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def write(s: Session, iso3: str, out: Path, charts: Mapping[str, str] | None = None,
          at_stake: Mapping[str, float] | None = None) -> Path:
    """Write the brief to ``out``: HTML or PDF by its extension."""
    if out.suffix not in (".html", ".pdf"):
        raise ConfigError(f"{out}: the brief is written as .html or .pdf")
    html = render_html(context(s, iso3, charts=charts, at_stake=at_stake))
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".html":
        out.write_text(html, encoding="utf-8")
    else:
        out.write_bytes(render_pdf(html))
    return out
