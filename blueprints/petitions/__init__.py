"""Petitions to the council (organic law 113-14, arts. 121-125)."""
