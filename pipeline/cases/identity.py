"""Who a mail is from, for deciding what it may do and where our answer goes.

The identity is the From address, normalised. A forward is the one exception: when
one of our own staff (a domain in ``COMPLAINTS_FORWARDER_DOMAINS``) forwards a
customer's mail, the customer is the forwarded mail's sender. Anyone else who
forwards a mail is the sender themselves: otherwise a stranger could attach a mail
"from" any customer and have us write to, or act for, that customer.
"""

from __future__ import annotations

from config.settings import Settings
from pipeline.cases.customer_addresses import normalise_address
from pipeline.mail.message import ParsedMail


def trusted_forward(mail: ParsedMail, settings: Settings) -> bool:
    """Whether the mail is a forward by our own staff (so the inner sender is the customer)."""
    if not mail.forwarded_by:
        return False
    domain = normalise_address(mail.forwarded_by).rpartition("@")[2]
    return bool(domain) and domain in settings.forwarder_domain_set


def sender_identity(mail: ParsedMail, settings: Settings) -> str:
    """The normalised address that speaks for this mail ("" when it has none)."""
    if mail.forwarded_by and not trusted_forward(mail, settings):
        return normalise_address(mail.forwarded_by)
    return normalise_address(mail.from_address)
