"""The tasks the studio ships, by the name a run's config.json saves, as module paths.

This module imports nothing: the registry (``core.training.task``) imports a task's module the first time
its name is asked for, and the module registers its class with ``@register_task``. So the training
package never depends on the models built on it, and a new task is one line here.
"""

from __future__ import annotations

BUILTIN_TASK_MODULES: dict[str, str] = {
    "gan": "core.gan.task",
    "unet": "core.unet.task",
    "autoencoder-check": "core.training.check_task",
}
