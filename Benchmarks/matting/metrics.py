"""Matting metrics as Robust Video Matting's evaluation computes and scales them
(github.com/PeterL1n/RobustVideoMatting, evaluation/evaluate_hr.py): MAD and MSE ×1e3, Grad and
Conn ÷1e3 (sums over the frame), dtSSD ×1e2; plus IoU of the masks at 0.5 and the MAD in the band
within 1% of the frame's diagonal of the true edge (×1e3). scipy.ndimage stands in for OpenCV's
filter2D (replicated border) and connected components (4-connectivity), which RVM uses."""
import numpy
from scipy import ndimage


def _gaussian(x, sigma):
    return numpy.exp(-x ** 2 / (2 * sigma ** 2)) / (sigma * numpy.sqrt(2 * numpy.pi))


def _gradient_filters(sigma=1.4, epsilon=1e-2):
    half = numpy.ceil(sigma * numpy.sqrt(-2 * numpy.log(numpy.sqrt(2 * numpy.pi) * sigma * epsilon)))
    steps = numpy.arange(-half, half + 1)
    # filter_x[i, j] = gaussian(i) * dgaussian(j), normalised to unit L2 norm.
    dgaussian = -steps * _gaussian(steps, sigma) / sigma ** 2
    filter_x = _gaussian(steps, sigma)[:, None] * dgaussian[None, :]
    norm = numpy.sqrt((filter_x ** 2).sum())
    return filter_x / norm, _gaussian(steps, sigma) / norm, dgaussian


FILTER_X, _COLUMN, _ROW = _gradient_filters()
FILTER_Y = FILTER_X.T


def _normalised(values):
    low, high = values.min(), values.max()
    return (values - low) / (high - low) if high > low else numpy.zeros_like(values)


# The filter is separable (a Gaussian down, its derivative across): two 1-D passes give the
# same correlation as filter2D's 2-D one, many times faster.


def _gradient(values):
    # filter2D correlates; mode='nearest' is BORDER_REPLICATE.
    def along(axis_across):
        across = ndimage.correlate1d(values, _ROW, axis=axis_across, mode="nearest")
        return ndimage.correlate1d(across, _COLUMN, axis=1 - axis_across, mode="nearest")
    return numpy.sqrt(along(1) ** 2 + along(0) ** 2)


def grad(pred, true, true_gradient=None):
    if true_gradient is None:
        true_gradient = _gradient(_normalised(true))
    return float(((true_gradient - _gradient(_normalised(pred))) ** 2).sum() / 1000)


class Truth:
    """What the metrics need of one true alpha, computed once for every setting scored on it."""

    def __init__(self, alpha):
        self.alpha = alpha
        self.band = edge_band(alpha)
        self.gradient = _gradient(_normalised(alpha))


def conn(pred, true, step=0.1):
    thresholds = numpy.arange(0, 1 + step, step)
    round_down = -numpy.ones_like(true)
    for i in range(1, len(thresholds)):
        both = (true >= thresholds[i]) & (pred >= thresholds[i])
        labels, count = ndimage.label(both)
        omega = numpy.zeros_like(true)
        if count:
            sizes = numpy.bincount(labels.ravel())[1:]
            omega[labels == numpy.argmax(sizes) + 1] = 1
        unset = (round_down == -1) & (omega == 0)
        round_down[unset] = thresholds[i - 1]
    round_down[round_down == -1] = 1
    true_diff, pred_diff = true - round_down, pred - round_down
    true_phi = 1 - true_diff * (true_diff >= 0.15)
    pred_phi = 1 - pred_diff * (pred_diff >= 0.15)
    return float(numpy.abs(true_phi - pred_phi).sum() / 1000)


def edge_band(true):
    """Pixels within 1% of the diagonal of the true edge (the 0.5 contour of the true alpha)."""
    inside = true >= 0.5
    if inside.all() or not inside.any():
        return numpy.zeros_like(inside)
    radius = 0.01 * numpy.hypot(*true.shape)
    distance = numpy.where(inside, ndimage.distance_transform_edt(inside), ndimage.distance_transform_edt(~inside))
    return distance <= radius + 0.5


def frame_metrics(pred, true, with_conn=True):
    """The per-frame metrics of predicted alpha `pred` against `true` (float arrays in [0, 1], or
    a Truth)."""
    truth = true if isinstance(true, Truth) else Truth(true)
    true = truth.alpha
    error = pred - true
    band = truth.band
    p, t = pred >= 0.5, true >= 0.5
    union = (p | t).sum()
    result = {
        "MAD": float(numpy.abs(error).mean() * 1e3),
        "MSE": float((error ** 2).mean() * 1e3),
        "Grad": grad(pred, true, truth.gradient),
        "IoU": float((p & t).sum() / union) if union else 1.0,
        "MAD_edge": float(numpy.abs(error[band]).mean() * 1e3) if band.any() else 0.0,
    }
    if with_conn:
        result["Conn"] = conn(pred, true)
    return result


def dtssd(pred, pred_before, true, true_before):
    change = (pred - pred_before) - (true - true_before)
    return float(numpy.sqrt((change ** 2).sum() / true.size) * 1e2)
