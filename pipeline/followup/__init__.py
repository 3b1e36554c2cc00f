"""After closing: the satisfaction follow-up."""
