"""In-app help: the keyboard-shortcut sheet and the Getting started walk through the four panels."""
