"""Members of a project and their roles over REST; owners only (labeling.permissions, MANAGE)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.api.schema import error_response
from labeling.models import Membership
from labeling.permissions import Action, project_for
from labeling.selectors.members import member_list
from labeling.services.members import member_add, member_remove, member_role_set


class MemberOutput(serializers.ModelSerializer[Membership]):
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")

    class Meta:
        model = Membership
        fields = ["user_id", "username", "role"]


def _errors(*codes: int) -> dict[int, Any]:
    meaning = {
        400: "Invalid input: an unknown role or user name, an existing member, or the last owner.",
        403: "The caller's role on the project is not owner.",
        404: "No such project, or not the caller's (one body for both); or the user is not a member.",
    }
    return {code: error_response(code, meaning[code]) for code in codes}


class MemberListApi(APIView):
    class Input(serializers.Serializer[None]):
        username = serializers.CharField(max_length=150)
        role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.ANNOTATOR)

    @extend_schema(responses={200: MemberOutput(many=True), **_errors(403, 404)})
    def get(self, request: Request, project_id: int) -> Response:
        project_for(user=request.user, project_id=project_id, action=Action.MANAGE)
        return Response(MemberOutput(member_list(project_id=project_id), many=True).data)

    @extend_schema(request=Input, responses={201: MemberOutput, **_errors(400, 403, 404)})
    def post(self, request: Request, project_id: int) -> Response:
        """Add an existing account by user name with a role (annotator unless given)."""
        project = project_for(user=request.user, project_id=project_id, action=Action.MANAGE)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        membership = member_add(project=project, **data.validated_data)
        return Response(MemberOutput(membership).data, status=status.HTTP_201_CREATED)


class MemberDetailApi(APIView):
    class Input(serializers.Serializer[None]):
        role = serializers.ChoiceField(choices=Membership.Role.choices)

    @extend_schema(request=Input, responses={200: MemberOutput, **_errors(400, 403, 404)})
    def patch(self, request: Request, project_id: int, user_id: int) -> Response:
        """Change a member's role; the last owner cannot be demoted."""
        project = project_for(user=request.user, project_id=project_id, action=Action.MANAGE)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        membership = member_role_set(project=project, user_id=user_id, role=data.validated_data["role"])
        return Response(MemberOutput(membership).data)

    @extend_schema(responses={204: None, **_errors(400, 403, 404)})
    def delete(self, request: Request, project_id: int, user_id: int) -> Response:
        """Remove a member: their labels stay, the items they held go back to the pool; never the last owner."""
        project = project_for(user=request.user, project_id=project_id, action=Action.MANAGE)
        member_remove(project=project, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
