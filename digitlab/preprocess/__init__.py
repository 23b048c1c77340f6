"""Any picture of handwriting -> the input a digit model was trained on.

    decode (Pillow, pixel cap, EXIF) -> grey -> the sheet (a photo showing the desk) -> salt and
    pepper mended -> polarity -> lighting removed
    -> Otsu threshold -> ruled paper's lines out -> crop to the ink
    -> scale into 20 px -> 28x28 centred on the centre of mass
    (or 8x8 for `digits` models) -> optional deskew

`prepare(image, shape)` runs it all; the stages are importable one by one.
"""

from digitlab.data.decode import MAX_PIXELS, load_grey
from digitlab.preprocess.frame import centre_on_mass, deskew_image, frame_digit
from digitlab.preprocess.ink import Ink, find_ink
from digitlab.preprocess.otsu import otsu_threshold
from digitlab.preprocess.pipeline import Prepared, prepare

__all__ = ["MAX_PIXELS", "Ink", "Prepared", "centre_on_mass", "deskew_image", "find_ink",
           "frame_digit", "load_grey", "otsu_threshold", "prepare"]
