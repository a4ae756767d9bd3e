"""Pretrained weights shipped with kerasgen (installed as ``kerasgen.saved_models``)."""
