"""The sandbox's HTTP layer: the Flask app and what every domain's views share.

``app`` builds the WSGI app from the domains' view groups; ``views`` turns view
functions named after operationIds into routes; ``body`` and ``listing`` read
requests (bodies; filters, ordering and pages); ``contract_check`` checks every
reply against the contract; ``fault_wsgi`` breaks HTTP on purpose and
``control`` serves ``/_sandbox/...``.
"""
