"""WSGI entry point: `gunicorn wsgi:app` (live; SHOPBOT_SANDBOX=1 for the sandbox, see README)."""
from bot.app import create_app

app = create_app()
