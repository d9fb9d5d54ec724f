#!/bin/bash
# kola: { "requiredTag": "special" }
exit 0
