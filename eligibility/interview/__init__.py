"""The interview: a case screened question by question, its journal, and the dialogue at a
terminal. Imports model/, law/ and explain/."""
