"""Developer tools (screenshots): not part of the shipped app (pyproject ships core, gui, resources)."""
