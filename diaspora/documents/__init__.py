"""Documents: uploaded licence scans, certificates, registrations, receipts; and the
verification of a licence or qualification against one of them.

``checks`` decides whether bytes are a PDF or an image (by content, never by name),
``storage`` keeps the bytes (local directory or an S3-compatible object store), ``services``
holds the rules (who may upload, read, delete and verify; every read audited), and the privacy
hooks export and erase a person's files (``init_app`` registers them).
"""
from __future__ import annotations

from flask import Flask

from ..hooks import registry_hooks
from . import services


def init_app(app: Flask) -> None:
    hooks = registry_hooks(app)
    hooks.erasure_steps.append(services.erase_documents)
    hooks.export_sections.append(services.documents_of)
