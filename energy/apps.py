from __future__ import annotations

from django.apps import AppConfig


class EnergyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "energy"
    verbose_name = "Energy and dispatch"

    def ready(self) -> None:
        # sharing announces changes; energy listens and queues re-plans (never the reverse).
        from energy import receivers, signals
        from sharing import signals as sharing_signals

        sharing_signals.booking_changed.connect(
            receivers.on_booking_changed, dispatch_uid="energy-replan-on-booking"
        )
        sharing_signals.vehicle_changed.connect(
            receivers.on_vehicle_changed, dispatch_uid="energy-replan-on-vehicle"
        )
        signals.prices_changed.connect(
            receivers.on_prices_changed, dispatch_uid="energy-replan-on-prices"
        )
        signals.plan_made.connect(receivers.on_plan_made, dispatch_uid="energy-grid-prognoses")
