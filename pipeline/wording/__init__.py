"""Admins' versions of the letter templates: listing, saving after a check, restoring."""
