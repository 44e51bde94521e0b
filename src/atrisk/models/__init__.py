"""Structural (annual) risk models behind one contract; see ``base.StructuralModel``."""
