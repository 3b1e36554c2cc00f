"""Scanned paper letters: reading pages (text layer or OCR), fields, and the OCR job."""
