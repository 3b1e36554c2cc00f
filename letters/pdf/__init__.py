"""PDF letters and forms drawn with reportlab."""
