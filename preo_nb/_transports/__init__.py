"""The seam to the network (httpx's manner): a transport sends one request and returns one answer.

::

    cell -> client.<group>.<verb>()          resources: typed, checked calls
              -> HTTP.request                _http: the retry layer (one loop, _retry's table),
                   |-> HTTP._follow           the redirect layer (reads on the API's origin only),
                   |-> HTTP._settle           the reconcile layer (a POST whose answer was lost)
                   -> Transport.send         one try within one deadline, no retry, no redirect:
                        RequestsTransport      requests + urllib3, real sockets (the default)
                        WSGITransport          a WSGI app (the sandbox) in this process, no sockets

A transport knows nothing of Preo: it gets a ``Request`` (method, absolute URL, headers,
body, the try's deadline and the largest answer it may read) and returns a ``Reply`` (status,
headers, body bytes, URL) or raises ``NoAnswer`` saying how far the request got. Only
``default`` imports requests or urllib3.
"""

from preo_nb._transports.base import NoAnswer, Reply, Request, Transport

__all__ = ["NoAnswer", "Reply", "Request", "Transport"]
