"""Plug-and-play restoration: the data steps' math, the HQS loop, inputs."""

import numpy as np
import pytest
from skimage import data
from skimage.restoration import denoise_tv_chambolle

from kerasgen import restoration as R
from kerasgen.plug_and_play import _data_steps as D
from kerasgen.plug_and_play import deblur, inpaint, noise_schedule, super_resolve


def identity(image, sigma):
    return image


def tv_denoiser(image, sigma):
    """A cheap classical denoiser standing in for the CNN (TV weight ~ sigma)."""
    return denoise_tv_chambolle(image, weight=sigma, channel_axis=-1 if image.ndim == 3 else None)


def regularised_solve(matrix, y, z, alpha):
    """Dense solution of (A^T A + alpha I) x = A^T y + alpha z."""
    lhs = matrix.T @ matrix + alpha * np.eye(matrix.shape[1])
    return np.linalg.solve(lhs, matrix.T @ y.ravel() + alpha * z.ravel())


def random_psf(rng, shape):
    psf = rng.random(shape)
    return psf / psf.sum()


def rolled_kernel(kernel, origin):
    """Independent circular convolution: sum_j k[j] x[n - (j - origin)]."""

    def apply(image):
        out = np.zeros_like(image)
        for (a, b), weight in np.ndenumerate(kernel):
            out += weight * np.roll(image, (a - origin[0], b - origin[1]), axis=(0, 1))
        return out

    return apply


@pytest.fixture(scope="module")
def camera():
    return data.camera()[180:276, 200:296].astype(np.float32) / 255  # 96 x 96, non-periodic


@pytest.fixture(scope="module")
def astronaut():
    return data.astronaut()[20:84, 170:234].astype(np.float32) / 255  # 64 x 64 x 3


# ---------------------------------------------------------------- operators


@pytest.mark.parametrize("shape", [(3, 3), (4, 4), (5, 2), (6, 3)])
def test_psf_otf_matches_blur_wrap(shape):
    rng = np.random.default_rng(0)
    image, psf = rng.random((12, 10)), random_psf(rng, shape)
    expected = R.blur(image, psf, mode="wrap")
    np.testing.assert_allclose(D.blur_periodic(image, D.psf_otf(psf, image.shape)), expected, atol=1e-12)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_downsample_kernel_matches_restoration_downsample(scale):
    image = np.random.default_rng(scale).random((48, 48, 3))
    kernel, origin = D.downsample_kernel(scale)
    otf = D.kernel_otf(kernel, origin, image.shape[:2])
    ours = D.decimate(D.blur_periodic(image, otf), scale)
    expected = R.downsample(image, scale)
    margin = kernel.shape[0] // scale + 1  # resize mirrors at the borders, we wrap
    np.testing.assert_allclose(ours[margin:-margin, margin:-margin], expected[margin:-margin, margin:-margin],
                               atol=1e-12)
    assert kernel.sum() == pytest.approx(1.0)


def test_periodic_extension_wraps_smoothly(camera):
    extended, offset = D.periodic_extension(camera, (32, 40), "symmetric")
    assert extended.shape == (128, 136)
    np.testing.assert_array_equal(extended[offset[0] : offset[0] + 96, offset[1] : offset[1] + 96], camera)
    periodic = np.roll(extended, (-offset[0] - 96, -offset[1] - 96), axis=(0, 1))
    step = np.abs(np.diff(np.concatenate([periodic, periodic[:1]]), axis=0)).max()
    assert step < np.abs(np.diff(camera, axis=0)).max() + 1e-9  # no jump larger than the image's own


# ------------------------------------------------- data steps = normal equations


@pytest.mark.parametrize("channels", [None, 3])
@pytest.mark.parametrize("psf_shape", [(3, 3), (4, 5)])
@pytest.mark.parametrize("grid", [(8, 8), (7, 9)])  # odd widths: the half spectrum's inverse needs the size
def test_deconvolution_step_solves_normal_equations(channels, psf_shape, grid, dense):
    rng = np.random.default_rng(1)
    shape = grid if channels is None else grid + (channels,)
    psf, y, z, alpha = random_psf(rng, psf_shape), rng.random(shape), rng.random(shape), 0.07
    otf = D.psf_otf(psf, grid, real=True)
    otf_conj_y = D._expand(np.conj(otf), y) * D.real_fft(y)
    step = D.deconvolution_step(z, otf_conj_y, np.abs(otf) ** 2, alpha)
    matrix = dense(lambda x: R.blur(x, psf, mode="wrap"), grid)
    if channels is None:
        y, z, step = y[..., None], z[..., None], step[..., None]
    for c in range(y.shape[-1]):
        expected = regularised_solve(matrix, y[..., c], z[..., c], alpha).reshape(grid)
        np.testing.assert_allclose(step[..., c], expected, atol=1e-10)


