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
        self._register_hub_paths()
        self._register_page_figures()

    def _register_page_figures(self) -> None:
        # The History page of sharing shows what a resident's own car fed back.
        from energy import resident_figures
        from sharing import page_figures

        page_figures.register(
            page="history", name="own-car", provider=resident_figures.own_car_fed_back
        )

    def _register_hub_paths(self) -> None:
        # How energy's hub-bound models reach their hub, so the admin scopes them to a hub
        # manager's hubs (sharing cannot know these models).
        from energy.grid.models import (
            CapacityEvent,
            DPrognosis,
            DsoOrderSettlement,
            GridOffer,
            GridOrder,
            SiteMeter,
            VtnConnection,
        )
        from energy.models import (
            ChargeLevelReading,
            Charger,
            ChargingSession,
            DispatchRun,
            FlexOffer,
            Site,
        )
        from sharing.admin.scope import register_hub_path

        for model, path in [
            (Site, "hub"),
            (Charger, "bay__hub"),
            (ChargeLevelReading, "vehicle__hub"),
            (ChargingSession, "bay__hub"),
            (DispatchRun, "hub"),
            (FlexOffer, "hub"),
            (DPrognosis, "hub"),
            (GridOffer, "hub"),
            (GridOrder, "offer__hub"),
            (SiteMeter, "hub"),
            (DsoOrderSettlement, "order__offer__hub"),
            (VtnConnection, "hub"),
            (CapacityEvent, "connection__hub"),
        ]:
            register_hub_path(model, path)
