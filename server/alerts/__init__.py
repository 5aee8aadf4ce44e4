"""Push alerts: JMA warnings, evacuation information and shelter openings, delivered by Web Push
to the subscriptions whose areas they touch."""
