"""GAN panel widgets."""
