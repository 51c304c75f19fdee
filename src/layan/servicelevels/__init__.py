"""Service levels: business calendars, SLA policies and clocks, breaches and escalations, and the 24/7
on-call line."""
