"""What every app of the project shares; imports no project app."""
