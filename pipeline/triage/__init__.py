"""What intake suggests for a new case's category, severity, product and quantity."""
