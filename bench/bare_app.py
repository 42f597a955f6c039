"""A bare Flask route returning a fixed SPARQL JSON boolean: the framework's ceiling under the
same gunicorn configuration, measured beside the endpoint (bench/run.py)."""

from flask import Flask, Response

app = Flask(__name__)
BODY = b'{"head":{},"boolean":true}'


@app.route("/sparql")
def sparql():
    return Response(BODY, content_type="application/sparql-results+json")
