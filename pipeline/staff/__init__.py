"""Staff accounts and their console sessions."""
