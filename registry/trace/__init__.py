"""Fields, seasons, the farm diary, batches and trace events."""