@pytest.mark.parametrize(("scale", "shape"), [(2, (8, 8)), (2, (8, 12)), (4, (8, 8))])
@pytest.mark.parametrize("kind", ["downsample", "psf"])
def test_super_resolution_step_solves_normal_equations(scale, shape, kind, dense):
    rng = np.random.default_rng(2)
    if kind == "psf":
        psf = random_psf(rng, (3, 3))
        kernel, origin = psf, (1, 1)
        forward = lambda x: R.blur(x, psf, mode="wrap")[::scale, ::scale]
    else:
        kernel, origin = D.downsample_kernel(scale)
        blur = rolled_kernel(kernel, origin)
        forward = lambda x: blur(x)[::scale, ::scale]
    small = (shape[0] // scale, shape[1] // scale)
    y, z, alpha = rng.random(small + (3,)), rng.random(shape + (3,)), 0.03
    otf = D.kernel_otf(kernel, origin, shape)
    otf_conj_y = np.conj(otf)[..., None] * D._fft(D.upsample_zeros(y, scale))
    step = D.super_resolution_step(z, otf, otf_conj_y, scale, alpha)
    matrix = dense(forward, shape)
    for c in range(3):
        expected = regularised_solve(matrix, y[..., c], z[..., c], alpha).reshape(shape)
        np.testing.assert_allclose(step[..., c], expected, atol=1e-9)


def test_inpainting_step_solves_normal_equations():
    rng = np.random.default_rng(3)
    y, z, alpha = rng.random((8, 8, 3)), rng.random((8, 8, 3)), 0.2
    known = (rng.random((8, 8)) > 0.5).astype(float)
    matrix = np.diag(known.ravel())[known.ravel() > 0]  # rows selecting the known pixels
    step = D.inpainting_step(z, y, known, alpha)
    for c in range(3):
        y_known = y[..., c].ravel()[known.ravel() > 0]
        lhs = matrix.T @ matrix + alpha * np.eye(64)
        expected = np.linalg.solve(lhs, matrix.T @ y_known + alpha * z[..., c].ravel()).reshape(8, 8)
        np.testing.assert_allclose(step[..., c], expected, atol=1e-12)


# ------------------------------------------ HQS with an identity "denoiser"


def test_noise_schedule_is_log_spaced_and_decreasing():
    sigmas = noise_schedule(8, 49 / 255, 2.55 / 255)
    assert sigmas[0] == pytest.approx(49 / 255) and sigmas[-1] == pytest.approx(2.55 / 255)
    ratios = sigmas[1:] / sigmas[:-1]
    np.testing.assert_allclose(ratios, ratios[0])
    assert (ratios < 1).all()


@pytest.mark.parametrize("iterations", [1, 4])
def test_deblur_with_identity_denoiser_is_the_iterated_regularised_inverse(iterations, dense):
    rng = np.random.default_rng(4)
    psf, sigma = random_psf(rng, (3, 3)), 0.05
    y = R.add_gaussian_noise(R.blur(rng.random((8, 8)), psf, mode="wrap"), sigma, seed=0)
    result = deblur(y, psf, sigma=sigma, model=identity, iterations=iterations, mode="wrap", clip=False)
    matrix = dense(lambda x: R.blur(x, psf, mode="wrap"), (8, 8))
    expected = y.astype(np.float64)
    for level in noise_schedule(iterations, 49 / 255, sigma):
        expected = regularised_solve(matrix, y, expected, 0.23 * sigma**2 / level**2).reshape(8, 8)
    np.testing.assert_allclose(result, expected, atol=1e-5)


def test_super_resolve_with_identity_denoiser_is_the_regularised_inverse(dense):
    rng = np.random.default_rng(5)
    psf, start, y = random_psf(rng, (3, 3)), rng.random((8, 8)), rng.random((4, 4))
    result = super_resolve(y, 2, psf=psf, sigma=0.02, model=identity, iterations=1, mode="wrap", init=start,
                           sigma_start=0.1, clip=False)
    matrix = dense(lambda x: R.blur(x, psf, mode="wrap")[::2, ::2], (8, 8))
    expected = regularised_solve(matrix, y, start, 0.23 * 0.02**2 / 0.1**2).reshape(8, 8)
    np.testing.assert_allclose(result, expected, atol=1e-5)


def test_inpaint_with_identity_denoiser_is_the_regularised_inverse():
    rng = np.random.default_rng(6)
    y, start, mask = rng.random((8, 8)), rng.random((8, 8)), rng.random((8, 8)) > 0.5
    result = inpaint(y, mask, sigma=0.1, model=identity, iterations=1, init=start, sigma_start=0.2, clip=False)
    alpha = 0.23 * 0.1**2 / 0.2**2
    np.testing.assert_allclose(result, np.where(mask, start, (y + alpha * start) / (1 + alpha)), atol=1e-6)


def test_inpaint_keeps_known_pixels_without_noise(camera):
    mask = R.random_mask(camera.shape, 0.5, seed=0)
    result = inpaint(np.where(mask, 0, camera), mask, model=tv_denoiser, iterations=3)
    np.testing.assert_array_equal(result[~mask], camera[~mask])


def test_self_ensemble_denoises_each_iteration_under_one_flip_or_turn():
    from kerasgen._symmetry import flip_rotate

    rng = np.random.default_rng(7)
    image, mask = rng.random((12, 20, 3)), rng.random((12, 20)) > 0.5

    def recorder(seen, denoiser):
        def denoise(x, sigma):
            seen.append(x.copy())
            return denoiser(x, sigma)

        return denoise

    plain, ensemble = [], []
    options = {"iterations": 10, "sigma": 0.1, "clip": False}
    expected = inpaint(image, mask, model=recorder(plain, identity), self_ensemble=False, **options)
    result = inpaint(image, mask, model=recorder(ensemble, identity), **options)
    # iteration k denoises flip_rotate(x_k, k % 8); an equivariant denoiser gives the same result
    assert [x.shape[:2] for x in ensemble] == [(12, 20), (20, 12)] * 5
    for k, (x, x_turned) in enumerate(zip(plain, ensemble)):
        np.testing.assert_allclose(x_turned, flip_rotate(x, k % 8))
        np.testing.assert_allclose(flip_rotate(x_turned, k % 8, inverse=True), x)
    np.testing.assert_allclose(result, expected)

    def shift(x, sigma):  # not equivariant: the turns change the result
        return np.roll(x, 1, axis=1)

    assert not np.allclose(inpaint(image, mask, model=shift, **options),
                           inpaint(image, mask, model=shift, self_ensemble=False, **options))  # fmt: skip
    with pytest.raises(TypeError, match="self_ensemble"):
        inpaint(image, mask, model=identity, self_ensemble="yes")


def test_prior_step_with_a_window_leaves_the_rest_to_the_data_step():
    from kerasgen.plug_and_play import _hqs

    window = (slice(2, 5), slice(1, 3))
    result = _hqs.run(np.zeros((6, 4, 1)), lambda z, alpha: z + 1.0, lambda x, sigma: np.full_like(x, -1.0),
                      [0.2, 0.1, 0.05], [1.0, 1.0, 1.0], window=window)  # fmt: skip
    expected = np.full((6, 4, 1), 3.0)  # outside: three data steps
    expected[window] = -1.0  # inside: the last prior step
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("shape", [(64, 64), (70, 90, 3)])
def test_deblur_and_super_resolve_denoise_the_image_and_a_margin_not_all_the_padding(shape):
    from kerasgen.plug_and_play import _grids

    rng = np.random.default_rng(8)
    image, psf = rng.random(shape).astype(np.float32), R.gaussian_psf(9, 1.6)
    seen = []

    def constant(x, sigma):  # records what the prior step sees
        seen.append(x.shape[:2])
        return np.full_like(x, 0.25)

    result = deblur(image, psf, sigma=0.01, model=constant, iterations=2, self_ensemble=False)
    np.testing.assert_array_equal(result, 0.25)  # the whole image went through the prior step
    size = np.array(shape[:2])
    padded = size + _grids.extensions(shape[:2], 3 * 9, 1)  # the FFT grid: >= 3 PSF widths more
    for rows_cols in seen:  # 8 to 15 pixels on each side
        assert all(n % 16 == 0 for n in rows_cols), rows_cols
        assert (np.array(rows_cols) >= size + 16).all() and (np.array(rows_cols) < size + 32).all(), rows_cols
        assert (np.array(rows_cols) < padded).all(), (rows_cols, padded)
    seen.clear()
    result = super_resolve(image, 2, model=constant, iterations=2, self_ensemble=False)
    np.testing.assert_array_equal(result, 0.25)
    for rows_cols in seen:  # the high-resolution grid is padded less: the margin may be all of it
        assert all(n % 16 == 0 for n in rows_cols) and (np.array(rows_cols) > 2 * size).all(), rows_cols


# ------------------------------------------------- restoration improves PSNR


def test_deblur_improves_psnr_gray_and_color(camera, astronaut):
    psf = R.gaussian_psf(9, 1.6)
    for clean in (camera, astronaut):
        blurred = R.add_gaussian_noise(R.blur(clean, psf, mode="reflect"), 0.01, seed=0)
        sharp = deblur(blurred, psf, sigma=0.01, model=tv_denoiser)
        assert sharp.shape == clean.shape and sharp.dtype == np.float32
        assert R.psnr(clean, sharp) > R.psnr(clean, blurred) + 1


def test_deblur_padding_prevents_border_ringing(camera):
    psf = R.gaussian_psf(9, 2.0)
    blurred = R.blur(camera, psf, mode="reflect")
    border = np.ones(camera.shape, bool)
    border[8:-8, 8:-8] = False

    def border_error(mode):
        result = deblur(blurred, psf, sigma=0.0, model=tv_denoiser, mode=mode)
        return np.sqrt(np.mean((result - camera)[border] ** 2))

    assert border_error("reflect") < 0.5 * border_error("wrap")


def test_super_resolve_improves_over_spline_gray_and_color(camera, astronaut):
    for clean in (camera, astronaut):
        small = R.downsample(clean, 2)
        large = super_resolve(small, 2, model=tv_denoiser)
        assert large.shape == clean.shape and large.dtype == np.float32
        assert R.psnr(clean, large) > R.psnr(clean, R.upsample(small, 2).clip(0, 1)) + 0.2


def test_inpaint_improves_psnr_gray_and_color(camera, astronaut):
    for clean in (camera, astronaut):
        mask = R.random_mask(clean.shape, 0.5, seed=1)
        holes = np.where(mask if clean.ndim == 2 else mask[..., None], 0, clean)
        filled = inpaint(holes, mask, model=tv_denoiser)
        assert filled.shape == clean.shape and filled.dtype == np.float32
        assert R.psnr(clean, filled) > R.psnr(clean, holes) + 10


@pytest.mark.parametrize("shape", [(45, 37), (37, 45, 3), (17, 16)])
def test_odd_sizes_are_extended_and_cropped_back(camera, shape):
    # An extension search that kept even counts only never ended for odd sides.
    clean = camera[: shape[0], : shape[1]]
    if len(shape) == 3:
        clean = np.stack([clean, clean[::-1], clean[:, ::-1]], axis=-1)
    psf = R.gaussian_psf(5, 1.0)
    blurred = R.add_gaussian_noise(R.blur(clean, psf, mode="reflect"), 0.01, seed=0)
    sharp = deblur(blurred, psf, sigma=0.01, model=tv_denoiser, iterations=3)
    assert sharp.shape == clean.shape and R.psnr(clean, sharp) > R.psnr(clean, blurred)
    for scale in (2, 3):
        small = clean[: shape[0] // scale, : shape[1] // scale]
        large = super_resolve(small, scale, model=tv_denoiser, iterations=2)
        assert large.shape == (small.shape[0] * scale, small.shape[1] * scale) + clean.shape[2:]


def test_super_resolve_default_schedule_is_dpirs_24_iterations(camera):
    calls = []

    def counting(image, sigma):
        calls.append(sigma)
        return image

    for scale in (2, 3, 4):
        calls.clear()
        super_resolve(camera[:32, :32], scale, model=counting, self_ensemble=False)
        assert len(calls) == 24
        np.testing.assert_allclose(calls[-1], 0.5 / 255, rtol=1e-6)  # noise-free: ends at 0.5/255
        assert calls[0] > calls[-1]
    calls.clear()
    super_resolve(camera[:32, :32], 2, model=counting, iterations=5, sigma=0.02)
    assert len(calls) == 5 and np.isclose(calls[-1], 0.02)


# ------------------------------------------------------------- Keras models


@pytest.fixture(scope="module")
def tiny_unet():
    """A small noise-level-aware U-Net trained for a few dozen steps."""
    import keras

    from kerasgen.models import build_unet

    keras.utils.set_random_seed(0)
    model = build_unet(depth=2, base_filters=8, noise_level_input=True)
    rng = np.random.default_rng(0)
    sources = [data.camera() / 255, data.coins() / 255, data.moon() / 255]
    patches = []
    for _ in range(256):
        source = sources[rng.integers(len(sources))]
        top, left = rng.integers(0, np.array(source.shape) - 32)
        patches.append(source[top : top + 32, left : left + 32])
    clean = np.stack(patches)[..., None].astype(np.float32)
    levels = rng.uniform(0, 0.2, (len(clean), 1)).astype(np.float32)
    noisy = clean + levels[:, :, None, None] * rng.standard_normal(clean.shape).astype(np.float32)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mae")
    model.fit([noisy, levels], clean, batch_size=16, epochs=6, verbose=0)
    return model


@pytest.mark.slow
def test_keras_denoiser_deblurs_gray_and_color(tiny_unet, camera, astronaut):
    psf = R.gaussian_psf(7, 1.2)
    for clean, gain in ((camera[:90, :70], 0.8), (astronaut, 0.4)):  # sizes not multiples of the model's
        blurred = R.add_gaussian_noise(R.blur(clean, psf, mode="reflect"), 0.01, seed=0)
        sharp = deblur(blurred, psf, sigma=0.01, model=tiny_unet, iterations=4)
        assert sharp.shape == clean.shape and sharp.dtype == np.float32
        assert R.psnr(clean, sharp) > R.psnr(clean, blurred) + gain


def test_gray_keras_model_on_color_equals_each_channel_alone(tiny_unet, astronaut):
    psf = R.gaussian_psf(5, 1.0)
    blurred = R.blur(astronaut, psf, mode="reflect")
    color = deblur(blurred, psf, sigma=0.01, model=tiny_unet, iterations=2)
    for c in range(3):
        alone = deblur(blurred[..., c], psf, sigma=0.01, model=tiny_unet, iterations=2)
        np.testing.assert_allclose(color[..., c], alone, atol=1e-5)


def test_bfloat16_denoiser_agrees_with_float32_and_follows_weight_changes(tiny_unet, camera):
    import keras

    model = keras.models.clone_model(tiny_unet)
    model.set_weights(tiny_unet.get_weights())
    psf = R.gaussian_psf(5, 1.0)
    blurred = R.add_gaussian_noise(R.blur(camera, psf, mode="reflect"), 0.01, seed=0)
    kwargs = dict(sigma=0.01, model=model, iterations=3)
    exact = deblur(blurred, psf, precision="float32", **kwargs)
    fast = deblur(blurred, psf, precision="mixed_bfloat16", **kwargs)
    assert not np.array_equal(fast, exact)
    np.testing.assert_allclose(fast, exact, atol=0.02)
    assert abs(R.psnr(camera, fast) - R.psnr(camera, exact)) < 0.05
    # The 16-bit copy is cached per model: changed weights must reach it.
    head = model.get_layer("head")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])  # now an identity denoiser
    changed = deblur(blurred, psf, precision="mixed_bfloat16", **kwargs)
    np.testing.assert_allclose(changed, deblur(blurred, psf, precision="float32", **kwargs), atol=1e-3)
    assert np.abs(changed - fast).max() > 0.05


