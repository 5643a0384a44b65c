"""Face to face: branches and their queues, check-in codes, waits and visits, as plain data."""
