"""Participatory-budget rules on support rounds: the committee's list and the public comparison."""
