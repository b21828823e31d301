"""Digit Recognizer's jobs: data, training, evaluation (jobs); augmentation; model files; reading images (images,
reading); comparisons (lessons) and the sentences they prove (claims); charts."""

from core.digits.augment import (  # noqa: F401
    AUGMENT_CHUNK,
    ELASTIC_PX,
    ELASTIC_SIGMA,
    augment_images,
)
from core.digits.jobs import (  # noqa: F401
    CONFIG_TYPES,
    DATASETS,
    MODELS,
    SIDE,
    DigitsCnn,
    DigitsConfig,
    compute,
    confusion,
    data_identity,
    default_config,
    is_cnn,
    load_data,
    misclassified,
    net_config,
    per_class,
    predict,
    raw_arrays,
    sklearn_baseline,
    test_image,
    test_predictions,
    train,
    train_key,
    train_many,
)
from core.digits.model_file import (  # noqa: F401
    MAX_HEADER_BYTES,
    MAX_JSON_DEPTH,
    MAX_MODEL_BYTES,
    MODEL_FORMAT,
    MODEL_VERSION,
    ModelFileError,
    export_model,
    import_model,
    model_digest,
)
from core.digits.workload import (  # noqa: F401
    sklearn_request,
)