def test_default_colour_inpainting_hands_small_levels_to_the_grey_denoiser(monkeypatch, astronaut):
    import kerasgen.pretrained
    from kerasgen.plug_and_play.solvers import _INPAINT_GREY_BELOW

    calls = []

    def shipped(channels):
        def denoiser(image, sigma):
            calls.append((channels, sigma))
            return image

        return denoiser

    monkeypatch.setattr(kerasgen.pretrained, "load_denoiser", shipped)
    mask = R.random_mask(astronaut.shape[:2], 0.5, seed=0)
    inpaint(np.where(mask[..., None], 0, astronaut), mask, iterations=12)
    assert [c for c, _ in calls] == [3 if s > _INPAINT_GREY_BELOW else 1 for _, s in calls]
    assert {c for c, _ in calls} == {1, 3} and len(calls) == 12
    calls.clear()  # grey images, deblurring and explicit models: one denoiser
    inpaint(np.where(mask, 0, astronaut[..., 0]), mask, iterations=12)
    deblur(astronaut, R.gaussian_psf(3, 1.0), sigma=0.01, iterations=12)
    assert [c for c, _ in calls] == [1] * 12 + [3] * 12
    calls.clear()
    inpaint(np.where(mask[..., None], 0, astronaut), mask, iterations=12, model=shipped(3))
    assert [c for c, _ in calls] == [3] * 12


