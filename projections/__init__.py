"""The read side: read models kept up to date from the event log (see ``projector``)."""
