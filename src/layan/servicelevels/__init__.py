"""Service levels: business calendars, SLA policies and clocks, breaches and escalations."""
