#!/bin/bash
# Sourced by the tests, never run: not executable, so kola warns about its #! line.
