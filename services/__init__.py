"""The product's rules. Functions take plain data, flush, never commit, never touch `request`."""
