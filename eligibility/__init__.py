"""eligibility: rules-as-code screening under utlendingsloven §§ 40, 41, 53 and 62."""

__version__ = "0.3.0"
