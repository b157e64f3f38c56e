"""The residents' energy pages, one module per page: ``dashboard`` (a hub's plan of today and
tomorrow), ``my_car`` (the resident's own cars) and ``sessions`` (a plugged-in car's plan and
settings). Thin adapters over forms, selectors and ``energy.services.private_cars``; the helpers
every resident page shares come from ``sharing.views.common``.
"""
