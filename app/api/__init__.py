"""The HTTP API and web pages: ``create_app()`` builds them (an ASGI factory:
``uvicorn app.api:create_app --factory``). Importing this package starts nothing."""

from app.api.main import create_app

__all__ = ["create_app"]
