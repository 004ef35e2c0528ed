"""Starting a run: `sped pipeline` in-process (pipeline_run), the portal's warm worker that forks
each of its runs (run_worker, run_imports) and the exit codes both report (exit_codes)."""
