"""Operations on an installation besides a run: backup and restore, rebuild, audit verification
and checking a single file as a district would see it."""
