"""fmnist_core: the small shared package of the bilingual PyTorch-basics course.

Data (``data``), the course model (``model``), training (``train``), plots (``plot``),
exercise checks (``checks``) and the course tooling (``tooling``, ``python -m fmnist_core``).
"""

from .data import (
    CLASSES_EN,
    CLASSES_ZH,
    DataNotFoundError,
    TensorLoader,
    class_name,
    data_dir,
    ensure_data,
    get_dataloaders,
    get_tensor_loaders,
    load_datasets,
    load_tensors,
    split_indices,
)
from .grading import enable_if_grading
from .model import NeuralNetwork, count_parameters
from .plot import (
    class_label,
    label,
    pad,
    plot_histories,
    show_images,
    text_width,
    use_cjk_font,
)
from .train import evaluate, fit, get_device, set_seed, train_epoch

__version__ = "0.1.0"
enable_if_grading()  # FMNIST_GRADING=1: skip the marked demonstration cells (nbgrader's kernel)
__all__ = [
    "CLASSES_EN",
    "CLASSES_ZH",
    "DataNotFoundError",
    "TensorLoader",
    "class_name",
    "data_dir",
    "ensure_data",
    "get_dataloaders",
    "get_tensor_loaders",
    "load_datasets",
    "load_tensors",
    "split_indices",
    "NeuralNetwork",
    "count_parameters",
    "class_label",
    "label",
    "pad",
    "plot_histories",
    "show_images",
    "text_width",
    "use_cjk_font",
    "evaluate",
    "fit",
    "get_device",
    "set_seed",
    "train_epoch",
]
