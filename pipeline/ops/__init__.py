"""Operating the product: health, metrics, and the records they are read from."""
