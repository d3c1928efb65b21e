"""Generated modules: one per architecture spec, written by `archgen generate`. Do not edit."""
