"""Personal data of customers: export it on request, erase it on request or by retention."""
