"""Which department should handle a case: suggestions and how often staff took them."""
