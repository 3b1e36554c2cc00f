"""Resolution deadlines counted in working days."""
