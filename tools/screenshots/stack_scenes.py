"""A stack in the panels: the frame slider in the Image and Segment panels, and objects propagated to the
next frame (``python -m tools.screenshots --only-stacks DIR``)."""

from __future__ import annotations

from pathlib import Path

from tools.screenshots.grab import grab, wait, wait_until


def stack_scenes(window, workspace, out: Path) -> None:
    """A stack (the sample scene filmed by a panning camera, 12 frames as a multi-page TIFF): the Image panel
    with its frame slider, the Segment panel with the slider and Propagation, and the objects of frame 1
    propagated to frame 2."""
    import numpy as np
    import tifffile

    from core.sample_scene import OBJECT_NAMES, make_sample_scene

    rgb, labels = make_sample_scene()
    width = rgb.shape[1] - 12 * 6
    frames = np.stack([rgb[:, 6 * t: 6 * t + width] for t in range(12)])
    path = workspace.images_dir / "panning.tif"
    tifffile.imwrite(path, frames, photometric="rgb")
    panel = window.image_panel
    window.tabs.setCurrentWidget(panel)
    panel.show_workspace()
    panel.select_path(path)
    wait_until(lambda: panel.frame_bar.isVisible(), 20)
    window.frames.go(3)
    wait_until(lambda: window.frames.navigator.shown == 3, 20)
    wait(600)
    grab(window, out / "stack_image_panel.png")
    window.frames.go(0)
    segment = window.segment_panel
    window.tabs.setCurrentWidget(segment)
    wait_until(lambda: segment.session.frame == 0 and segment.tool_buttons["click"].isEnabled(), 30)
    first = labels[:, :width]
    names = {int(v): OBJECT_NAMES[int(v) - 1] for v in np.unique(first) if v}
    segment.adopt_labels(first, names)
    segment._refresh_labels()
    wait(600)
    grab(window, out / "stack_segment_panel.png")
    segment.propagate_action.propagate_next()
    wait_until(lambda: segment.session.frame == 1 and segment.propagate_action.handle is None
                and segment.tool_buttons["click"].isEnabled(), 60)
    wait(1200)
    grab(window, out / "stack_propagated.png")
