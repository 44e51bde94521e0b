"""From warning to action: the risk-factor framework, the prevention toolkit and its
evidence, assessments, plans and alerts."""
