"""ASGI entry point for uvicorn (``uvicorn api.asgi:app``); settings come from the environment.

Without ``REDIS_URL`` the recurring jobs run inside this process (see :mod:`domain.jobs.inprocess`).
"""

from api.app import create_app
from domain.jobs.inprocess import start_inprocess_scheduler

app = create_app(startup=[start_inprocess_scheduler])
