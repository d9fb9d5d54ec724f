#!/bin/bash
# kola: { "platforms": "aws gcp", "description": "a cloud's metadata service" }
exit 0
