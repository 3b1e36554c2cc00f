"""A mail as we read it: bounded MIME parsing, headers, charsets, addresses, attachments.

Shared by intake, scanned letters and the review pages, which show the original.
"""
