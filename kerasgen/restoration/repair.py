"""``repair_image``: one entry point for every restoration method, by name.

The classical methods are built in. Methods implemented elsewhere (the
learned U-Net denoiser and plug-and-play restoration of the Keras side) are
registered by name with ``register_method`` and a lazily imported target, so
that this package never names a module outside itself: ``import kerasgen``
registers "unet" and "pnp", whose implementation (``kerasgen.learned_repair``)
is imported on first use.
"""

import dataclasses
import importlib

from kerasgen.restoration._checks import check_choice, check_int
from kerasgen.restoration.deblurring import deblur
from kerasgen.restoration.degradations import upsample
from kerasgen.restoration.denoising import denoise
from kerasgen.restoration.inpainting import inpaint

# Built-in method name -> (task, name of the method in that task's function).
_METHODS = {
    "bm3d": ("denoise", "bm3d"),
    "nl_means": ("denoise", "nl_means"),
    "tv": ("denoise", "tv"),
    "wavelet": ("denoise", "wavelet"),
    "bilateral": ("denoise", "bilateral"),
    "bm3d_deblur": ("deblur", "bm3d"),
    "richardson_lucy": ("deblur", "richardson_lucy"),
    "wiener": ("deblur", "wiener"),
    "biharmonic": ("inpaint", "biharmonic"),
    "bilinear": ("upscale", 1),  # spline order of `upsample`
    "bicubic": ("upscale", 3),
}

# Task -> the `repair_image` keyword arguments its built-in methods use.
_TASK_ARGUMENTS = {
    "denoise": ("sigma",),
    "deblur": ("sigma", "psf"),
    "inpaint": ("mask",),
    "upscale": ("scale",),
}

# The `repair_image` keyword arguments a registered method may use.
METHOD_ARGUMENTS = ("sigma", "psf", "mask", "scale", "model", "tile", "overlap")


@dataclasses.dataclass(frozen=True)
class _Registered:
    task: str
    target: object  # "module:function" (imported on first use) or a callable
    arguments: tuple


_REGISTERED = {}

REPAIR_METHODS = tuple(_METHODS)
"""Names accepted by ``repair_image(method=...)``: the built-in methods, then the
registered ones ("unet" and "pnp" once ``kerasgen`` is imported).
``repair_methods()`` gives the current list when methods are registered later."""

DENOISE_REPAIR_METHODS = tuple(name for name, (task, _) in _METHODS.items() if task == "denoise")
DEBLUR_REPAIR_METHODS = tuple(name for name, (task, _) in _METHODS.items() if task == "deblur")
INPAINT_REPAIR_METHODS = tuple(name for name, (task, _) in _METHODS.items() if task == "inpaint")
UPSCALE_REPAIR_METHODS = tuple(name for name, (task, _) in _METHODS.items() if task == "upscale")


def register_method(name, target, *, task="learned", arguments=("sigma",)):
    """Registers a restoration method implemented outside ``kerasgen.restoration``.

    ``repair_image(image, name, ...)`` then calls the target as
    ``target(image, channel_axis=channel_axis, **arguments, **method_kwargs)``,
    where ``arguments`` holds the ``repair_image`` arguments the method uses
    (given or default). Registering a name again replaces the entry.

    Args:
        name: the method name, a str that is not a built-in method.
        target: ``"package.module:function"``, imported on the first call
            (so that registering costs no import), or a callable.
        task: what the method does, a short str reported by ``method_task``
            (default "learned").
        arguments: the ``repair_image`` keyword arguments the method uses,
            among ``METHOD_ARGUMENTS``; any other one given to ``repair_image``
            is refused.

    Returns:
        None.

    Raises:
        TypeError: ``name`` or ``task`` not a str, ``target`` neither a str nor a
            callable.
        ValueError: ``name`` is a built-in method, ``target`` is not of the form
            "module:function", or an unknown argument name.

    Example:

    >>> register_method("unet", "kerasgen.learned_repair:repair_unet",
    ...                 arguments=("model", "tile", "overlap", "sigma"))  # doctest: +SKIP
    """
    global REPAIR_METHODS
    for argument, value in (("name", name), ("task", task)):
        if not isinstance(value, str) or not value:
            raise TypeError(f"{argument} must be a non-empty str. Received: {argument}={value!r}")
    if name in _METHODS:
        raise ValueError(f"name must not be a built-in method ({', '.join(_METHODS)}). Received: name={name!r}")
    if isinstance(target, str):
        module, _, function = target.partition(":")
        if not (module and function):
            raise ValueError(f"target must be 'module:function' or a callable. Received: target={target!r}")
    elif not callable(target):
        raise TypeError(f"target must be 'module:function' or a callable. Received: target={target!r}")
    arguments = tuple(arguments)
    for argument in arguments:
        check_choice("arguments", argument, METHOD_ARGUMENTS)
    _REGISTERED[name] = _Registered(task, target, arguments)
    REPAIR_METHODS = tuple(_METHODS) + tuple(_REGISTERED)


