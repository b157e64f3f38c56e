"""``manage.py export_scenario --hub SLUG [--start ISO] [--slots N] --out SCENARIO.json``.

Writes a hub's live problem in the spec's scenario format with the same builder every
``plan_hub`` run uses, so any plan can be reproduced with ``plan_scenario``.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from energy.models import Site
from energy.problem import build_hub_scenario
from sharing.models import Hub


class Command(BaseCommand):
    help = "Write a hub's live dispatch problem as a v2g-hub-scenario/1 document."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--hub", required=True, help="The hub's slug.")
        parser.add_argument("--start", help="ISO 8601 instant; default: the current slot.")
        parser.add_argument("--slots", type=int, default=settings.DISPATCH_HORIZON_SLOTS)
        parser.add_argument("--out", required=True, type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        hub = Hub.objects.filter(slug=options["hub"]).first()
        if hub is None:
            raise CommandError(f"no hub with slug {options['hub']!r}", returncode=2)
        if not Site.objects.filter(hub=hub).exists():
            raise CommandError(f"hub {hub.slug!r} has no site (grid connection)", returncode=2)
        if not 1 <= options["slots"] <= 4032:
            raise CommandError("--slots must be between 1 and 4032", returncode=2)
        now = timezone.now()
        start = now
        if options["start"]:
            try:
                start = datetime.fromisoformat(options["start"])
            except ValueError:
                raise CommandError(
                    f"--start {options['start']!r} is not ISO 8601", returncode=2
                ) from None
            if timezone.is_naive(start):
                start = timezone.make_aware(start, hub.tz)
        start = hub.floor_to_slot(start.astimezone(timezone.get_fixed_timezone(0)))
        built = build_hub_scenario(hub=hub, start=start, slots=options["slots"], now=now)
        try:
            options["out"].write_text(json.dumps(built.document, indent=1), encoding="utf-8")
        except OSError as exc:
            raise CommandError(
                f"{options['out']}: cannot write ({exc.strerror})", returncode=2
            ) from None
        self.stdout.write(
            f"Wrote {options['out']}: {len(built.document['vehicles'])} vehicles, "
            f"{len(built.document['bookings'])} bookings, {options['slots']} slots"
        )
        for note in built.notes:
            self.stdout.write(f"  note: {note}")
