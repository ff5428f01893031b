"""Every function behind one functions-framework target, for the load test.

Production runs each function in its own processes against MongoDB. With no
MongoDB server here, the load test serves all of them from one gunicorn
process on the embedded store, still through functions-framework and
gunicorn as deployed. `/<name>/...` is routed to the function of that name.
"""

import flask

import main

ROUTES = {
    "chat": main.chat,
    "traces": main.traces,
    "trace-detail": main.trace_detail,
    "health": main.health,
}


def gateway(request: flask.Request) -> flask.Response:
    name, _, rest = request.path.lstrip("/").partition("/")
    function = ROUTES.get(name)
    if function is None:
        return flask.Response('{"error": "no such function"}', 404)
    request.environ["PATH_INFO"] = "/" + rest
    return function(request)
