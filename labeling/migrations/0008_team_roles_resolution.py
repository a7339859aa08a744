"""Roles per project (Membership replaces the plain members table), overlap and resolution
settings, and reviewers' decisions. Existing members become annotators, staff members owners."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def members_to_memberships(apps, schema_editor):
    Project = apps.get_model("labeling", "Project")
    Membership = apps.get_model("labeling", "Membership")
    rows = []
    for project in Project.objects.prefetch_related("members"):
        for user in project.members.all():
            role = "owner" if user.is_staff else "annotator"
            rows.append(Membership(project=project, user=user, role=role))
    Membership.objects.bulk_create(rows)


def memberships_to_members(apps, schema_editor):
    Project = apps.get_model("labeling", "Project")
    Membership = apps.get_model("labeling", "Membership")
    for membership in Membership.objects.all():
        Project.objects.get(pk=membership.project_id).members.add(membership.user_id)


class Migration(migrations.Migration):
    dependencies = [
        ("labeling", "0007_audit_items"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Membership",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("role", models.CharField(choices=[("owner", "Owner"), ("reviewer", "Reviewer"), ("annotator", "Annotator"), ("viewer", "Viewer")], default="annotator", max_length=9)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("project", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to="labeling.project")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["project", "user"],
                "constraints": [models.UniqueConstraint(fields=("project", "user"), name="membership_one_per_user")],
            },
        ),
        migrations.RunPython(members_to_memberships, memberships_to_members),
        migrations.RemoveField(model_name="project", name="members"),
        migrations.AddField(
            model_name="project",
            name="members",
            field=models.ManyToManyField(blank=True, related_name="projects", through="labeling.Membership", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name="project",
            name="labels_per_item",
            field=models.PositiveSmallIntegerField(default=1, help_text="Distinct annotators who label each item; more than one measures agreement and catches slips.", validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(10)]),
        ),
        migrations.AddField(
            model_name="project",
            name="resolution",
            field=models.CharField(choices=[("majority", "Majority: the most frequent label; a tie goes to review"), ("unanimous", "Unanimous: every label must agree; any disagreement goes to review"), ("adjudicated", "Adjudicated: a reviewer decides every item once it has all its labels")], default="majority", help_text="How an item's labels become the one label that training, metrics and exports use.", max_length=11),
        ),
        migrations.CreateModel(
            name="ReviewDecision",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("note", models.CharField(blank=True, max_length=500)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("item", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="review_decision", to="labeling.item")),
                ("label_class", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="labeling.labelclass")),
                ("reviewer", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="review_decisions", to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
