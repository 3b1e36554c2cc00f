"""Letters to customers: texts and templates (zh/en) rendered from plain dataclasses.

A leaf package: it knows nothing of the database, the pipeline or the settings, so a
letter is a pure function of its values. Sending sits behind ``pipeline.outbound``.
"""

from letters.acknowledgment import AckLetter, RenderedMail, render_acknowledgment
from letters.compose import AddressError, build_message, is_sendable_address, make_message_id

__all__ = [
    "AckLetter",
    "AddressError",
    "RenderedMail",
    "build_message",
    "is_sendable_address",
    "make_message_id",
    "render_acknowledgment",
]
