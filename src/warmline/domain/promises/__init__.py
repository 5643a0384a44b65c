"""Service promises against delivery: what the organisation promises customers ("email
answered within 4 business hours", "callback within 1 business day"), the business
calendar they are counted in (:mod:`.calendar`), the configuration that says both
(:mod:`.config`), and whether each promise was kept (:mod:`.outcome`). Pure logic."""
