"""Where the bytes of documents live: a directory under ``instance/`` (the default, outside the
web root) or an S3-compatible object store (several web servers). Keys are random.

``DOCUMENT_STORAGE`` chooses: ``local`` (``DOCUMENT_STORAGE_PATH``, default
``instance/documents``) or ``s3`` (``DOCUMENT_S3_BUCKET``, and ``DOCUMENT_S3_ENDPOINT_URL`` /
``DOCUMENT_S3_REGION`` for a store other than AWS; credentials the usual boto3 way).
"""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Protocol

import boto3
import sqlalchemy as sa
from botocore.exceptions import ClientError
from flask import Flask, current_app
from sqlalchemy.orm import Session

EXTENSION = "diaspora.documents.storage"


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...


def new_key() -> str:
    """A random name that says nothing about the file or its owner."""
    return secrets.token_hex(16)


class LocalStorage:
    """Files under ``root``, two hex digits of fan-out, readable by the app's user only."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError("bad storage key")
        return self.root / key[:2] / key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Written aside and renamed, so a half-written file never has the real name.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


class S3Storage:
    """Objects in one bucket of an S3-compatible store."""

    def __init__(self, bucket: str, client):
        self.bucket = bucket
        self.client = client

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True


def storage_for(app: Flask | None = None) -> Storage:
    """The storage the app's config names (one client per configuration, kept on the app)."""
    app = app or current_app
    config = app.config
    kind = config.get("DOCUMENT_STORAGE", "local")
    if kind == "s3":
        settings = (kind, config["DOCUMENT_S3_BUCKET"], config.get("DOCUMENT_S3_ENDPOINT_URL"),
                    config.get("DOCUMENT_S3_REGION"))
    else:
        settings = (kind, config.get("DOCUMENT_STORAGE_PATH")
                    or os.path.join(app.instance_path, "documents"))
    cached = app.extensions.get(EXTENSION)
    if cached is None or cached[0] != settings:
        cached = (settings, _make(settings))
        app.extensions[EXTENSION] = cached
    return cached[1]


def _make(settings: tuple) -> Storage:
    if settings[0] == "s3":
        _kind, bucket, endpoint, region = settings
        client = boto3.client("s3", endpoint_url=endpoint, region_name=region)
        return S3Storage(bucket, client)
    return LocalStorage(settings[1])


# --- deleting with the transaction --------------------------------------------------------

_PENDING = "documents.delete_after_commit"


def delete_after_commit(session, storage: Storage, keys) -> None:
    """Remove the objects once ``session`` commits; a rollback keeps them (so a refused
    erasure or deletion loses no file)."""
    session.info.setdefault(_PENDING, []).extend((storage, key) for key in keys)


@sa.event.listens_for(Session, "after_commit")
def _delete_pending(session) -> None:
    for storage, key in session.info.pop(_PENDING, []):
        storage.delete(key)


@sa.event.listens_for(Session, "after_rollback")
def _keep_pending(session) -> None:
    session.info.pop(_PENDING, None)
