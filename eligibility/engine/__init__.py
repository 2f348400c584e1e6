"""The engines that run compiled law on a case's facts: durable_rules behind one adapter, and the
plain-Python evaluator. Imports only model/ and law/."""
