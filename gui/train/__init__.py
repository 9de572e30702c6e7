"""The Train panel (train_panel.py): setup dialogs, curves, run status."""
