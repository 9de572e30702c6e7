"""The Image panel: open images and folders, browse them, look at pixels and masks."""
