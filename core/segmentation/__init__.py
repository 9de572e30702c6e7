"""Interactive segmentation: clicks and strokes to masks, and multi-object label maps."""

from core.segmentation.click_segmenter import ClickSegmenter, Params

__all__ = ["ClickSegmenter", "Params"]
