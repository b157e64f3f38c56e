"""Photos for the demo cars, drawn with Pillow: a car's silhouette with its model's name.

Drawn, not downloaded (the demo runs offline and carries no one's pictures); one drawing per
model, in the model's own colour, given to each of its cars that has no photo yet.
"""

from __future__ import annotations

import io
import zlib

from PIL import Image, ImageDraw, ImageFont

from sharing.models import Hub, Vehicle, VehicleModel, VehiclePhoto
from sharing.photos import CleanPhoto
from sharing.services.vehicle_photos import vehicle_photo_set

WIDTH, HEIGHT = 640, 400
COLOURS = ["#1d5c96", "#0a6b47", "#a4161a", "#8a5a00", "#5b3f8c", "#33475b"]


def car_drawing(model: VehicleModel) -> CleanPhoto:
    """A side view of a car on a road, with ``make model`` written above it, as JPEG."""
    colour = COLOURS[zlib.crc32(str(model).encode()) % len(COLOURS)]
    image = Image.new("RGB", (WIDTH, HEIGHT), "#dde9f3")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 300, WIDTH, HEIGHT), fill="#8d949b")  # the road
    draw.rectangle((0, 296, WIDTH, 300), fill="#f2f2f2")
    # Body, cabin and windows.
    draw.rounded_rectangle((90, 190, 550, 285), radius=34, fill=colour)
    draw.polygon([(190, 192), (250, 125), (420, 125), (490, 192)], fill=colour)
    draw.polygon([(212, 188), (258, 138), (328, 138), (328, 188)], fill="#cfe3f1")
    draw.polygon([(342, 188), (342, 138), (412, 138), (466, 188)], fill="#cfe3f1")
    draw.rectangle((520, 215, 548, 232), fill="#ffe9a8")  # headlight
    draw.rectangle((92, 215, 110, 232), fill="#d9534f")  # tail light
    for x in (180, 460):  # wheels with hubs
        draw.ellipse((x - 42, 243, x + 42, 327), fill="#1f1f1f")
        draw.ellipse((x - 18, 267, x + 18, 303), fill="#b8bec4")
    font = ImageFont.load_default(size=34)
    label = str(model)
    left, _top, right, _bottom = draw.textbbox((0, 0), label, font=font)
    draw.text(((WIDTH - (right - left)) / 2, 40), label, fill="#14212b", font=font)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80, optimize=True)
    return CleanPhoto(jpeg=out.getvalue(), width=WIDTH, height=HEIGHT)


def seed_car_photos(hub: Hub) -> int:
    """Give the hub's cars without a photo their model's drawing; how many got one."""
    without = (
        Vehicle.objects.filter(hub=hub)
        .exclude(pk__in=VehiclePhoto.objects.values("vehicle_id"))
        .select_related("model")
        .order_by("plate")
    )
    drawings: dict[int, CleanPhoto] = {}
    made = 0
    for vehicle in without:
        if vehicle.model_id not in drawings:
            drawings[vehicle.model_id] = car_drawing(vehicle.model)
        vehicle_photo_set(vehicle=vehicle, photo=drawings[vehicle.model_id])
        made += 1
    return made
