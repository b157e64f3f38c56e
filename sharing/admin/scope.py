"""Hub managers in the admin: staff who manage hubs see and change only those hubs' objects.

A superuser, and a fleet admin who manages no hub, sees every hub. ``HubScopedAdmin`` scopes
the changelist, the change pages (404 for another hub's object), the foreign-key choices and
the per-object permissions; ``HUB_PATHS`` says how each model reaches its hub. ``sharing`` never
imports ``energy``, so ``energy`` adds its own models from ``EnergyConfig.ready()``::

    from sharing.admin.scope import register_hub_path

    register_hub_path(Charger, "bay__hub")

Registering a model again replaces its path, so a repeated ``ready()`` is harmless.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.forms import ModelChoiceField
from django.http import Http404, HttpRequest

from sharing.models import Bay, Booking, DamageReport, Hub, MaintenanceBlock, Trip, Vehicle

HUB_PATHS: dict[type[Model], str] = {
    Hub: "pk",
    Bay: "hub",
    Vehicle: "hub",
    Booking: "hub",
    Trip: "booking__hub",
    MaintenanceBlock: "vehicle__hub",
    DamageReport: "booking__hub",
}


def register_hub_path(model: type[Model], path: str) -> None:
    """Say how ``model`` reaches its hub: a lookup ending at the hub (``"bay__hub"``), or
    ``"pk"`` for the hub itself. Its admin pages are then scoped to a hub manager's hubs."""
    HUB_PATHS[model] = path


def managed_hub_ids(request: HttpRequest) -> list[int] | None:
    """The hubs ``request.user`` is limited to, or ``None`` for every hub (cached per request)."""
    if hasattr(request, "_managed_hub_ids"):
        cached: list[int] | None = request._managed_hub_ids
        return cached
    user = request.user
    ids: list[int] | None = None
    if user.is_authenticated and not user.is_superuser:
        ids = list(Hub.objects.filter(managers=user).values_list("pk", flat=True)) or None
    request._managed_hub_ids = ids  # type: ignore[attr-defined]
    return ids


def scope(queryset: QuerySet[Any], request: HttpRequest) -> QuerySet[Any]:
    """``queryset`` limited to the user's hubs (unchanged for those who see every hub)."""
    ids = managed_hub_ids(request)
    if ids is None:
        return queryset
    path = HUB_PATHS.get(queryset.model)
    if path is None:
        return queryset
    lookup = "pk__in" if path == "pk" else f"{path}__in"
    return queryset.filter(**{lookup: ids})


class HubScopedAdmin(admin.ModelAdmin[Any]):
    """A ModelAdmin whose objects belong to a hub."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope(super().get_queryset(request), request)

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None and managed_hub_ids(request) is not None:
            raise Http404("No such object in your hubs")
        return obj

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        related = db_field.related_model
        if related in HUB_PATHS and managed_hub_ids(request) is not None:
            kwargs["queryset"] = scope(related._default_manager.all(), request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _in_scope(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None or managed_hub_ids(request) is None:
            return True
        return scope(self.model._default_manager.filter(pk=obj.pk), request).exists()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)
