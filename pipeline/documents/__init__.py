"""Reading files a customer sends: PDF text layers, Office documents, images within bounds.
"""
