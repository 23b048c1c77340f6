"""Reading people's pictures: one digit, a line of digits, and when not to trust the answer.

    reader.py       Reader: a model, its calibration and preprocessing; Prediction
    segment.py      a line of handwriting -> boxes of single digits, read left to right
                    (box.py a piece of ink, cuts.py and lattice.py where to cut, part_scores.py
                    how well a piece reads)
    line_model.py   a network that reads a whole line without cutting it (CTC; weights beside it)
    line_check.py   its second opinion on the segmenter's reading
    display.py      a prediction and a reading as HTML in a notebook
    calibration.py  temperature scaling and the "unsure" rule, fitted per model
    digitness.py    small networks that say whether an input looks like a digit at all,
                    and whether a cut piece is one whole digit (shipped weights beside it)
    negatives.py    what those detectors learn to refuse: pieces of digits, digits framed together
    examples.py     a person's labelled digits, prepared as the reader prepares what it predicts
"""
