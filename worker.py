"""samskab worker."""
