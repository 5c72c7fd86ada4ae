#!/bin/sh
# STUB
exit 77