def repair_methods():
    """The names ``repair_image`` accepts now (built-in, then registered).

    Returns:
        Tuple of method names.
    """
    return REPAIR_METHODS


def method_task(method):
    """Says which task a ``repair_image`` method performs.

    Args:
        method: one of ``REPAIR_METHODS``.

    Returns:
        "denoise", "deblur", "inpaint", "upscale", or the task of a
        registered method ("learned" for "unet" and "pnp").

    Raises:
        ValueError: unknown method, listing the valid ones.
    """
    check_choice("method", method, REPAIR_METHODS)
    if method in _REGISTERED:
        return _REGISTERED[method].task
    return _METHODS[method][0]


def method_arguments(method):
    """Says which keyword arguments of ``repair_image`` a method uses.

    Args:
        method: one of ``REPAIR_METHODS``.

    Returns:
        Tuple of argument names, e.g. ``("sigma", "psf")`` for "wiener".
        Giving any other of ``sigma``, ``psf``, ``mask``, ``scale``, ``model``,
        ``tile``, ``overlap`` raises a ValueError in ``repair_image``.

    Raises:
        ValueError: unknown method, listing the valid ones.
    """
    task = method_task(method)
    if method in _REGISTERED:
        return _REGISTERED[method].arguments
    return _TASK_ARGUMENTS[task]


