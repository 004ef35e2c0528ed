"""Landing: receiving district files, storing them unchanged, and the submission registry."""
