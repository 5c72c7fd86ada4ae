#!/bin/sh
# SPDX-License-Identifier: MIT
# The store contract (tests/test_store.c) against PostgreSQL: a throwaway server on 127.0.0.1
# (tests/store_pg.sh starts and stops it), the same checks as for SQLite plus the ones a server
# adds (a reservation race on two connections, a commit whose server stopped, reconnection).
exec sh "${top_srcdir:-.}/tests/store_pg.sh" "${top_builddir:-.}/tests/test_store"
