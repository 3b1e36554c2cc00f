"""The conversation with the customer: staff replies, reply templates, mail staff must see."""
