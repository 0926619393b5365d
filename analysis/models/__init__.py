"""Shipped sentiment models (one .npz per language, see README.md) and the evaluation data
they were trained on: how each licensed set is read and which rows are held out."""
