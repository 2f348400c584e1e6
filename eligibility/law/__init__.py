"""The law: the rule files read and validated, their identity, the three-valued logic, and the
compiler that turns each law epoch into engine rules. Imports only model/."""
