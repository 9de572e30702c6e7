"""The GAN panel (gan_panel.py): the explorer, its grid and the GAN setup dialog."""
