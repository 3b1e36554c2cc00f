"""From a routed case to its written resolution."""
