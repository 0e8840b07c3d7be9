"""The `ippbot` command line: the CLI (`cli`) and one module per command."""
