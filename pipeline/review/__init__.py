"""Staff review of parsed cases: corrections, responsibility, routing."""
