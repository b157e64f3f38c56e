from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from energy import views

app_name = "energy"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.hub_index, name="hub_index"),
    path("hub/<slug:slug>/", views.hub_dashboard, name="hub_dashboard"),
    path("my-car/", views.my_car, name="my_car"),
    path("my-car/register/", views.car_register, name="car_register"),
    path("my-car/<int:pk>/edit/", views.car_edit, name="car_edit"),
    path("my-car/<int:pk>/plug-in/", views.session_start, name="session_start"),
    path("my-car/session/<int:pk>/", views.session_detail, name="session_detail"),
    path("my-car/session/<int:pk>/unplug/", views.session_end, name="session_end"),
    path("my-car/session/<int:pk>/floor/", views.session_floor, name="session_floor"),
    path("my-car/session/<int:pk>/boost/", views.session_boost, name="session_boost"),
    path("my-car/session/<int:pk>/boost/end/", views.session_boost_end, name="session_boost_end"),
]
