"""Security headers on every response: a content security policy that lets bpmn-js draw, no framing, no
MIME sniffing, and HSTS when the app is served over HTTPS (secure cookies on)."""
from flask import Flask

# bpmn-js sets inline style attributes on the SVG it draws and adds <style> for markers, so inline styles
# are allowed; scripts only from our own static files (no inline script, no eval). The favicon and
# bpmn-js's icons are data: URIs; the diagrams' XML is fetched from our own routes.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    hsts = bool(app.config.get("SESSION_COOKIE_SECURE"))

    @app.after_request
    def _security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Pages of classified procedures stay out of shared caches and the browser's back-forward cache.
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
