"""The Celery application; its settings live in config/settings.py under the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tweezer")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
