"""The case and its facts: the case model, the case-file loader, the anonymisation guard, the
fixed words, the empty-case template, and atomic file writes. Imports nothing else of the package."""
