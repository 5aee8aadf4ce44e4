"""QR codes as images (SVG for screens, PNG for printers): any text, signed or not (a household's
signed code, a family group's invite link)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.pure
import qrcode.image.svg


def _make(text: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(text)
    code.make(fit=True)
    return code


def svg(text: str) -> bytes:
    out = io.BytesIO()
    _make(text).make_image(image_factory=qrcode.image.svg.SvgPathFillImage).save(out)
    return out.getvalue()


def png(text: str) -> bytes:
    out = io.BytesIO()
    _make(text).make_image(image_factory=qrcode.image.pure.PyPNGImage).save(out)
    return out.getvalue()
