"""SegGAN Studio Qt front end."""
