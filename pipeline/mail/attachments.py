"""Attachment storage: files live under generated names inside one storage root.

The customer's file name is kept only as a display name in the database; the file on
disk is named by a random token, so names like ``../../etc/x``, ``CON`` or 300
characters can never choose where a file goes.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from sqlalchemy.orm import Session

from pipeline.db.models import Attachment
from pipeline.mail.message import MailAttachment


def store_attachments(
    session: Session,
    *,
    root: Path,
    attachments: tuple[MailAttachment, ...],
    inbound_mail_id: int | None,
    case_id: int | None,
) -> list[Attachment]:
    """Write the files, then add their rows to the caller's transaction."""
    rows = []
    for item in attachments:
        storage_name = uuid.uuid4().hex
        write_file(root, storage_name, item.payload)
        row = Attachment(
            case_id=case_id,
            inbound_mail_id=inbound_mail_id,
            display_name=item.filename[:255],
            storage_name=storage_name,
            content_type=item.content_type[:255],
            size=len(item.payload),
            sha256=hashlib.sha256(item.payload).hexdigest(),
        )
        session.add(row)
        rows.append(row)
    return rows


def write_file(root: Path, storage_name: str, payload: bytes) -> Path:
    """Write atomically under a two-level fan-out; a rollback leaves only an orphan file."""
    folder = root / storage_name[:2]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / storage_name
    tmp = folder / f".{storage_name}.tmp"
    tmp.write_bytes(payload)
    os.replace(tmp, target)
    return target


def attachment_path(root: Path, storage_name: str) -> Path:
    """Where a stored attachment lives; the name is ours, so it cannot escape the root."""
    return root / storage_name[:2] / storage_name
