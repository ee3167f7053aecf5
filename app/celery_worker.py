"""Celery entry point: `celery -A app.celery_worker worker` (and `beat`)."""
from app import create_app
from app.cli import prepare_broker

flask_app = create_app()
celery = flask_app.extensions["celery"]
with flask_app.app_context():
    # The worker and its embedded beat (-B) would otherwise race to create the embedded broker's queue.
    prepare_broker()
