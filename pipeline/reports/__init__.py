"""Complaint statistics and the review of recurring problems."""
