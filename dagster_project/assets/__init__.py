"""Assets of the pipeline, one module per stage."""
