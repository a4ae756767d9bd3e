"""Re-exports of the model checks of `kerasgen._checks`, the one validation layer.

Kept only for modules not yet converted (`kerasgen.models.unet`,
`kerasgen.recipes.unet`); new code imports from `kerasgen._checks`.
"""

from kerasgen._checks import (  # noqa: F401
    check_image_shape,
    check_name,
    check_num_classes,
    check_positive_int,
    check_rate,
)
