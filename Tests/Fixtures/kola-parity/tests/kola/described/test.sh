#!/bin/bash
## kola:
##   description: |
##     First line of a description.
##     Second line, kept as a line of its own.
exit 0
