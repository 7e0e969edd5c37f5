"""HTTP: one blueprint per area of the product. Views parse and authorise, call a service, commit once, render."""