def test_keras_model_without_noise_input_is_refused():
    from kerasgen.models import build_unet

    with pytest.raises(ValueError, match="noise_sigma"):
        deblur(np.zeros((16, 16)), R.gaussian_psf(3, 1), sigma=0.01, model=build_unet(depth=1, base_filters=4))


@pytest.mark.parametrize(("filters", "padding"), [(3, "same"), (1, "valid")])
def test_keras_model_with_wrong_output_shape_is_refused(filters, padding):
    # 1 -> 3 channels kept channel 0 silently; a shrinking model gave numpy errors.
    import keras

    images, sigma = keras.Input((None, None, 1)), keras.Input((1,))
    model = keras.Model([images, sigma], keras.layers.Conv2D(filters, 3, padding=padding)(images))
    image, mask = np.full((16, 16), 0.5), np.eye(16, dtype=bool)
    match = r"must return images of its input shape.*output shape \(1, 1[46], 1[46], [13]\) for input shape \(1, 16, 16, 1\)"
    with pytest.raises(ValueError, match=match):
        inpaint(image, mask, model=model, iterations=1)
    with pytest.raises(ValueError, match="must return images of its input shape"):
        deblur(image, R.gaussian_psf(3, 1), sigma=0.01, model=model, iterations=1)


def test_range_check_switch_reaches_plug_and_play():
    import kerasgen

    image, mask = np.full((16, 16), 100.0), np.eye(16, dtype=bool)
    previous = kerasgen.set_range_check(False)
    try:
        filled = inpaint(image, mask, model=identity, iterations=1, clip=False)
    finally:
        kerasgen.set_range_check(previous)
    np.testing.assert_allclose(filled, 100.0, rtol=1e-6)


