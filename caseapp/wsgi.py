"""WSGI entry point for gunicorn: `gunicorn caseapp.wsgi:app`."""

from caseapp import create_app

app = create_app()
