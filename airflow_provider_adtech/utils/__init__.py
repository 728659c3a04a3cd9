"""Helpers shared by the operators and sensors: argument coercion, file storage, lineage."""