def test_repair_pnp_refuses_an_estimated_sigma_that_is_not_valid(monkeypatch):
    import kerasgen.restoration.noise_level as noise_level

    monkeypatch.setattr(noise_level, "estimate_noise_sigma", lambda *args, **kwargs: float("nan"))
    with pytest.raises(ValueError, match=r"estimated from the image \(sigma=None\).*Pass the noise level with sigma="):
        R.repair_image(np.full((16, 16), 0.5), "pnp", psf=R.gaussian_psf(3, 1), model=identity)


def test_keras_model_with_wrong_channels_is_refused():
    from kerasgen.models import build_unet

    model = build_unet((None, None, 3), depth=1, base_filters=4, noise_level_input=True)
    with pytest.raises(ValueError, match="1 channel"):
        inpaint(np.zeros((16, 16)), np.eye(16, dtype=bool), model=model)


# ----------------------------------------------------------- invalid inputs


@pytest.mark.parametrize(
    ("psf", "match"),
    [
        (np.ones(9) / 9, "2-D"),
        (np.full((3, 3), np.nan), "finite"),
        (np.array([[0.5, -0.25], [0.5, 0.25]]), r"must not have negative values.*psf.min\(\)=-0.25"),
        (np.ones((20, 20)) / 400, "larger than the image"),
    ],
)
def test_bad_psf_is_refused(psf, match):
    with pytest.raises(ValueError, match=match):
        deblur(np.zeros((16, 16)), psf, sigma=0.01, model=identity)


