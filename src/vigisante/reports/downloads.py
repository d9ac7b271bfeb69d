"""The one download answer for attachments, shared by the pages and the API."""

from __future__ import annotations

import hashlib
import io
import logging

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from vigisante.core import crypto
from vigisante.reports import quarantine
from vigisante.reports.models import Attachment

log = logging.getLogger(__name__)


class AttachmentMissing(Http404):
    """The attachment's file is gone from storage (a 404 that says so)."""


def attachment_response(att: Attachment) -> FileResponse:
    """The file as a download, never rendered by the browser nor kept in a cache.

    The caller has checked access (action "download") and audited the download
    (`services.open_attachment` does both).
    """
    try:
        handle = att.file.open("rb")
    except crypto.DecryptionError as exc:
        # Stored encrypted under a key this server lacks, or altered on disk: never served.
        log.error("attachment %s of report %s cannot be decrypted: %s", att.pk, att.report_id,
                  exc)
        raise AttachmentMissing(_("The file cannot be read on this server.")) from None
    except OSError:
        log.error("attachment %s of report %s is missing from storage", att.pk, att.report_id)
        raise AttachmentMissing(_("The file is no longer available.")) from None
    with handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != att.sha256:
        # Another report's file put in its place, or changed on disk: the checksum taken at
        # upload ties the content to this attachment.
        log.error("attachment %s of report %s does not match its checksum", att.pk,
                  att.report_id)
        raise AttachmentMissing(_("The file cannot be read on this server."))
    # Phishing e-mails and possible malware go out in an AES zip (reports.quarantine).
    return quarantine.download_response(att, io.BytesIO(data))
