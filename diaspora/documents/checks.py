"""Is an upload a PDF or an image? Decided by the content, never by the name or the browser.

The first bytes must be a PDF or PNG/JPEG/WebP signature, and the whole file must then parse
as that type (pypdf reads the PDF's pages, Pillow decodes the image), so a script renamed
``.pdf``, a truncated image or a file that merely starts with ``%PDF-`` are all refused, each
with a message that says why.
"""
from __future__ import annotations

import io
import warnings

from flask_babel import gettext as _
from PIL import Image
from pypdf import PdfReader

from ..errors import Invalid

MIB = 1024 * 1024
# Pillow refuses images over twice this many pixels and warns above it: both are refused here.
MAX_IMAGE_PIXELS = 60_000_000

_IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


def refuse(message: str) -> Invalid:
    return Invalid(message, errors={"file": [message]})


def content_type_of(data: bytes, max_bytes: int) -> str:
    """The MIME type of ``data`` when it is an acceptable PDF or image; ``Invalid`` otherwise."""
    if not data:
        raise refuse(_("The file is empty."))
    if len(data) > max_bytes:
        raise refuse(too_big_message(max_bytes))
    if b"%PDF-" in data[:1024]:
        return _check_pdf(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff") or (
            data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return _check_image(data)
    raise refuse(_("Only PDF files and images (PNG, JPEG or WebP) are accepted; this file is "
                   "neither, whatever its name says."))


def too_big_message(max_bytes: int) -> str:
    return _("The file is too large: at most %(size)s MB.", size=round(max_bytes / MIB, 1))


def _check_pdf(data: bytes) -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise refuse(_("Password-protected PDF files are not accepted."))
            pages = len(reader.pages)
            if pages:
                reader.pages[0].mediabox  # noqa: B018 - the first page must be readable
    except Invalid:
        raise
    except Exception:  # pypdf raises many kinds of errors on damaged input
        pages = 0
    if not pages:
        raise refuse(_("The file calls itself a PDF but cannot be read as one (damaged or not "
                       "a PDF)."))
    return "application/pdf"


def _check_image(data: bytes) -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise refuse(_("The image has too many pixels."))
                image.load()   # decodes every byte: a truncated image fails here
    except Invalid:
        raise
    except Exception:  # Pillow raises OSError, SyntaxError, ValueError, bomb errors…
        kind = None
    if kind not in _IMAGE_TYPES:
        raise refuse(_("The image cannot be read (damaged, incomplete or not an image)."))
    return _IMAGE_TYPES[kind]
