"""One module per public dataset: where it lives, what it is, and a validated, tidy reader."""
