"""The image lessons' family: a network trained on a dataset of 32x32 pictures held on the device.

An image lesson names its network class and the settings that build it; the training loop
(`train.train_images`) and the exported script (`export.image_script`) are the same for all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from .base import Lesson
from .layers import activation_fn

if TYPE_CHECKING:
    from torch import nn

    from ..control import Control
    from ..datasets import ImageData
    from ..events import Event
    from ..progress import ProgressCallback
    from ..settings import Settings

IMAGE_FIELDS = ("lr", "epochs", "batch_size", "seed", "device", "dataset", "data_root", "trust_data", "max_steps")
"""The settings every image lesson has, after its model's own."""


@dataclass(frozen=True)
class ImageLesson(Lesson):
    """A network on an image dataset: trained for seconds to minutes, checkpointed, resumable."""

    model: Any = None
    """The network class; built as model(**{setting: value}, num_classes=...)."""
    model_settings: tuple[str, ...] = ()
    """The settings the network class takes, by the same names."""

    uses_images = True

    def model_kwargs(self, settings: Settings) -> dict[str, Any]:
        """The network's arguments from these settings."""
        return {name: getattr(settings, name) for name in self.model_settings}

    def build_model(self, settings: Settings, num_classes: int = 10) -> nn.Module:
        """The network for these settings and this many classes (call after seeding)."""
        return self.model(**self.model_kwargs(settings), num_classes=num_classes)

    def input_shape(self, settings: Settings) -> tuple[int, ...]:
        """One picture: 3 colour channels of 32x32 pixels."""
        return (3, 32, 32)

    def load_data(self, settings: Settings, progress: ProgressCallback | None = None) -> ImageData:
        """The dataset the settings name, on their device; `progress` hears a download or a folder read."""
        from ..datasets import load_images
        from ..device import resolve_device

        s = settings
        return load_images(s.dataset, s.data_root, resolve_device(s.device), trust_data=s.trust_data, progress=progress)

    def run(
        self,
        settings: Settings,
        control: Control,
        *,
        data: ImageData | None = None,
        checkpoints: bool = False,
        resume: dict[str, Any] | None = None,
    ) -> Iterator[Event]:
        """Train with the image loop."""
        from ..train import train_images

        return train_images(self, settings, control, data=data, checkpoints=checkpoints, resume=resume)

    def epoch_lines(self, model: nn.Module, data: ImageData, test_accuracy: float) -> list[str]:
        """Lines of the lesson's own for each epoch's note, after the test split is scored (none here)."""
        return []

    def script_sources(self) -> tuple[Any, ...]:
        """What the exported script copies the source of, in order: helpers, then the network."""
        return (activation_fn, self.model)

    def script(self, settings: Settings) -> str:
        """The data loader, the network and the loop, as one script."""
        from ..export import image_script

        return image_script(self, settings)
