#!/bin/bash
## kola:
##   additionalNics: 2
##   primaryDisk: "20G:mpath"
##   minDisk: 15
##   appendFirstbootKernelArgs: "ip=bond0:dhcp"
exit 0
