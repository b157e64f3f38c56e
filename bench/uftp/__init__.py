"""The UFTP benchmark (``manage.py bench_uftp``): one DSO and many hubs over ``shapeshifter-uftp``.

``seed`` makes the hubs, ``dso`` is the grid operator (the library's DSO service and client),
``rounds`` runs the DSO's day, ``report`` checks and prints what it saw, ``driver`` starts the
processes and runs it all.
"""
