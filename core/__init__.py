"""SegGAN Studio headless core: numpy, Pillow, TensorFlow/Keras. Never imports Qt."""

__version__ = "0.1.0"
