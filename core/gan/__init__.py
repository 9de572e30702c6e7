"""GANs: models, losses, data, the training task, quality metrics and latent exploration."""
