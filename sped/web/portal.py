"""What every request of the web application needs: the installation, the profile, the page
templates, the upload limit and the background pipeline runner.

The application never keeps the warehouse open: it reads the registry (SQLite, one connection
per request), figures from the published snapshot (opened read-only per request), and checks
an upload in a scratch DuckDB file inside the installation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.templating import Jinja2Templates

from sped.config import settings
from sped.config.profile import StateProfile
from sped.config.settings import Installation
from sped.landing.registry import Registry
from sped.run.steps import open_registry
from sped.web.template_filters import page_templates

HERE = Path(__file__).resolve().parent
#: the largest file a district may upload (bytes); a larger request is refused with 413
DEFAULT_MAX_UPLOAD = 25 * 1024 * 1024


@dataclass
class Portal:
    """The application's view of one installation."""

    inst: Installation
    profile: StateProfile
    profile_path: Path | None
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    as_of: str | None = None
    runner: object | None = None
    templates: Jinja2Templates = field(default_factory=lambda: page_templates(HERE / "templates"))

    def registry(self) -> Registry:
        """A registry connection for one request (close it, or use it as a context manager)."""
        return open_registry(self.inst)

    def as_of_date(self) -> dt.date:
        return settings.as_of_date(self.as_of)
