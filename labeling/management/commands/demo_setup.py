import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from labeling.demo import demo_project_import
from labeling.models import Project
from labeling.services.projects import project_member_add


class Command(BaseCommand):
    help = "Create the demo projects (if missing) and an admin and an annotator with fresh passwords."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--datasets", default="mnist-5k,rotten-tomatoes")

    def handle(self, *args: Any, **opts: Any) -> None:
        users = get_user_model()
        passwords = {}
        for username, is_admin in (("admin", True), ("annotator", False)):
            user, _ = users.objects.get_or_create(username=username)
            user.is_staff = user.is_superuser = is_admin
            passwords[username] = secrets.token_urlsafe(9)
            user.set_password(passwords[username])
            user.save()
        annotator = users.objects.get(username="annotator")
        for dataset in opts["datasets"].split(","):
            project = Project.objects.filter(name=dataset).first()
            if project is None:
                self.stdout.write(f"Importing demo dataset {dataset} ...")
                project, summary = demo_project_import(dataset=dataset, name=dataset)
                self.stdout.write(f"  {summary.pool} items to label, {summary.eval} held out for evaluation")
            project_member_add(project=project, user=annotator)
        for username, password in passwords.items():
            self.stdout.write(f"Login {username:<10} password {password}")
