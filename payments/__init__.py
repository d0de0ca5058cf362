"""The bank side of entry fees: statements in, payments matched, refunds out, the books."""
