"""Web stage: the FastAPI app, its views, templates and renderers."""

from tagwire.web.app import create_app

__all__ = ["create_app"]
