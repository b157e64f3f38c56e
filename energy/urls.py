from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from energy.views import dashboard, my_car, sessions

app_name = "energy"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", dashboard.hub_index, name="hub_index"),
    path("hub/<slug:slug>/", dashboard.hub_dashboard, name="hub_dashboard"),
    path("my-car/", my_car.my_car, name="my_car"),
    path("my-car/register/", my_car.car_register, name="car_register"),
    path("my-car/<int:pk>/edit/", my_car.car_edit, name="car_edit"),
    path("my-car/<int:pk>/plug-in/", sessions.session_start, name="session_start"),
    path("my-car/session/<int:pk>/", sessions.session_detail, name="session_detail"),
    path("my-car/session/<int:pk>/unplug/", sessions.session_end, name="session_end"),
    path("my-car/session/<int:pk>/floor/", sessions.session_floor, name="session_floor"),
    path("my-car/session/<int:pk>/boost/", sessions.session_boost, name="session_boost"),
    path(
        "my-car/session/<int:pk>/boost/end/", sessions.session_boost_end, name="session_boost_end"
    ),
]
