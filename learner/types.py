"""Array aliases used in signatures; shapes are documented where each array is used."""

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating]
IntArray = npt.NDArray[np.integer]
