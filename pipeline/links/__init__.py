"""Signed links a customer opens without logging in: survey answers and the status page."""
