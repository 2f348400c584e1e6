"""Screening a case and explaining it: the screener, the verdict, what could change it, and the
renderers. Imports model/, law/ and engine/."""
