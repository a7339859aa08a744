from django.contrib.auth import views as auth_views
from django.urls import path

from frontend import actions, review, views

app_name = "frontend"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="frontend/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.project_list, name="project-list"),
    path("projects/new/", views.project_new, name="project-new"),
    path("projects/<int:project_id>/import/", views.import_items, name="import"),
    path("projects/<int:project_id>/settings/", actions.project_settings, name="settings"),
    path("projects/<int:project_id>/members/", actions.members, name="members"),
    path("projects/<int:project_id>/gold/", actions.gold, name="gold"),
    path("projects/<int:project_id>/annotate/", views.annotate, name="annotate"),
    path("projects/<int:project_id>/review/", review.review, name="review"),
    path("projects/<int:project_id>/guidelines/", views.guidelines, name="guidelines"),
    path("projects/<int:project_id>/dashboard/", views.dashboard, name="dashboard"),
    path("projects/<int:project_id>/retrain/", actions.retrain, name="retrain"),
    path("projects/<int:project_id>/budget/", actions.budget, name="budget"),
    path("projects/<int:project_id>/target/", actions.target, name="target"),
    path("projects/<int:project_id>/replay/", actions.replay, name="replay"),
]
