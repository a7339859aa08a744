from django.db.models import QuerySet

from labeling.models import Membership


def member_list(*, project_id: int) -> QuerySet[Membership]:
    """The project's members with their accounts, by user name."""
    return Membership.objects.filter(project_id=project_id).select_related("user").order_by("user__username")