def test_psf_not_summing_to_1_is_normalised_with_a_warning_as_in_the_classical_methods():
    image = np.random.default_rng(0).random((16, 16)).astype("float32")
    expected = deblur(image, np.ones((3, 3)) / 9, sigma=0.01, model=identity, iterations=2)
    with pytest.warns(UserWarning, match=r"psf should sum to 1.*psf\.sum\(\)=9"):
        result = deblur(image, np.ones((3, 3)), sigma=0.01, model=identity, iterations=2)
    np.testing.assert_allclose(result, expected, rtol=1e-6)
    with pytest.warns(UserWarning, match=r"psf should sum to 1.*psf\.sum\(\)=4"):
        super_resolve(image[:8, :8], 2, psf=np.ones((2, 2)), model=identity, iterations=2)


@pytest.mark.parametrize(
    ("mask", "match"),
    [
        (np.zeros((8, 16), bool), r"shape \(H, W\) = \(16, 16\)"),
        (np.full((16, 16), 0.5), "only 0 and 1"),
        (np.full((16, 16), "a"), "dtype"),
        (np.ones((16, 16), bool), "every pixel"),
    ],
)
def test_bad_mask_is_refused(mask, match):
    with pytest.raises(ValueError, match=match):
        inpaint(np.zeros((16, 16)), mask, model=identity)


