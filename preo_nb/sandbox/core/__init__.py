"""What every part of the sandbox shares: state, time, ids, callers, errors, events, faults, jobs.

It knows no domain: each domain extends ``store.Tables`` with its own tables and
describes itself with a ``domain.Domain`` (``tests/sandbox/test_floors.py``).

Nothing in this package imports Flask or Werkzeug (``tests/test_layering.py``
checks it): the domains' rules and the seeders build on it and run without a
web framework; only ``preo_nb.sandbox.web`` and the domains' ``views*`` modules
speak HTTP.
"""
