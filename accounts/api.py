"""The API foundation: who am I, and which household am I in."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import Household, User


class HouseholdSerializer(serializers.ModelSerializer):
    class Meta:
        model = Household
        fields = ["id", "name", "address", "district"]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    household = HouseholdSerializer(read_only=True, allow_null=True)
    may_book = serializers.BooleanField(read_only=True)
    licence_valid_today = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "pseudonym",
            "email",
            "full_name",
            "phone",
            "household",
            "is_household_admin",
            "email_confirmed_at",
            "licence_status",
            "licence_expires_on",
            "licence_valid_today",
            "may_book",
        ]
        read_only_fields = fields

    def get_licence_valid_today(self, user: User) -> bool:
        return user.licence_valid_on(timezone.localdate())


class ProfileUpdateSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=150, required=False)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_retrieve",
        summary="The logged-in resident",
        description="Profile, household and whether the resident may book today.",
        responses=MeSerializer,
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        operation_id="me_partial_update",
        summary="Change name or phone",
        request=ProfileUpdateSerializer,
        responses=MeSerializer,
    )
    def patch(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        serializer = ProfileUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_profile_update(
            user=user,
            full_name=serializer.validated_data.get("full_name", user.full_name),
            phone=serializer.validated_data.get("phone", user.phone),
        )
        return Response(MeSerializer(user).data)
