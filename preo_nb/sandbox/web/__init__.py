"""The sandbox's HTTP layer: what every domain's views share; it knows no domain.

The app itself is built on the top floor (``preo_nb.sandbox.app``) from the
registry of domains; ``serving`` serves the app it is handed. ``views`` turns view
functions named after operationIds into routes; ``body`` and ``listing`` read
requests (bodies; filters, ordering and pages); ``contract_check`` checks every
reply against the contract; ``fault_wsgi`` breaks HTTP on purpose and
``control`` serves ``/_sandbox/...``.
"""
