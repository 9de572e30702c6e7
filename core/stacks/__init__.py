"""Stacks: multi-page TIFFs, animated GIF/APNG/WebP and numbered image sequences as frames decoded on
demand (see ``/work/tools/stacks_api.md`` style spec in docs/user-guide.md, "Stacks and sequences")."""

from core.stacks.errors import FrameLoadError, StackError
from core.stacks.opener import is_stack, open_stack, stack_depth
from core.stacks.sequence import NumberedSequence, find_sequence
from core.stacks.stack import ImageStack

__all__ = ["FrameLoadError", "ImageStack", "NumberedSequence", "StackError", "find_sequence", "is_stack",
           "open_stack", "stack_depth"]
