"""The pages' Jinja templates; every page gets the signed-in user and a CSRF token."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from atrisk.forecasting import lives, rank_certainty
from atrisk.http.auth import template_context

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates",
                            context_processors=[template_context])
TEMPLATES.env.globals["rank_sentence"] = rank_certainty.sentence
TEMPLATES.env.globals["lives_sentence"] = lives.sentence
