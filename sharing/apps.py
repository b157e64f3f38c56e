from __future__ import annotations

from django.apps import AppConfig


class SharingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sharing"
    verbose_name = "Car sharing"

    def ready(self) -> None:
        from accounts import privacy
        from sharing import car_cache, signals
        from sharing import privacy as sharing_privacy

        # Every service that changes a car announces it: the cached rows of its hub are stale.
        signals.vehicle_changed.connect(
            car_cache.on_vehicle_changed, dispatch_uid="sharing-car-rows"
        )

        privacy.register(
            name="sharing", exporter=sharing_privacy.export_user, eraser=sharing_privacy.erase_user
        )
