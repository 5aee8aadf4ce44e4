"""Security headers on every answer the application sends (pages, API, static files, errors).

The Content-Security-Policy is what the PWA needs and nothing more: its own scripts from /assets
(no inline script), the QR scanner's WebAssembly ('wasm-unsafe-eval' compiles it, it does not allow
eval), MapLibre's worker and the images it makes from blobs and data URLs, the web manifest and the
service worker. Inline styles stay allowed: MapLibre and Preact position elements with them.
"""

from __future__ import annotations

from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self' blob: data:",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "media-src 'self' blob:",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

# Litestar's API reference pages (/schema, /schema/swagger, …) load their viewer from a CDN with
# inline bootstrapping; the machine-readable documents (/schema/openapi.json) get the strict policy.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://unpkg.com",
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://unpkg.com https://fonts.googleapis.com",
        "font-src 'self' data: https://fonts.gstatic.com https://cdn.jsdelivr.net",
        "img-src 'self' data: https:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


# Encoded once: this runs on every answer (a tile, a check-in), so it only adds what is missing.
_ENCODED = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items()]
_CSP = b"content-security-policy"


def _policy(path: str) -> bytes:
    if path.startswith("/schema") and not path.endswith((".json", ".yaml", ".yml")):
        return DOCS_CONTENT_SECURITY_POLICY.encode("latin-1")
    return CONTENT_SECURITY_POLICY.encode("latin-1")


async def security_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: adds the headers to the start of every HTTP answer (those the
    handler set itself are kept)."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers", ()))
    present = {name.lower() for name, _ in headers}
    headers.extend(header for header in _ENCODED if header[0] not in present)
    if _CSP not in present:
        headers.append((_CSP, _policy(scope.get("path", ""))))
    message["headers"] = headers
