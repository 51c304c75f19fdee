"""Service levels: business calendars, SLA policies and clocks, escalations, and the 24/7 on-call line."""