def repair_image(
    image,
    method="bm3d",
    *,
    sigma=None,
    psf=None,
    mask=None,
    scale=None,
    channel_axis=None,
    model=None,
    tile=None,
    overlap=None,
    **method_kwargs,
):
    """Restores an image with any method of the package, chosen by name.

    - Denoising (``denoise``): "bm3d", "nl_means", "tv", "wavelet",
      "bilateral"; use ``sigma``.
    - Deblurring (``deblur``, need ``psf=``): "bm3d_deblur",
      "richardson_lucy", "wiener"; use ``sigma``.
    - Inpainting (``inpaint``, needs ``mask=``): "biharmonic".
    - Upscaling (``upsample``, needs ``scale=``; the result is ``scale`` times
      larger): "bilinear", "bicubic".
    - Registered methods (registered by ``import kerasgen``, implemented by
      ``kerasgen.learned_repair``; they import TensorFlow, on use only):
      "unet", a U-Net denoiser (``kerasgen.inference.restore``; ``model=``,
      default the shipped noise-level-aware denoiser for the image's
      channels, "unet_denoise_gray" or "unet_denoise_color"; ``sigma=`` sets
      the noise level, None estimates it; ``tile=``, ``overlap=`` for large
      images; ``self_ensemble=2|4|8`` averages flipped / rotated runs), and
      "pnp", plug-and-play restoration with that denoiser as the prior
      (``kerasgen.plug_and_play``): deblurring with ``psf=``, inpainting with
      ``mask=`` or super-resolution with ``scale=``, exactly one of them;
      ``sigma=`` is the noise level of the image (None: estimated for
      deblurring, 0 otherwise).

    Args:
        image: float image, (H, W), (H, W, 1) or (H, W, 3); values may lie
            outside [0, 1].
        method: one of ``REPAIR_METHODS``.
        sigma: noise standard deviation in image units ([0, 1] scale), or
            None to estimate it (denoising, deblurring and "unet").
        psf: point-spread function, for the deblurring methods only.
        mask: bool (H, W) mask of missing pixels, for inpainting only.
        scale: integer upscaling factor >= 2, for upscaling only.
        channel_axis: keyword-only; see ``denoise``.
        model: Keras model for "unet" and "pnp" (default: the pretrained
            one).
        tile: tile size for "unet", or None for the whole image at once.
        overlap: tile overlap in pixels for "unet"; None: 32, lowered for a
            model with a fixed input size (as ``restore``).
        **method_kwargs: passed to the underlying method (e.g.
            ``num_iter=30`` for "richardson_lucy").

    Returns:
        The restored image, same shape as ``image`` (upscaling: ``scale``
        times larger), not clipped ("unet" and "pnp" clip to [0, 1]).

    Raises:
        ValueError: unknown method (the message lists the valid ones), a
            missing ``psf`` / ``mask`` / ``scale``, an argument the method does not
            use, a keyword the method sets itself (``order=`` for upscaling),
            or an invalid input.
        ImportError: a BM3D method without the ``bm3d`` package.

    Example:

    >>> restored = repair_image(noisy, "nl_means", sigma=25 / 255)  # doctest: +SKIP
    >>> sharp = repair_image(blurred, "wiener", psf=gaussian_psf(9, 1.6))  # doctest: +SKIP
    >>> sharp = repair_image(blurred, "pnp", psf=gaussian_psf(9, 1.6), sigma=0.01)  # doctest: +SKIP
    >>> large = repair_image(small, "pnp", scale=4)  # doctest: +SKIP
    """
    task = method_task(method)
    _check_unused(method, task, psf=psf, mask=mask, scale=scale, sigma=sigma, model=model, tile=tile, overlap=overlap)
    if method in _REGISTERED:
        given = {
            "sigma": sigma, "psf": psf, "mask": mask, "scale": scale, "model": model, "tile": tile,
            "overlap": overlap,
        }  # fmt: skip
        return _call_registered(method, image, channel_axis, given, method_kwargs)
    name = _METHODS[method][1]
    if task == "denoise":
        return denoise(image, name, sigma, channel_axis=channel_axis, **method_kwargs)
    if task == "deblur":
        if psf is None:
            raise ValueError(f"method={method!r} needs the blur kernel: pass psf=, e.g. psf=gaussian_psf(9, 1.6).")
        return deblur(image, psf, name, sigma, channel_axis=channel_axis, **method_kwargs)
    if task == "inpaint":
        if mask is None:
            raise ValueError(f"method={method!r} needs mask= (bool (H, W) array, True = missing pixel).")
        return inpaint(image, mask, name, channel_axis=channel_axis, **method_kwargs)
    if scale is None:  # upscaling, the last built-in task
        raise ValueError(f"method={method!r} needs the upscaling factor: pass scale=, e.g. scale=2.")
    if "order" in method_kwargs:
        raise ValueError(
            f"order= is set by the method: method={method!r} is spline order {name} (bilinear 1, bicubic 3). "
            f"Choose the method instead. Received: order={method_kwargs['order']!r}"
        )
    scale = check_int("scale", scale, minimum=1, expected="an integer upscaling factor >= 1 (e.g. scale=2)")
    return upsample(image, scale, order=name, channel_axis=channel_axis, **method_kwargs)


def _check_unused(method, task, **arguments):
    used = method_arguments(method)
    for argument, value in arguments.items():
        if value is not None and argument not in used:
            raise ValueError(
                f"{argument}= is not used by method={method!r} ({task}). Received: {argument}={value!r:.60}"
            )


def _call_registered(method, image, channel_axis, given, method_kwargs):
    entry = _REGISTERED[method]
    function = entry.target
    if isinstance(function, str):
        module, _, attribute = function.partition(":")
        function = getattr(importlib.import_module(module), attribute)
    arguments = {name: given[name] for name in entry.arguments}
    return function(image, channel_axis=channel_axis, **arguments, **method_kwargs)