@pytest.mark.parametrize(("scale", "error"), [(1, ValueError), (2.0, TypeError), (True, TypeError)])
def test_bad_scale_is_refused(scale, error):
    with pytest.raises(error, match="scale"):
        super_resolve(np.zeros((8, 8)), scale, model=identity)


def test_bad_precision_is_refused():
    for call in (
        lambda: deblur(np.zeros((16, 16)), R.gaussian_psf(3, 1), sigma=0.01, model=identity, precision="bf16"),
        lambda: super_resolve(np.zeros((8, 8)), 2, model=identity, precision=None),
        lambda: inpaint(np.zeros((16, 16)), np.zeros((16, 16), bool), model=identity, precision="half"),
    ):
        with pytest.raises(ValueError, match="precision must be one of"):
            call()


@pytest.mark.parametrize(("sigma", "error"), [(-0.1, ValueError), (np.nan, ValueError), ("0.1", TypeError)])
def test_bad_sigma_is_refused(sigma, error):
    with pytest.raises(error, match="sigma"):
        deblur(np.zeros((16, 16)), R.gaussian_psf(3, 1), sigma=sigma, model=identity)


@pytest.mark.parametrize(
    ("image", "match"),
    [
        (np.zeros((16, 16), np.uint8), "floating-point"),
        (np.full((16, 16), 255.0), r"expected in \[0, 1\]: divide 8-bit data by 255.*set_range_check.*max=255"),
        (np.full((16, 16), np.nan), "finite"),
        (np.zeros((16, 16, 4)), "4 channels"),
    ],
)
def test_bad_image_is_refused(image, match):
    with pytest.raises(ValueError, match=match):
        inpaint(image, np.eye(16, dtype=bool), model=identity)


def test_bad_schedule_and_model_are_refused():
    image, mask = np.zeros((16, 16)), np.eye(16, dtype=bool)
    with pytest.raises(ValueError, match="iterations must be >= 1"):
        inpaint(image, mask, model=identity, iterations=0)
    with pytest.raises(ValueError, match="sigma_start must be >"):
        inpaint(image, mask, model=identity, sigma_start=0)
    with pytest.raises(ValueError, match="prior_weight"):
        inpaint(image, mask, model=identity, prior_weight=-1)
    with pytest.raises(TypeError, match="model must be None"):
        inpaint(image, mask, model="unet")
    with pytest.raises(ValueError, match="return a numeric array of the image's shape"):
        inpaint(image, mask, model=lambda x, s: x[:8])
    with pytest.raises(ValueError, match=r"init of shape \(16, 16\)"):
        inpaint(image, mask, model=identity, init=np.zeros((8, 8)))
