"""The staff web console: review, correct, decide responsibility, route."""
