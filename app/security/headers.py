"""Security headers on every response (page, file, API, error): CSP with a per-request nonce, framing, sniffing."""
import secrets

from flask import g

SERVER_NAME = "zjpx"  # what the Server header says instead of "Werkzeug/x.y Python/x.y"


def csp_nonce():
    """This request's script nonce; FAB's baselib.get_nonce() and our templates print it on every <script>."""
    nonce = g.get("_csp_nonce")
    if nonce is None:
        nonce = g._csp_nonce = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce=None):
    """Scripts only from this site or carrying the nonce; nothing from other sites (the console runs on intranets).

    Styles allow inline attributes (style="…" in FAB's and our templates); scripts never do.
    """
    scripts = "'self' 'nonce-%s'" % nonce if nonce else "'self'"
    return "; ".join([
        "default-src 'self'",
        "script-src " + scripts,
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ])


def add_security_headers(response):
    """after_request: the same headers on every response, whatever produced it."""
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(g.get("_csp_nonce"))
    headers["X-Frame-Options"] = "SAMEORIGIN"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    return response


def register(app):
    """Install the headers and the nonce on the app; hide the development server's version."""
    app.after_request(add_security_headers)
    # A global, not a context processor: FAB imports baselib.html (whose get_nonce() reads it) without context.
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    _hide_werkzeug_version()


def _hide_werkzeug_version():
    """`make run` serves with Werkzeug, which names itself and the Python version in Server (gunicorn says only
    "gunicorn"). A header set by the app would be sent twice, so the request handler is told what to say."""
    from werkzeug.serving import WSGIRequestHandler

    WSGIRequestHandler.version_string = lambda self: SERVER_NAME
